"""The project list (换鸟): every project with its land, commitments, the stage reached and what is overdue."""

import django_tables2 as tables
from django.db.models import F
from django.utils.html import escape, format_html
from django.utils.translation import gettext_lazy as _

from ..choices import CommitmentState, ProjectKind, ProjectStage
from ..models import Project
from ..selectors.projects import NOT_DUE
from .columns import TwoDecimalsColumn
from .one_pass import link_cells, template_text, value_cells

COMMITMENT_BADGES = {
    CommitmentState.MET: "text-bg-success",
    CommitmentState.MISSED: "text-bg-danger",
    CommitmentState.UNVERIFIED: "text-bg-warning",
    NOT_DUE: "text-bg-light border",
}


def commitment_label(state: str) -> str:
    """The 履约 state as people read it: met, missed, unverified, not due; empty for a 复垦."""
    if state == NOT_DUE:
        return str(_("Not due"))
    return str(CommitmentState(state).label) if state else ""


def _nulls_last(name: str):
    def order(table, queryset, is_descending):
        field = F(name)
        return queryset.order_by(field.desc(nulls_last=True) if is_descending else field.asc(nulls_last=True),
                                 "name", "pk"), True

    return order


class _DateColumn(tables.Column):
    def render(self, value):
        return value.isoformat()

    def value(self, value):
        return value.isoformat() if value else ""

    def cell_html(self, bound, table):
        return value_cells(bound, lambda value, record: value.isoformat())


class ProjectTable(tables.Table):
    """Every project, sortable and exportable; the overdue marker names a committed date passed without its stage."""

    town = tables.Column(verbose_name=_("Township"), order_by=("town__display_order", "town__name"))
    name = tables.Column(verbose_name=_("Project"), linkify=True, attrs={"td": {"class": "cell-name"}})
    kind = tables.Column(verbose_name=_("Kind"))
    investor = tables.Column(verbose_name=_("Investor"), attrs={"td": {"class": "cell-wrap"}})
    industry = tables.Column(verbose_name=_("Industry"))
    land_mu = TwoDecimalsColumn(verbose_name=_("Land (mu)"))
    committed_investment_wan = TwoDecimalsColumn(verbose_name=_("Committed investment (10k yuan)"))
    stage = tables.Column(verbose_name=_("Stage reached"), attrs={"td": {"class": "text-nowrap"}})
    stage_on = _DateColumn(verbose_name=_("Reached on"), attrs={"td": {"class": "text-nowrap"}})
    committed_full_production_on = _DateColumn(
        verbose_name=_("Committed full production"), attrs={"td": {"class": "text-nowrap"}}
    )
    commitment_state = tables.Column(verbose_name=_("Commitment"), attrs={"td": {"class": "text-nowrap"}})
    is_overdue = tables.Column(verbose_name=_("Overdue"), attrs={"td": {"class": "text-nowrap"}})

    class Meta:
        model = Project
        fields = (
            "name", "stage", "town", "kind", "investor", "industry", "land_mu", "committed_investment_wan",
            "stage_on", "committed_full_production_on", "commitment_state", "is_overdue",
        )
        attrs = {"class": "table table-sm table-hover align-middle", "data-table": "projects"}
        order_by = ("town", "name")
        empty_text = _("No projects match.")

    order_stage = _nulls_last("stage")
    order_stage_on = _nulls_last("stage_on")
    order_committed_investment_wan = _nulls_last("committed_investment_wan")
    order_committed_full_production_on = _nulls_last("committed_full_production_on")

    def render_town(self, record):
        return record.town.name

    def value_town(self, record):
        return record.town.name

    def render_stage(self, value):
        return format_html('<span class="badge stage-badge stage-{}">{}</span>', value, ProjectStage(value).label)

    def value_stage(self, value):
        return str(ProjectStage(value).label) if value else ""

    def render_commitment_state(self, value):
        return format_html('<span class="badge {}" data-commitment="{}">{}</span>', COMMITMENT_BADGES[value], value,
                           commitment_label(value))

    def value_commitment_state(self, value):
        return commitment_label(value)

    def render_is_overdue(self, value):
        if value:
            return format_html('<span class="badge text-bg-danger" data-overdue>{}</span>', _("Overdue"))
        return ""

    def value_is_overdue(self, value):
        return str(_("Yes") if value else _("No"))

    # The body's cells in one pass (tables/one_pass.py), each what the render method above gives, worked out once a
    # page: for 50 rows the generic path (an Accessor, a render call and a reverse() for each cell) took 33 ms.

    def cell_html_name(self, bound):
        return link_cells(bound, "clearance:project_detail")

    def cell_html_stage(self, bound):
        badges = {int(stage): self.render_stage(int(stage)) for stage in ProjectStage}
        return value_cells(bound, lambda value, record: badges[value])

    def cell_html_town(self, bound):
        return value_cells(bound, lambda value, record: escape(value.name))

    def cell_html_kind(self, bound):
        labels = {kind.value: template_text(kind.label) for kind in ProjectKind}
        return value_cells(bound, lambda value, record: labels.get(value) or template_text(value))

    def cell_html_investor(self, bound):
        return value_cells(bound, lambda value, record: template_text(value))

    def cell_html_industry(self, bound):
        return value_cells(bound, lambda value, record: template_text(value))

    def cell_html_commitment_state(self, bound):
        badges = {state: self.render_commitment_state(state) for state in COMMITMENT_BADGES}
        return value_cells(bound, lambda value, record: badges[value])

    def cell_html_is_overdue(self, bound):
        overdue = self.render_is_overdue(True)
        return value_cells(bound, lambda value, record: overdue if value else "")
