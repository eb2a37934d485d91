"""Reads of the evaluation: a year's rows with their clearance status and candidacy, a town's classes, the card.

An evaluated enterprise is in clearance when the clearance ledger holds an enterprise with its credit code,
or else with its town and name (DOMAIN.md); both are EXISTS subqueries on indexed columns, so that being in
clearance is always as the ledger stands, with nothing to keep in step. A candidate for clearance in year Y
is class D in Y, or class C in Y and Y−1, and not in clearance.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import (
    BooleanField, Case, Count, ExpressionWrapper, F, Max, OuterRef, Q, QuerySet, Subquery, Sum, Value, When,
)
from django.db.models.functions import Collate

from ..choices import Grade, Indicator
from ..models import Adjustment, Enterprise, EvaluatedEnterprise, EvaluationTownFigure, IndicatorRow, Scheme, Town
from ..models.evaluation import DERIVED, score_field
from .compiled import aggregated, compiled_read
from .figures import towns_in_order
from .periods import distinct_years

CENT = Decimal("0.01")
LOW_GRADES = (Grade.C, Grade.D)


def binary_order(field_name: str):
    """Order FIELD_NAME by code point, the same on every database and in Python's sorted() (not by locale)."""
    return Collate(field_name, "C" if connection.vendor == "postgresql" else "BINARY")


def in_clearance_condition() -> Q:
    """The condition that an indicator row's enterprise is in the clearance ledger (by code, else town + name).

    The row's own column, kept with the enterprise's link by derived.evaluation_links (whose twin() is the
    definition): a town's figures read its rows alone.
    """
    return Q(in_clearance=True)


def candidate_condition() -> Q:
    """Class D, or class C this year and last, and not in clearance: columns of the row only."""
    return (Q(grade=Grade.D) | Q(grade=Grade.C, previous_grade=Grade.C)) & ~in_clearance_condition()


def with_status(rows: QuerySet) -> QuerySet:
    """Annotate indicator ROWS with candidate (in_clearance and previous_grade are the row's own columns)."""
    return rows.annotate(candidate=ExpressionWrapper(candidate_condition(), output_field=BooleanField()))


def evaluation_rows(year: int, *, town: Town | None = None) -> QuerySet:
    """Return YEAR's indicator rows (of TOWN when given) with their enterprise, town and status, best total first."""
    rows = IndicatorRow.objects.filter(year=year).select_related("enterprise__town")
    if town is not None:
        rows = rows.filter(town=town)  # the row's own town: one index gives the town's rows by total
    # Ties on the total by the enterprise's name, then the row: the row's own columns, in the order of one index
    # (derived.row_copies keeps the name), so the first page is read from it rather than the year sorted.
    return with_status(rows).order_by(F("total").desc(nulls_last=True), "enterprise_name", "pk")


def evaluation_rows_by_town_and_name(year: int, *, town: Town | None = None) -> QuerySet:
    """YEAR's rows as /api/evaluation/ lists them: by town name, then enterprise name, in code-point order."""
    return evaluation_rows(year, town=town).order_by(
        binary_order("enterprise__town__name"), binary_order("enterprise__name"), "pk")


def candidates(year: int, *, town: Town | None = None) -> QuerySet:
    """Return YEAR's candidates for clearance (of TOWN), lowest total first, as a town works through them."""
    return (evaluation_rows(year, town=town).filter(candidate=True)
            .order_by(F("total").asc(nulls_last=True), "enterprise_name", "pk"))


def evaluated_years() -> list[int]:
    """Return the years that have evaluation data, latest first: one index probe per year, not a scan of every row."""
    return distinct_years(IndicatorRow, latest_first=True)


@compiled_read(IndicatorRow)
def _latest_year() -> QuerySet[IndicatorRow]:
    return aggregated(IndicatorRow.objects.all(), year=Max("year"))


def latest_evaluated_year() -> int | None:
    return _latest_year()[0]["year"]


def clearance_enterprise_of(evaluated: EvaluatedEnterprise) -> Enterprise | None:
    """Return the clearance ledger's enterprise that is EVALUATED (by credit code, else by town and name), or None.

    Read from the stored link (derived.evaluation_links keeps it; twin() there is the definition), as it stands now.
    """
    return Enterprise.objects.filter(evaluated_twins=evaluated).first()


def _twins_of(enterprise: Enterprise) -> QuerySet[EvaluatedEnterprise]:
    """The evaluated enterprises linked to the clearance ledger's ENTERPRISE, the one sharing its code first."""
    by_code = Value(1)
    if enterprise.credit_code:
        by_code = Case(When(credit_code=enterprise.credit_code, then=Value(0)), default=Value(1))
    return EvaluatedEnterprise.objects.filter(clearance_enterprise=enterprise).order_by(by_code, "pk")


def evaluated_of(enterprise: Enterprise) -> EvaluatedEnterprise | None:
    """Return the evaluated enterprise that is the clearance ledger's ENTERPRISE, or None."""
    return _twins_of(enterprise).first()


def evaluation_of(enterprise: Enterprise) -> EvaluatedEnterprise | None:
    """Return the evaluated enterprise that is the clearance ledger's ENTERPRISE, with latest_year and latest_grade
    (its latest row's year and class, "" when not graded) annotated; one query."""
    latest = IndicatorRow.objects.filter(enterprise_id=OuterRef("pk")).order_by("-year")
    return (_twins_of(enterprise)
            .annotate(latest_year=Subquery(latest.values("year")[:1]), latest_grade=Subquery(latest.values("grade")[:1]))
            .first())


@dataclass
class TownClasses:
    """One town's (or the city's) evaluation of a year: enterprises per class, the land and energy of C and D."""

    town: Town | None
    counts: dict[str, int] = field(default_factory=dict)  # per grade, and "exempt" and "ungraded"
    land_mu: dict[str, Decimal] = field(default_factory=dict)  # per low grade: land held
    land_in_clearance_mu: dict[str, Decimal] = field(default_factory=dict)
    energy_tce: dict[str, Decimal] = field(default_factory=dict)
    energy_in_clearance_tce: dict[str, Decimal] = field(default_factory=dict)
    candidates: int = 0
    tax: Decimal | None = None
    value_added: Decimal | None = None
    land_for_tax: Decimal | None = None
    land_for_value_added: Decimal | None = None

    @property
    def tax_per_mu(self) -> Decimal | None:
        return _per(self.tax, self.land_for_tax)

    @property
    def value_added_per_mu(self) -> Decimal | None:
        return _per(self.value_added, self.land_for_value_added)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _per(amount: Decimal | None, land: Decimal | None) -> Decimal | None:
    return None if amount is None or not land else amount / land


def class_aggregates() -> dict:
    """The figures of a town's evaluation of a year (EvaluationTownFigure.FIGURES), as aggregates of its indicator
    rows: the one definition, which derived.evaluation_rollup stores per town and year and verify_rollups checks."""
    sums = {"rows": Count("pk")}
    sums.update({f"count_{grade.lower()}": Count("pk", filter=Q(grade=grade)) for grade in Grade.values})
    sums["count_exempt"] = Count("pk", filter=Q(exempt=True))
    sums["count_ungraded"] = Count("pk", filter=Q(grade="", exempt=False))
    for grade in LOW_GRADES:
        low, key = Q(grade=grade), grade.lower()
        sums[f"land_{key}"] = Sum("land_mu", filter=low)
        sums[f"land_{key}_in_clearance"] = Sum("land_mu", filter=low & in_clearance_condition())
        sums[f"energy_{key}"] = Sum("energy_tce", filter=low)
        sums[f"energy_{key}_in_clearance"] = Sum("energy_tce", filter=low & in_clearance_condition())
    sums["candidates"] = Count("pk", filter=candidate_condition())
    # 亩均税收 and 亩均增加值 of a place: its enterprises' tax (value added) over their land, where both are given.
    with_land = Q(land_mu__gt=0)
    sums["tax"] = Sum("tax_wan", filter=with_land & Q(tax_wan__isnull=False))
    sums["land_for_tax"] = Sum("land_mu", filter=with_land & Q(tax_wan__isnull=False))
    sums["value_added"] = Sum("value_added_wan", filter=with_land & Q(value_added_wan__isnull=False))
    sums["land_for_value_added"] = Sum("land_mu", filter=with_land & Q(value_added_wan__isnull=False))
    return sums


def _no_figures() -> dict:
    return {name: None if name in EvaluationTownFigure.MAY_BE_NONE else 0 for name in EvaluationTownFigure.FIGURES}


# Each class and its figure (Grade.values builds its list anew at each use).
_GRADE_COUNTS = tuple((grade, f"count_{grade.lower()}") for grade in Grade.values)


def _classes(town: Town | None, values: dict) -> TownClasses:
    zero = Decimal("0")
    classes = TownClasses(town=town)
    classes.counts = {grade: values[key] for grade, key in _GRADE_COUNTS}
    classes.counts["exempt"], classes.counts["ungraded"] = values["count_exempt"], values["count_ungraded"]
    for grade in LOW_GRADES:
        key = grade.lower()
        classes.land_mu[grade] = values[f"land_{key}"] or zero
        classes.land_in_clearance_mu[grade] = values[f"land_{key}_in_clearance"] or zero
        classes.energy_tce[grade] = values[f"energy_{key}"] or zero
        classes.energy_in_clearance_tce[grade] = values[f"energy_{key}_in_clearance"] or zero
    classes.candidates = values["candidates"]
    classes.tax, classes.land_for_tax = values["tax"], values["land_for_tax"]
    classes.value_added, classes.land_for_value_added = values["value_added"], values["land_for_value_added"]
    return classes


def _figures(figure: EvaluationTownFigure) -> dict:
    return {name: getattr(figure, name) for name in EvaluationTownFigure.FIGURES}


@compiled_read(EvaluationTownFigure)
def _town_figure_rows(*, years: tuple[int, ...]) -> QuerySet[EvaluationTownFigure]:
    return EvaluationTownFigure.objects.filter(year__in=years, rows__gt=0).order_by().values_list(
        "year", "town_id", *EvaluationTownFigure.FIGURES)


def classes_by_town(*years: int) -> dict[int, tuple[TownClasses, list[TownClasses]]]:
    """Return, for each of YEARS, its evaluation for the city and for each town in it (in display order): two
    queries whatever the number of years and indicator rows, the towns and their figures of those years
    (EvaluationTownFigure, read as values: a hundred towns' figures of two years as models cost more than the rest
    of the panel).

    Every figure is a count or a sum, so the city's are its towns' added up.
    """
    names = EvaluationTownFigure.FIGURES
    stored: dict[int, dict[int, tuple]] = {year: {} for year in years}
    for year, town_id, *values in _town_figure_rows(years=years):
        stored[year][town_id] = values
    towns = towns_in_order()
    result = {}
    for year in years:
        of_year = stored[year]
        classes = [_classes(town, dict(zip(names, of_year[town.pk]))) for town in towns if town.pk in of_year]
        # Column by column: each figure summed over the towns that have it (None where none has).
        city = _no_figures()
        for name, column in zip(names, zip(*of_year.values())):
            present = [value for value in column if value is not None]
            if present:
                city[name] = sum(present)
        result[year] = (_classes(None, city), classes)
    return result


def town_classes(year: int, town: Town) -> TownClasses:
    """Return YEAR's evaluation of TOWN: one query (its EvaluationTownFigure)."""
    figure = EvaluationTownFigure.objects.filter(year=year, town=town).first()
    return _classes(town, _no_figures() if figure is None else _figures(figure))


def row_count(year: int, *, town: Town | None = None, candidates: bool = False) -> int:
    """How many rows YEAR has (of TOWN; only the candidates for clearance with CANDIDATES), from the towns' figures
    (one query over a row per town) rather than a count of the rows."""
    figures = EvaluationTownFigure.objects.filter(year=year)
    if town is not None:
        figures = figures.filter(town=town)
    return figures.aggregate(total=Sum("candidates" if candidates else "rows"))["total"] or 0


class CandidatesByTown(Sequence):
    """A year's candidates by town in display order, each town's in ROWS' order (total, name, row), read a page at a
    time: the towns' candidate counts (EvaluationTownFigure, in the same order) say which towns a page's rows are in,
    so the database reads those towns' candidates alone instead of sorting the year's (200,000 at a million
    enterprises). A page within one town (nearly every page at scale) is a range of the candidates' index, unsorted;
    a page across towns sorts those towns' candidates."""

    model = IndicatorRow

    def __init__(self, rows: QuerySet, counts: list[tuple[int, int]]):
        self.rows, self.counts = rows, counts
        self.total = sum(count for _town, count in counts)

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index:index + 1][0]
        start, stop, _step = index.indices(self.total)
        towns, first, seen = [], 0, 0
        for town, count in self.counts:
            if seen < stop and seen + count > start:
                first = first if towns else seen
                towns.append(town)
            seen += count
        if not towns:
            return []
        if len(towns) == 1:
            return list(self.rows.filter(town_id=towns[0])[start - first:stop - first])
        by_town = self.rows.order_by("town__display_order", "town__name", *self.rows.query.order_by)
        return list(by_town.filter(town_id__in=towns)[start - first:stop - first])


def candidates_by_town(year: int, rows: QuerySet) -> CandidatesByTown:
    """YEAR's candidates ROWS (as candidates() orders them) by town in display order, paged by town: one query for the
    counts."""
    counts = (EvaluationTownFigure.objects.filter(year=year, candidates__gt=0)
              .order_by("town__display_order", "town__name").values_list("town_id", "candidates"))
    return CandidatesByTown(rows, list(counts))


@dataclass
class IndicatorScore:
    """One indicator on an enterprise's card: its value, the benchmark, the weight, the score and the points lost."""

    indicator: Indicator
    value: float | None
    benchmark: float | None
    weight: Decimal
    score: float | None

    @property
    def lost(self) -> float:
        """Points short of the weight, the score at the benchmark: what pulled the total down."""
        return float(self.weight) - (self.score or 0.0) if self.weight else 0.0


@dataclass
class CardYear:
    """One year of an enterprise's card."""

    row: IndicatorRow
    scheme: Scheme | None
    indicators: list[IndicatorScore]
    adjustments: list[Adjustment]

    @property
    def pulled_down(self) -> list[IndicatorScore]:
        """The weighted indicators that scored below their weight, the heaviest loss first."""
        return sorted((item for item in self.indicators if item.weight and item.lost > 1e-9),
                      key=lambda item: -item.lost)


def enterprise_card(evaluated: EvaluatedEnterprise) -> list[CardYear]:
    """Return EVALUATED's years, latest first, each with its indicators scored against the scheme: four queries."""
    rows = list(with_status(evaluated.indicator_rows.all()).order_by("-year"))
    schemes = {
        (scheme.year, scheme.size): scheme
        for scheme in Scheme.objects.filter(year__in=[row.year for row in rows]).prefetch_related("weights")
    }
    adjustments: dict[int, list[Adjustment]] = {}
    for adjustment in evaluated.adjustments.select_related("created_by").order_by("year", "pk"):
        adjustments.setdefault(adjustment.year, []).append(adjustment)
    card = []
    for row in rows:
        scheme = schemes.get((row.year, row.size))
        weights = {weight.indicator: weight for weight in scheme.weights.all()} if scheme else {}
        indicators = []
        for indicator in Indicator:
            weight = weights.get(indicator)
            indicators.append(IndicatorScore(
                indicator=indicator, value=getattr(row, indicator.value),
                benchmark=weight.benchmark_used if weight else None,
                weight=weight.weight if weight else Decimal("0"),
                score=getattr(row, score_field(indicator.value)),
            ))
        card.append(CardYear(row=row, scheme=scheme, indicators=indicators, adjustments=adjustments.get(row.year, [])))
    return card


def two_decimals(value) -> float | None:
    """Round VALUE half up to two decimals as a JSON number; None stays None."""
    if value is None:
        return None
    return float(Decimal(repr(value) if isinstance(value, float) else value).quantize(CENT, rounding=ROUND_HALF_UP))


def indicator_values(row: IndicatorRow) -> dict[str, float | None]:
    """Return ROW's derived indicators by key, rounded to two decimals, as /api/evaluation/ gives them."""
    return {indicator: two_decimals(getattr(row, indicator)) for indicator in DERIVED}


__all__ = [
    "CandidatesByTown", "CardYear", "IndicatorScore", "TownClasses", "binary_order", "candidate_condition", "candidates",
    "candidates_by_town", "class_aggregates",
    "classes_by_town", "clearance_enterprise_of", "enterprise_card", "evaluated_of", "evaluated_years",
    "evaluation_of", "evaluation_rows", "evaluation_rows_by_town_and_name", "in_clearance_condition", "indicator_values",
    "latest_evaluated_year", "row_count", "town_classes", "two_decimals", "with_status",
]
