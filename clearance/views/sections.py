"""What the dashboard, a town's page and the bulletin show, built from the selectors' results (no queries here but
the evaluation panel's selector)."""


from django.utils.dates import MONTHS_3
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext

from .. import selectors
from ..api import metric_json
from ..choices import INDICATOR_UNITS, METRIC_UNITS, Grade, Indicator, Metric
from ..formatting import number_formatter
from ..selectors import CampaignSummary, ScopeSummary
from ..selectors.ranking import completion
from ..selectors import evaluation
from ..selectors.schemes import scoring_waiting
from ..tables.town_rows import evaluation_town_rows

# The classes A to D (Grade.values builds its list anew at each use).
GRADES = tuple(Grade.values)


def metric_cards(scope: ScopeSummary, progress) -> list[dict]:
    """Return one card per metric: the figure, its label and unit, and the gap to 序时进度 in points."""
    return [
        {
            "key": metric.value,
            "label": metric.label,
            "unit": METRIC_UNITS[metric],
            "is_count": metric == Metric.ENTERPRISES_RECTIFIED,
            "figure": scope.metrics[metric.value],
            # Rounded from the exact values, like the lights, so it may differ by 0.1 from the rounded figures' difference.
            "gap": selectors.round_half_up(selectors.completion_gap(scope.metrics[metric.value], progress)),
        }
        for metric in Metric
    ]


def _month_labels() -> list[str]:
    return [capfirst(str(MONTHS_3[month])) for month in range(1, 13)]


def trend_chart(trend: list[dict], scope: ScopeSummary) -> dict:
    """Return the data of the trend charts: per metric, the cumulative actual by month, the target and the 序时 line.

    The 序时 line is the target times month ÷ 12: where the figure should stand at each month's end.
    """
    metrics = []
    for metric in Metric:
        target = scope.metrics[metric.value].target
        target = None if target is None else float(target)
        metrics.append(
            {
                "key": metric.value,
                "label": str(metric.label),
                "unit": str(METRIC_UNITS[metric]),
                "title": gettext("%(header)s (%(unit)s)") % {"header": metric.label, "unit": METRIC_UNITS[metric]},
                "actual": [float(row[metric.value]) for row in trend],
                "target": target,
                "pace": None if target is None else [round(target * month / 12, 2) for month in range(1, 13)],
            }
        )
    return {
        "months": _month_labels(),
        "metrics": metrics,
        "labels": {
            "actual": gettext("Cumulative actual"),
            "target": gettext("Yearly target"),
            "pace": gettext("Time progress"),
        },
    }


def trend_fallback(chart: dict) -> list[dict]:
    """Return the trend charts as rows for the tables screen readers get instead of the canvas, each number as
    floatformat:"-2g" shows it (formatted here once: through the filter, the tables cost as much as a ranking)."""
    text = number_formatter(-2, grouped=True)
    tables = []
    for metric in chart["metrics"]:
        rows = [
            {
                "month": chart["months"][index],
                "actual": text(actual),
                "pace": text(metric["pace"][index]) if metric["pace"] else None,
            }
            for index, actual in enumerate(metric["actual"])
        ]
        target = metric["target"]
        tables.append({"label": metric["label"], "unit": metric["unit"], "target": None if target is None else text(target),
                       "rows": rows})
    return tables


def town_completion_chart(summary: CampaignSummary) -> dict:
    """Return the data of the bar chart of the towns' completion of each metric, in ranking order, and 序时进度."""
    return {
        "towns": [town.name for town in summary.towns],
        "series": [
            {
                "key": metric.value,
                "label": str(metric.label),
                "values": [town.metrics[metric.value].completion_pct for town in summary.towns],
            }
            for metric in Metric
        ],
        "time_progress": summary.time_progress_pct,
        "labels": {"time_progress": gettext("Time progress"), "axis": gettext("Completion (%)")},
    }


def _cell(today: dict, published: dict | None) -> dict:
    """Return one figure of the bulletin: the published one where the month is closed, and today's when it differs.

    Both are compared as /api/summary/ gives them (rounded), so a correction is what a reader would see.
    """
    if published is None:
        return {**today, "corrected": None}
    return {**published, "corrected": today if today != published else None}


def _scope_cells(scope: ScopeSummary | None, published: dict | None, *, with_rank: bool) -> list[dict]:
    cells = []
    for metric in Metric:
        today = metric_json(scope.metrics[metric.value], with_rank=with_rank) if scope else None
        shown = published["metrics"][metric.value] if published else None
        cell = {**shown, "corrected": None} if today is None else _cell(today, shown)
        cells.append({**cell, "metric": metric.value, "is_count": metric == Metric.ENTERPRISES_RECTIFIED})
    return cells


def bulletin_tables(summary: CampaignSummary, snapshot: dict | None) -> dict:
    """Return the bulletin's three tables, city, towns and counties: SNAPSHOT's figures (a closed month's) or today's.

    Where a closed month's figures differ today, each such cell carries today's under "corrected" (更正).
    Towns and counties are matched by name; one published then and gone since is shown as published.
    """
    progress = summary.time_progress_pct

    def gap(cell):
        return None if cell["completion_pct"] is None else round(cell["completion_pct"] - progress, 1)

    city = []
    for card, cell in zip(
        metric_cards(summary.city, summary.time_progress), _scope_cells(summary.city, snapshot, with_rank=False)
    ):
        if snapshot is not None:
            card = {**card, "gap": gap(cell)}
        city.append({**card, "cell": cell})
    city_counts = snapshot if snapshot is not None else {"signed": summary.city.signed, "vacated": summary.city.vacated}
    tables = {"city": city, "towns": [], "counties": [], "signed": city_counts["signed"], "vacated": city_counts["vacated"]}
    for key, scopes, with_rank in (("towns", summary.towns, True), ("counties", summary.counties, True)):
        by_name = {scope.name: scope for scope in scopes}
        rows = snapshot[key] if snapshot is not None else [{"name": scope.name} for scope in scopes]
        for row in rows:
            scope = by_name.get(row["name"])
            published = row if snapshot is not None else None
            entry = {
                "name": row["name"],
                "pk": scope.pk if scope else None,
                "cells": _scope_cells(scope, published, with_rank=with_rank),
            }
            if key == "towns":
                entry["rank"] = row["rank"] if published else scope.rank
                entry["score"] = row["score"] if published else scope.score_pct
                today_rank = scope.rank if scope else None
                entry["rank_corrected"] = published is not None and scope is not None and today_rank != row["rank"]
                entry["today_rank"] = today_rank
            tables[key].append(entry)
    tables["corrected"] = any(
        cell["corrected"] for row in (*tables["towns"], *tables["counties"]) for cell in row["cells"]
    ) or any(card["cell"]["corrected"] for card in city)
    return tables


def _share_pct(part, whole) -> float | None:
    """PART as a percentage of WHOLE to one decimal; None where WHOLE is 0 (exactly, as a completion is: two
    integer ratios rather than two Fractions made from Decimals, a hundred towns twice a page)."""
    return selectors.round_half_up(completion(part, whole)) if whole else None


def _evaluation_row(now: evaluation.TownClasses, before: evaluation.TownClasses | None) -> dict:
    """One line of the evaluation panel: a place's 亩均 figures this year and the year before, its classes, its D land."""
    grade_d = Grade.D.value
    return {
        "town": now.town,
        "tax_per_mu": now.tax_per_mu,
        "tax_per_mu_before": before.tax_per_mu if before else None,
        "value_added_per_mu": now.value_added_per_mu,
        "value_added_per_mu_before": before.value_added_per_mu if before else None,
        "grades": [
            {"grade": grade, "count": now.counts[grade], "before": before.counts[grade] if before else None}
            for grade in GRADES
        ],
        "graded": sum(now.counts[grade] for grade in GRADES),
        "d_land_mu": now.land_mu[grade_d],
        "d_land_in_clearance_mu": now.land_in_clearance_mu[grade_d],
        "d_land_in_clearance_pct": _share_pct(now.land_in_clearance_mu[grade_d], now.land_mu[grade_d]),
        "d_land_mu_before": before.land_mu[grade_d] if before else None,
        "d_energy_tce": now.energy_tce[grade_d],
        "d_energy_in_clearance_tce": now.energy_in_clearance_tce[grade_d],
        "d_energy_in_clearance_pct": _share_pct(now.energy_in_clearance_tce[grade_d], now.energy_tce[grade_d]),
        "d_energy_tce_before": before.energy_tce[grade_d] if before else None,
        "candidates": now.candidates,
    }


def evaluation_panel() -> dict | None:
    """Return the dashboard's evaluation panel: the latest evaluated year against the year before, for the city and
    each town (selectors.evaluation.classes_by_town: two queries), and whether either year's scoring waits for the
    task worker (one query: its classes are then from before the latest change, as the evaluation pages say);
    None when no year is evaluated."""
    year = evaluation.latest_evaluated_year()
    if year is None:
        return None
    both = evaluation.classes_by_town(year, year - 1)
    (city, towns), (city_before, towns_before) = both[year], both[year - 1]
    before = {each.town.pk: each for each in towns_before}
    has_before = city_before.total > 0
    rows = [_evaluation_row(each, before.get(each.town.pk)) for each in towns]
    panel = {
        "labels": {"tax": Indicator.TAX_PER_MU.label, "value_added": Indicator.VALUE_ADDED_PER_MU.label,
                   "per_mu_unit": INDICATOR_UNITS[Indicator.TAX_PER_MU]},
        "year": year,
        "before": year - 1,
        "has_before": has_before,
        "scoring_waiting": scoring_waiting([year, year - 1]),
        "city": _evaluation_row(city, city_before if has_before else None),
        "towns": rows,
        "chart": {
            "year": year,
            "towns": [row["town"].name for row in rows],
            "series": [
                {"label": pgettext("evaluation panel", "Class %(grade)s") % {"grade": grade},
                 "values": [row["grades"][index]["count"] for row in rows]}
                for index, grade in enumerate(GRADES)
            ],
            "labels": {"axis": gettext("Enterprises")},
        },
    }
    panel["town_rows"] = evaluation_town_rows(panel)
    return panel
