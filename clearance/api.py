"""The JSON interface other tools read: /api/summary/, its period parsing, its shape and whether the month is closed."""

from decimal import Decimal

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views import View

from . import selectors
from .selectors import CampaignSummary, MetricFigure, round_half_up
from .selectors.figures import CENT, DECIMAL_METRICS
from .rules import MAX_YEAR, MIN_YEAR


class PeriodError(ValueError):
    """A year or month in the query string that is not a valid period."""


def _whole_number(raw: str, message: str) -> int:
    text = raw.strip()
    # ASCII digits only: int() would also take "+8", "٨" and "1_2".
    if not (text.isascii() and text.isdigit()) or len(text) > 4:
        raise PeriodError(message)
    return int(text)


def parse_period(params) -> tuple[int, int]:
    """Return (year, month) from PARAMS, defaulting to the default period (the latest closed month); raise PeriodError when invalid.

    A year without a month is that year's December, or the default month in the default year.
    """
    year = _whole_number(params["year"], _("The year must be a whole number.")) if "year" in params else None
    month = _whole_number(params["month"], _("The month must be a whole number.")) if "month" in params else None
    if year is None or month is None:
        default_year, default_month = selectors.default_period()
        year = default_year if year is None else year
        if month is None:
            month = default_month if year == default_year else 12
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodError(_("The year must be between %(low)s and %(high)s.") % {"low": MIN_YEAR, "high": MAX_YEAR})
    if not 1 <= month <= 12:
        raise PeriodError(_("The month must be between 1 and 12."))
    return year, month


def _json_number(metric: str, value: Decimal | int) -> float | int:
    """Counts as integers; areas and energy as numbers with two decimals."""
    if metric in DECIMAL_METRICS:
        return float(Decimal(value).quantize(CENT))
    return int(value)


def metric_json(figure: MetricFigure, *, with_rank: bool) -> dict:
    """One metric of one scope as DOMAIN.md writes it: actual, target, completion_pct, light (and rank)."""
    data = {
        "actual": _json_number(figure.metric, figure.actual),
        "target": None if figure.target is None else _json_number(figure.metric, figure.target),
        "completion_pct": figure.completion_pct,
        "light": figure.light,
    }
    if with_rank:
        data["rank"] = figure.rank
    return data


def summary_json(summary: CampaignSummary) -> dict:
    """Return SUMMARY in the shape DOMAIN.md fixes for /api/summary/."""
    return {
        "year": summary.year,
        "month": summary.month,
        "time_progress_pct": summary.time_progress_pct,
        "metrics": {key: metric_json(figure, with_rank=False) for key, figure in summary.city.metrics.items()},
        "signed": summary.city.signed,
        "vacated": summary.city.vacated,
        "towns": [
            {
                "name": town.name,
                "rank": town.rank,
                "score": round_half_up(town.score),
                "metrics": {key: metric_json(figure, with_rank=True) for key, figure in town.metrics.items()},
                "signed": town.signed,
                "vacated": town.vacated,
            }
            for town in summary.towns
        ],
        "counties": [
            {
                "name": county.name,
                "metrics": {key: metric_json(figure, with_rank=True) for key, figure in county.metrics.items()},
            }
            for county in summary.counties
        ],
    }


def publication_json(period) -> dict:
    """Return whether the month is closed and, when it is, the city's figures published then (as "metrics")."""
    if period is None:
        return {"closed": False}
    return {"closed": True, "published": period.snapshot["metrics"]}


class SummaryApiView(View):
    """The city, towns and counties as of a month, in the JSON shape DOMAIN.md fixes."""

    http_method_names = ["get", "head", "options"]

    def get(self, request: HttpRequest) -> JsonResponse:
        try:
            year, month = parse_period(request.GET)
        except PeriodError as error:
            return JsonResponse({"error": str(error)}, status=400, json_dumps_params={"ensure_ascii": False})
        summary = selectors.campaign_summary(year=year, month=month)
        return JsonResponse(
            {**summary_json(summary), **publication_json(selectors.closed_period(year=year, month=month))},
            json_dumps_params={"ensure_ascii": False},
        )
