"""The 换鸟 panel the dashboard, a town's page, the bulletin and /reuse/ show, built from the selector's summary."""

from ..choices import REUSE_METRIC_UNITS, REUSE_TARGET_METRICS, ReuseMetric
from ..selectors.reuse import ReuseScope, ReuseSummary


def reuse_cards(scope: ReuseScope) -> list[dict]:
    """Return one card per reuse figure of SCOPE: the figure (target, completion, light, rank), its label and unit."""
    return [
        {
            "key": metric.value,
            "label": metric.label,
            "unit": REUSE_METRIC_UNITS[metric],
            "is_count": metric == ReuseMetric.PROJECTS_SIGNED,
            "has_target": metric in REUSE_TARGET_METRICS,
            "figure": scope.metrics[metric.value],
        }
        for metric in ReuseMetric
    ]


def reuse_panel(summary: ReuseSummary, *, town_pk: int | None = None) -> dict:
    """Return what the 换鸟 sections of the dashboard, a town's page and the bulletin show (no queries).

    The city's cards and commitments, the towns ranked and in display order, and with TOWN_PK that town's own.
    """
    panel = {
        "summary": summary,
        "city": summary.city,
        "cards": reuse_cards(summary.city),
        "towns": summary.towns,
        "towns_in_order": summary.towns_in_display_order,
        "has_targets": summary.has_targets,
        "ranked_count": sum(1 for town in summary.towns if town.rank is not None),
    }
    if town_pk is not None:
        scope = next(town for town in summary.towns if town.pk == town_pk)
        panel.update(scope=scope, scope_cards=reuse_cards(scope))
    return panel
