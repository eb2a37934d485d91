"""换鸟's commitments (履约) due or overdue, as a table (the towns ranked on 换鸟 are in ranking.py)."""

import django_tables2 as tables
from django.utils.html import escape, format_html
from django.utils.translation import gettext_lazy as _

from ..choices import CommitmentState, ProjectStage
from .columns import TwoDecimalsColumn
from .one_pass import link_cells, template_text, value_cells


class CommitmentTable(tables.Table):
    """The commitments of a period: project, town, investor, what was committed, the evaluation that judged it, state."""

    name = tables.Column(verbose_name=_("Project"), attrs={"td": {"class": "fw-semibold"}}, linkify=True)
    town = tables.Column(verbose_name=_("Township"), accessor="town__name",
                         order_by=("town__display_order", "town__name"))
    investor = tables.Column(verbose_name=_("Investor"))
    committed_tax_per_mu_wan = TwoDecimalsColumn(verbose_name=_("Committed tax per mu (10k yuan/mu)"))
    committed_full_production_on = tables.DateColumn(verbose_name=_("Committed full production"), format="Y-m-d")
    evaluation_year = tables.Column(verbose_name=_("Evaluation year"), attrs={"td": {"class": "text-end"}})
    evaluation_tax_per_mu = TwoDecimalsColumn(verbose_name=_("Tax per mu evaluated (10k yuan/mu)"))
    commitment = tables.Column(verbose_name=_("State"), order_by=("state_order",), empty_values=())

    class Meta:
        attrs = {"class": "table table-sm table-hover align-middle", "data-table": "commitments"}
        row_attrs = {"data-project": lambda record: record.pk,
                     "data-state": lambda record: record.commitment if record.is_due else ""}
        empty_text = _("No commitments match.")

    def __init__(self, data, *, overdue: bool = False, **kwargs):
        extra = [("overdue_stage", tables.Column(verbose_name=_("Overdue stage")))] if overdue else []
        super().__init__(data, extra_columns=extra, **kwargs)

    def render_overdue_stage(self, value):
        return ProjectStage(value).label

    def value_overdue_stage(self, value):
        return str(ProjectStage(value).label)

    def _state(self, record) -> str:
        if not record.is_due:
            return str(_("Not due"))
        return str(CommitmentState(record.commitment).label)

    def render_commitment(self, record):
        state = record.commitment if record.is_due else "none"
        css = {CommitmentState.MET: "text-bg-success", CommitmentState.MISSED: "text-bg-danger"}.get(
            state, "text-bg-secondary")
        return format_html('<span class="badge {}" data-commitment="{}">{}</span>', css, state, self._state(record))

    def value_commitment(self, record):
        return self._state(record)

    # The body's cells in one pass (tables/one_pass.py), each what django-tables2 renders, worked out once a page:
    # for 50 rows the generic path took 57 ms, most of it the date column compiling its template for every cell.

    def cell_html_name(self, bound):
        return link_cells(bound, "clearance:project_detail")

    def cell_html_town(self, bound):
        return value_cells(bound, lambda value, record: escape(value))

    def cell_html_investor(self, bound):
        return value_cells(bound, lambda value, record: template_text(value))

    def cell_html_committed_full_production_on(self, bound):
        # The DateColumn's {{ value|date:"Y-m-d"|default:default }}: a template column has no empty values, the
        # template shows the default for a missing date (an overdue 复垦 has none).
        default = template_text(bound.default)
        return value_cells(bound, lambda value, record: default if value is None else value.isoformat())

    def cell_html_evaluation_year(self, bound):
        return value_cells(bound, lambda value, record: template_text(value))

    def cell_html_commitment(self, bound):
        not_due = self.render_commitment(_Due(False, ""))
        states = {state: self.render_commitment(_Due(True, state)) for state in CommitmentState.values}
        return lambda record: states[record.commitment] if record.is_due else not_due

    def cell_html_overdue_stage(self, bound):
        labels = {int(stage): template_text(self.render_overdue_stage(int(stage))) for stage in ProjectStage}
        return value_cells(bound, lambda value, record: labels[value])


class _Due:
    """A record as render_commitment reads it."""

    def __init__(self, is_due: bool, commitment: str):
        self.is_due, self.commitment = is_due, commitment
