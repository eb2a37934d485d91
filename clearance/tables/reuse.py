"""换鸟's tables: the towns ranked on their reuse figures, and the commitments (履约) due or overdue."""

from decimal import Decimal
from urllib.parse import urlencode

import django_tables2 as tables
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_tables2.rows import BoundRow

from ..choices import REUSE_METRIC_UNITS, REUSE_TARGET_METRICS, CommitmentState, ProjectStage, ReuseMetric
from ..selectors import CENT
from .ranking import (
    _CompletionColumn, _FigureColumn, _LightColumn, _PercentColumn, _RankColumn, _RankingTable, _SortedListData,
)

_NUMBER = {"td": {"class": "text-end text-nowrap"}, "th": {"class": "text-end"}}
COMMITMENT_LABELS = {
    "due": pgettext_lazy("commitments", "Due"),
    CommitmentState.MET: CommitmentState.MET.label,
    CommitmentState.MISSED: CommitmentState.MISSED.label,
    CommitmentState.UNVERIFIED: CommitmentState.UNVERIFIED.label,
}


def _reuse_columns() -> list[tuple[str, tables.Column]]:
    """Per reuse figure its actual; for the three with targets also target, completion (light), light and rank;
    then the commitments due, met, missed and unverified."""
    columns = []
    for metric in ReuseMetric:
        prefix, group, unit = f"metrics__{metric.value}__", metric.label, REUSE_METRIC_UNITS[metric]
        decimals = metric != ReuseMetric.PROJECTS_SIGNED
        parts = [("actual", _FigureColumn(decimals=decimals, accessor=prefix + "actual", verbose_name=_("Actual"),
                                          group=group, unit=unit))]
        if metric in REUSE_TARGET_METRICS:
            parts += [
                ("target", _FigureColumn(decimals=decimals, accessor=prefix + "target", verbose_name=_("Target"),
                                         group=group, unit=unit)),
                ("completion", _CompletionColumn(metric=metric.value, accessor=prefix + "completion",
                                                 verbose_name=_("Completion"), group=group, unit="%")),
                ("light", _LightColumn(accessor=prefix + "light", verbose_name=_("Light"), group=group, visible=False)),
                ("rank", _RankColumn(accessor=prefix + "rank", verbose_name=_("Rank"), group=group)),
            ]
        columns += [(f"{metric.value}_{part}", column) for part, column in parts]
    group = _("Commitments")
    for key, label in COMMITMENT_LABELS.items():
        columns.append((f"commitments_{key}", _FigureColumn(decimals=False, accessor=f"commitments__{key}",
                                                            verbose_name=label, group=group)))
    return columns


class ReuseTownTable(_RankingTable):
    """The towns ranked on 换鸟: each figure (with target, completion and light where set), the commitments."""

    rank = _RankColumn(verbose_name=_("Overall rank"))
    name = tables.Column(
        verbose_name=_("Township"),
        linkify=lambda record, table: table.town_url(record),
        attrs={"td": {"class": "text-nowrap fw-semibold sticky-col"}, "th": {"class": "sticky-col"}},
    )
    score = _PercentColumn(verbose_name=_("Score"), unit="%")

    class Meta:
        template_name = "clearance/includes/_dashboard_table.html"
        sequence = ("rank", "name", "score", "...")
        attrs = {"class": "table table-sm table-hover align-middle ranking-table", "data-table": "reuse-towns"}
        row_attrs = {"data-town": lambda record: record.pk}
        empty_text = _("No towns yet.")

    def __init__(self, data, *, city=None, period: dict | None = None, **kwargs):
        self.city, self.period = city, period
        # The ranking's own columns are the clearance metrics': these are the reuse figures'.
        tables.Table.__init__(self, _SortedListData(list(data)), extra_columns=_reuse_columns(), **kwargs)

    def town_url(self, record) -> str | None:
        if record.pk is None:
            return None
        url = reverse("clearance:town_detail", args=[record.pk])
        return f"{url}?{urlencode(self.period)}" if self.period else url

    @property
    def city_row(self):
        return None if self.city is None else BoundRow(self.city, table=self)

    def as_values(self, exclude_columns=None):
        yield from super().as_values(exclude_columns)
        if self.city is not None:
            row = self.city_row
            yield [force_str(row.get_cell_value(column.name), strings_only=True)
                   for column in self.export_columns(exclude_columns)]


class _TaxColumn(tables.Column):
    """A 亩均税收 (万元/亩) to two decimals, exported as a number."""

    def __init__(self, **kwargs):
        kwargs.setdefault("attrs", {part: dict(attrs) for part, attrs in _NUMBER.items()})
        super().__init__(**kwargs)

    def render(self, value):
        return floatformat(value, "2g")

    def value(self, value):
        return Decimal(repr(value) if isinstance(value, float) else value).quantize(CENT)


class CommitmentTable(tables.Table):
    """The commitments of a period: project, town, investor, what was committed, the evaluation that judged it, state."""

    # TODO(merge): link to the project's page (clearance:project_detail, project.get_absolute_url()) once it exists.
    name = tables.Column(verbose_name=_("Project"), attrs={"td": {"class": "fw-semibold"}})
    town = tables.Column(verbose_name=_("Township"), accessor="town__name",
                         order_by=("town__display_order", "town__name"))
    investor = tables.Column(verbose_name=_("Investor"))
    committed_tax_per_mu_wan = _TaxColumn(verbose_name=_("Committed tax per mu (10k yuan/mu)"))
    committed_full_production_on = tables.DateColumn(verbose_name=_("Committed full production"), format="Y-m-d")
    evaluation_year = tables.Column(verbose_name=_("Evaluation year"), attrs={"td": {"class": "text-end"}})
    evaluation_tax_per_mu = _TaxColumn(verbose_name=_("Tax per mu evaluated (10k yuan/mu)"))
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
