"""The JSON interfaces other tools read: /api/summary/, /api/evaluation/ and /api/reuse/, their query strings and
their shapes."""

from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from . import selectors
from .models import Town
from .selectors import evaluation
from .selectors.reuse import COMMITMENT_KEYS, REUSE_KEYS, ReuseScope, ReuseSummary, reuse_summary
from .selectors import CampaignSummary, MetricFigure, round_half_up
from .selectors.figures import CENT, DECIMAL_METRICS
from .rules import MAX_YEAR, MIN_YEAR
from .validators import CONTROL_CHARACTERS


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


# /api/evaluation/ ------------------------------------------------------------------------------------------------

EVALUATION_PAGE_SIZE = 500


class EvaluationQueryError(ValueError):
    """A query string /api/evaluation/ cannot answer; STATUS is 400 or, for a page past the last, 404."""

    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.status = status


def parse_evaluation_query(params) -> tuple[int, Town | None, int]:
    """Return (year, town or None, page) from PARAMS; raise EvaluationQueryError when one is invalid.

    Without a year: the latest evaluated year, else the current year. A blank town is every town.
    """
    try:
        year = _whole_number(params["year"], _("The year must be a whole number.")) if "year" in params else None
    except PeriodError as error:
        raise EvaluationQueryError(str(error)) from None
    if year is None:
        year = evaluation.latest_evaluated_year() or timezone.localdate().year
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise EvaluationQueryError(
            _("The year must be between %(low)s and %(high)s.") % {"low": MIN_YEAR, "high": MAX_YEAR})
    town = None
    name = params.get("town", "").strip()
    if name:
        # A name with control characters (a NUL, which PostgreSQL refuses in a query) is no town's.
        town = None if CONTROL_CHARACTERS.search(name) else Town.objects.filter(name=name).first()
        if town is None:
            raise EvaluationQueryError(_("There is no town named “%(name)s”.") % {"name": name[:50]})
    page = 1
    if "page" in params:
        text = params["page"].strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 9 or int(text) < 1:
            raise EvaluationQueryError(_("The page must be a whole number from 1 up."))
        page = int(text)
    return year, town, page


def evaluation_row_json(row) -> dict:
    """One enterprise of /api/evaluation/: a row of selectors.evaluation.evaluation_rows (status annotated)."""
    enterprise = row.enterprise
    return {
        "name": enterprise.name,
        "credit_code": enterprise.credit_code or None,
        "town": enterprise.town.name,
        "size": row.size,
        "indicators": evaluation.indicator_values(row),
        "score": evaluation.two_decimals(row.total),
        "class": row.grade or None,
        "exempt": row.exempt,
        "in_clearance": bool(row.in_clearance),
        "candidate": bool(row.candidate),
    }


class EvaluationApiView(View):
    """A year's evaluation, enterprise by enterprise, 500 a page, in the JSON shape DOMAIN.md fixes."""

    http_method_names = ["get", "head", "options"]

    def get(self, request: HttpRequest) -> JsonResponse:
        try:
            year, town, page = parse_evaluation_query(request.GET)
        except EvaluationQueryError as error:
            return JsonResponse({"error": str(error)}, status=error.status, json_dumps_params={"ensure_ascii": False})
        rows = evaluation.evaluation_rows_by_town_and_name(year, town=town)
        count = rows.count()
        start = (page - 1) * EVALUATION_PAGE_SIZE
        if page > 1 and start >= count:
            message = _("There is no page %(page)s: %(year)s has %(pages)s page(s) of evaluation data.") % {
                "page": page, "year": year, "pages": max(1, -(-count // EVALUATION_PAGE_SIZE))}
            return JsonResponse({"error": message}, status=404, json_dumps_params={"ensure_ascii": False})
        next_url = None
        if start + EVALUATION_PAGE_SIZE < count:
            query = {"year": year, **({"town": town.name} if town else {}), "page": page + 1}
            next_url = request.build_absolute_uri(f"{request.path}?{urlencode(query)}")
        return JsonResponse(
            {"year": year, "count": count, "next": next_url,
             "enterprises": [evaluation_row_json(row) for row in rows[start:start + EVALUATION_PAGE_SIZE]]},
            json_dumps_params={"ensure_ascii": False},
        )


# /api/reuse/ -----------------------------------------------------------------------------------------------------


def reuse_number(metric: str, value: Decimal | int) -> float | int:
    """A reuse figure as /api/reuse/ gives it: projects as an integer, money and areas to two decimals (half up)."""
    if metric == "projects_signed":
        return int(value)
    return float(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def reuse_scope_json(scope: ReuseScope) -> dict:
    """The four figures and the commitments of the city or a town, as DOMAIN.md writes them."""
    return {
        "metrics": {key: reuse_number(key, scope.figures[key]) for key in REUSE_KEYS},
        "commitments": {key: int(scope.commitments[key]) for key in COMMITMENT_KEYS},
    }


def reuse_json(summary: ReuseSummary) -> dict:
    """Return SUMMARY in the shape DOMAIN.md fixes for /api/reuse/: the towns in their display order."""
    return {
        "year": summary.year,
        "month": summary.month,
        **reuse_scope_json(summary.city),
        "towns": [{"name": town.name, **reuse_scope_json(town)} for town in summary.towns_in_display_order],
    }


class ReuseApiView(View):
    """换鸟's figures and 履约 as of a month, for the city and every town, in the JSON shape DOMAIN.md fixes."""

    http_method_names = ["get", "head", "options"]

    def get(self, request: HttpRequest) -> JsonResponse:
        try:
            year, month = parse_period(request.GET)
        except PeriodError as error:
            return JsonResponse({"error": str(error)}, status=400, json_dumps_params={"ensure_ascii": False})
        return JsonResponse(reuse_json(reuse_summary(year=year, month=month)), json_dumps_params={"ensure_ascii": False})
