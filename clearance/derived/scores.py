"""The evaluation's scores, totals, positions and classes, computed by the database for a year and size class.

DOMAIN.md "亩均效益评价": the graded set E is the rows of the year and size class with land > 0 and not
exempt. Each indicator's benchmark is the scheme's fixed value, else the mean of its non-null values over
E; where it is missing or ≤ 0 the indicator scores 0 for everyone. A score is weight × min(max(value ÷
benchmark, 0), cap), 0 for a null value; the total adds the year's adjustments. The position is 1 + the
number of totals above (RANK), the class follows position ÷ |E| against the cut-offs.

One aggregate query for the means, one UPDATE … FROM a windowed SELECT for every graded row, one UPDATE
clearing the rows outside E: the work per row is the database's, whatever the number of rows.
"""

from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Avg, DecimalField, F, FloatField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, Greatest, Least, Round
from django.utils import timezone

from ..choices import Grade, Indicator
from ..models import Adjustment, IndicatorRow, Scheme, SchemeWeight
from ..models.evaluation import score_field

# Cut-offs are compared as whole numbers, position × 10000 ≤ cut-off × 10000 × |E|: exact on every database.
CUTOFF_SCALE = 10000
TOTAL_DECIMALS = 8


def graded_filter() -> Q:
    """The rows of a year and size class that are graded: land above 0, not exempt."""
    return Q(land_mu__gt=0, exempt=False)


def benchmarks(scheme: Scheme, weights: dict[str, SchemeWeight]) -> dict[str, float | None]:
    """Return each indicator's benchmark for SCHEME: its fixed value, else the mean over the graded rows; None when ≤ 0."""
    graded = IndicatorRow.objects.filter(graded_filter(), year=scheme.year, size=scheme.size)
    means = graded.aggregate(**{indicator: Avg(indicator) for indicator in Indicator.values})
    result = {}
    for indicator in Indicator.values:
        weight = weights.get(indicator)
        fixed = weight.fixed_benchmark if weight is not None else None
        value = float(fixed) if fixed is not None else means[indicator]
        result[indicator] = value if value is not None and value > 0 else None
    return result


@transaction.atomic
def recompute(scheme: Scheme) -> int:
    """Compute the scores and classes of SCHEME's year and size class; return how many rows were graded."""
    # The scheme's row is the group's lock: two recomputations of one year and size class run one after the other,
    # the second with the first's writes in view, and a scheme edit cannot slip in between the means and the update.
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    weights = {weight.indicator: weight for weight in scheme.weights.all()}
    used = benchmarks(scheme, weights)
    cap = float(scheme.cap)
    scores = {}
    for index, indicator in enumerate(Indicator.values):
        weight = weights.get(indicator)
        benchmark = used[indicator]
        if weight is None or not weight.weight or benchmark is None:
            scores[f"s{index}"] = Value(0.0)
        else:
            ratio = Greatest(F(indicator) / Value(benchmark), Value(0.0))
            scores[f"s{index}"] = Value(float(weight.weight)) * Coalesce(Least(ratio, Value(cap)), Value(0.0))
    total = sum(scores.values(), Value(0.0))
    rows = IndicatorRow.objects.filter(year=scheme.year, size=scheme.size)
    if Adjustment.objects.filter(year=scheme.year, enterprise__indicator_rows__in=rows).exists():
        points = Adjustment.objects.filter(enterprise=OuterRef("enterprise_id"), year=scheme.year).values(
            "enterprise").annotate(points=Sum("points")).values("points")
        total = total + Cast(Coalesce(Subquery(points), Value(Decimal("0"))), FloatField())
    rounded = Round(Cast(total, DecimalField(max_digits=30, decimal_places=12)), TOTAL_DECIMALS)
    graded = rows.filter(graded_filter()).order_by().annotate(**scores, t=rounded).values("id", *scores, "t")
    select_sql, params = graded.query.sql_with_params()
    table = connection.ops.quote_name(IndicatorRow._meta.db_table)
    assignments = ", ".join(
        f"{connection.ops.quote_name(score_field(indicator))} = ranked.s{index}"
        for index, indicator in enumerate(Indicator.values)
    )
    cut_a, cut_b, cut_c = (int(cut * CUTOFF_SCALE) for cut in (scheme.cut_a, scheme.cut_b, scheme.cut_c))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} SET {assignments}, total = ranked.t, position = ranked.pos, graded_count = ranked.n,
                grade = CASE WHEN ranked.pos * {CUTOFF_SCALE} <= %s * ranked.n THEN %s
                             WHEN ranked.pos * {CUTOFF_SCALE} <= %s * ranked.n THEN %s
                             WHEN ranked.pos * {CUTOFF_SCALE} <= %s * ranked.n THEN %s
                             ELSE %s END
            FROM (SELECT q.*, RANK() OVER (ORDER BY q.t DESC) AS pos, COUNT(*) OVER () AS n FROM ({select_sql}) q) ranked
            WHERE {table}.id = ranked.id
            """,
            [cut_a, Grade.A, cut_b, Grade.B, cut_c, Grade.C, Grade.D, *params],
        )
        graded_count = cursor.rowcount
        rows.exclude(graded_filter()).exclude(grade="", total__isnull=True).update(
            **{score_field(indicator): None for indicator in Indicator.values},
            total=None, position=None, graded_count=None, grade="",
        )
        for indicator, weight in weights.items():
            if weight.benchmark_used != used[indicator]:
                SchemeWeight.objects.filter(pk=weight.pk).update(benchmark_used=used[indicator])
        Scheme.objects.filter(pk=scheme.pk).update(graded_count=graded_count, computed_at=timezone.now())
    return graded_count
