"""The economy's reads (快中求稳): Pinghu's and Jiaxing's figures of a month, the change in employment, the trend."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import OuterRef, QuerySet, Subquery

from ..choices import Region
from ..models import EconomyFigure, EconomyYear
from .compiled import compiled_read

FIGURE_FIELDS = (
    "value_added_growth_pct", "manufacturing_investment_yi", "manufacturing_investment_growth_pct", "employment",
)


def plain(value: Decimal | None) -> Decimal | None:
    """Return VALUE without the trailing zeros its column keeps (6.50 → 6.5, 30.00 → 30), never in exponent form."""
    if value is None:
        return None
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


@dataclass(frozen=True)
class RegionFigures:
    """One region's four figures of a month (None where unknown) and its employment against the base month."""

    region: str
    label: str
    value_added_growth_pct: Decimal | None = None
    manufacturing_investment_yi: Decimal | None = None
    manufacturing_investment_growth_pct: Decimal | None = None
    employment: int | None = None
    employment_base: int | None = None

    @property
    def employment_change(self) -> int | None:
        """Employees now less employees at the end of the base month; None when either is unknown."""
        if self.employment is None or self.employment_base is None:
            return None
        return self.employment - self.employment_base


@dataclass(frozen=True)
class EconomyPanel:
    """The economy beside the clearance: the figures of MONTH (the as-of month, or the latest before it with figures)."""

    year: int
    month: int
    as_of_month: int
    base_month: int | None
    pinghu: RegionFigures
    jiaxing: RegionFigures
    # Month by month, January to MONTH: each region's growth of industrial value added (%), None where unknown.
    growth_by_month: dict[str, list[Decimal | None]]

    @property
    def growth_gap_points(self) -> Decimal | None:
        """Pinghu's growth of value added less Jiaxing's, in percentage points; None when either is unknown."""
        ours, theirs = self.pinghu.value_added_growth_pct, self.jiaxing.value_added_growth_pct
        return None if ours is None or theirs is None else plain(ours - theirs)

    @property
    def regions(self) -> list[RegionFigures]:
        return [self.pinghu, self.jiaxing]


def _region_figures(region: Region, row: dict | None, base: dict | None) -> RegionFigures:
    if row is None:
        return RegionFigures(region.value, str(region.label))
    return RegionFigures(
        region.value, str(region.label),
        **{name: plain(row[name]) if name != "employment" else row[name] for name in FIGURE_FIELDS},
        employment_base=base["employment"] if base else None,
    )


@compiled_read(EconomyFigure)
def _figure_rows(*, year: int, month: int) -> QuerySet[EconomyFigure]:
    base_month = EconomyYear.objects.filter(year=OuterRef("year")).values("employment_base_month")[:1]
    return (
        EconomyFigure.objects.filter(year=year, month__lte=month)
        .annotate(base_month=Subquery(base_month))
        .order_by("month", "region")
        .values("region", "month", "base_month", *FIGURE_FIELDS)
    )


def economy_panel(*, year: int, month: int) -> EconomyPanel | None:
    """Return the economy panel of YEAR as of MONTH; None when the year has no figures up to MONTH (one query).

    The cards show MONTH's figures, or those of the latest earlier month with any (the bureau publishes late);
    the change in employment is counted against the end of the year's base month (EconomyYear), when chosen
    and not after the month shown.
    """
    rows = _figure_rows(year=year, month=month)
    if not rows:
        return None
    by_key = {(row["region"], row["month"]): row for row in rows}
    shown = max(row["month"] for row in rows)
    chosen = rows[0]["base_month"]
    base = chosen if chosen is not None and chosen <= shown else None
    regions = {
        region: _region_figures(region, by_key.get((region.value, shown)),
                                by_key.get((region.value, base)) if base is not None else None)
        for region in Region
    }
    return EconomyPanel(
        year=year, month=shown, as_of_month=month, base_month=base,
        pinghu=regions[Region.PINGHU], jiaxing=regions[Region.JIAXING],
        growth_by_month={
            region.value: [plain((by_key.get((region.value, each)) or {}).get("value_added_growth_pct"))
                           for each in range(1, shown + 1)]
            for region in Region
        },
    )


@dataclass(frozen=True)
class EconomyMonth:
    """One month of the economy page: each region (in Region's order) with its stored figure, or None."""

    month: int
    cells: list[tuple[str, EconomyFigure | None]]


def economy_year_months(*, year: int) -> tuple[list[EconomyMonth], int | None]:
    """Return the twelve months of YEAR with each region's stored figures, and the year's base month (two queries)."""
    stored = {(figure.region, figure.month): figure for figure in EconomyFigure.objects.filter(year=year)}
    months = [
        EconomyMonth(month, [(region, stored.get((region, month))) for region in Region.values])
        for month in range(1, 13)
    ]
    base = EconomyYear.objects.filter(year=year).values_list("employment_base_month", flat=True).first()
    return months, base


def economy_years() -> list[int]:
    """Return the years that have economy figures, in order (one query)."""
    return list(EconomyFigure.objects.order_by("year").values_list("year", flat=True).distinct())
