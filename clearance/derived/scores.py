"""The evaluation's scores, totals, positions and classes, computed by the database for a year and size class.

DOMAIN.md "亩均效益评价": the graded set E is the rows of the year and size class with land > 0 and not
exempt. Each indicator's benchmark is the scheme's fixed value, else the mean of its non-null values over
E; where it is missing or ≤ 0 the indicator scores 0 for everyone. A score is weight × min(max(value ÷
benchmark, 0), cap), 0 for a null value; the total adds the year's adjustments. The position is 1 + the
number of totals above (RANK), the class follows position ÷ |E| against the cut-offs.

One aggregate query for the means, the size of E and the rows outside it still scored; one UPDATE … FROM a
windowed SELECT writing the graded rows whose scores, position or class changed; one UPDATE clearing the rows
outside E when there are any: the work per row is the database's, whatever the number of rows.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery, Avg, Count, DecimalField, F, FloatField, Func, Q, Sum, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, Greatest, Least, Round
from django.utils import timezone

from ..choices import Grade, Indicator
from ..models import Adjustment, IndicatorRow, Scheme, SchemeWeight
from ..models.evaluation import score_field
from . import evaluation_rollup

# Cut-offs are compared as whole numbers, position × 10000 ≤ cut-off × 10000 × |E|: exact on every database.
CUTOFF_SCALE = 10000
TOTAL_DECIMALS = 8
SORT_MEMORY = "256MB"


def graded_filter() -> Q:
    """The rows of a year and size class that are graded: land above 0, not exempt."""
    return Q(land_mu__gt=0, exempt=False)


def stale_filter() -> Q:
    """The rows outside the graded set that still carry a score or a class (the land was taken away, or the row
    made exempt, since it was scored): the rows a scoring clears."""
    return ~graded_filter() & ~Q(grade="", total__isnull=True)


def _exact(indicator: str):
    """INDICATOR as an exact number for summing: a float sum depends on the order of the rows, which PostgreSQL's
    parallel workers and every rewrite of the rows change, so the same rows would give means (and every score)
    differing in the last bits from one computation to the next."""
    if connection.vendor == "postgresql":
        return Func(F(indicator), template="CAST(%(expressions)s AS numeric)", output_field=DecimalField())
    return F(indicator)


@dataclass
class GroupFigures:
    """What the scoring of a year and size class needs from its rows before it writes, read in one aggregate."""

    benchmarks: dict[str, float | None]  # per indicator: the fixed value, else the mean over E; None when ≤ 0
    graded: int  # |E|
    stale: int  # rows outside E that still carry scores or a class: the rows the clearing UPDATE writes


def group_figures(scheme: Scheme, weights: dict[str, SchemeWeight]) -> GroupFigures:
    """Read SCHEME's group once: each indicator's benchmark, how many rows are graded and how many outside E still
    have scores (the clearing UPDATE is skipped when none has: scanning the group for nothing cost a second and a
    half at a million rows)."""
    graded = graded_filter()
    sums = {indicator: Avg(_exact(indicator), filter=graded, output_field=FloatField()) for indicator in Indicator.values}
    sums["graded_rows"] = Count("pk", filter=graded)
    sums["stale_rows"] = Count("pk", filter=stale_filter())
    found = IndicatorRow.objects.filter(year=scheme.year, size=scheme.size).aggregate(**sums)
    result = {}
    for indicator in Indicator.values:
        weight = weights.get(indicator)
        fixed = weight.fixed_benchmark if weight is not None else None
        value = float(fixed) if fixed is not None else found[indicator]
        result[indicator] = value if value is not None and value > 0 else None
    return GroupFigures(benchmarks=result, graded=found["graded_rows"], stale=found["stale_rows"])


@contextmanager
def _statement_settings(cursor):
    """On PostgreSQL, give the scoring statement the memory to sort a million totals, and no JIT compilation.

    Sorting half a million totals in the default 4 MB spills to disk; JIT compiling the statement costs most of a
    second, more than it saves (the planner's estimate of the adjustments' subquery makes it look huge).
    """
    if connection.vendor != "postgresql":
        yield
        return
    # Local to the transaction: a failure's rollback undoes them too.
    cursor.execute("SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)", [SORT_MEMORY])
    yield
    cursor.execute("RESET work_mem; RESET jit")


@transaction.atomic
def recompute(scheme: Scheme) -> int:
    """Compute the scores and classes of SCHEME's year and size class; return how many rows were graded."""
    # The scheme's row is the group's lock: two recomputations of one year and size class run one after the other,
    # the second with the first's writes in view, and a scheme edit cannot slip in between the means and the update.
    # NO KEY: a change queuing a scoring for the task worker (a ScoringRequest, whose foreign key takes a KEY SHARE
    # lock on this row) need not wait for a scoring that runs.
    scheme = Scheme.objects.select_for_update(no_key=True).get(pk=scheme.pk)
    weights = {weight.indicator: weight for weight in scheme.weights.all()}
    group = group_figures(scheme, weights)
    used = group.benchmarks
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
    rows = IndicatorRow.objects.filter(year=scheme.year, size=scheme.size)
    graded = rows.filter(graded_filter()).order_by().annotate(**scores, raw=sum(scores.values(), Value(0.0))).values(
        "id", "enterprise_id", *scores, "raw")
    graded_sql, graded_params = graded.query.sql_with_params()
    # The year's adjustments summed per enterprise once and joined, rather than summed again for every row.
    adjustments = Adjustment.objects.filter(year=scheme.year).order_by().values("enterprise_id").annotate(points=Sum("points"))
    adjustments_sql, adjustments_params = adjustments.query.sql_with_params()
    points = Cast(Coalesce(RawSQL("adjusted.points", (), output_field=DecimalField()), Value(Decimal("0"))), FloatField())
    total = RawSQL("graded.raw", (), output_field=FloatField()) + points
    rounded = Round(Cast(total, DecimalField(max_digits=30, decimal_places=12)), TOTAL_DECIMALS)
    rounded_sql, rounded_params = graded.query.get_compiler(connection.alias).compile(rounded.resolve_expression(graded.query))
    select_sql = (
        f"SELECT graded.id, {', '.join(f'graded.{name}' for name in scores)}, {rounded_sql} AS t "
        f"FROM ({graded_sql}) graded LEFT JOIN ({adjustments_sql}) adjusted ON adjusted.enterprise_id = graded.enterprise_id"
    )
    params = [*rounded_params, *graded_params, *adjustments_params]
    table = connection.ops.quote_name(IndicatorRow._meta.db_table)
    assignments = ", ".join(
        f"{connection.ops.quote_name(score_field(indicator))} = ranked.s{index}"
        for index, indicator in enumerate(Indicator.values)
    )
    cut_a, cut_b, cut_c = (int(cut * CUTOFF_SCALE) for cut in (scheme.cut_a, scheme.cut_b, scheme.cut_c))
    grade = (f"CASE WHEN ranked.pos * {CUTOFF_SCALE} <= %s * ranked.n THEN %s "
             f"WHEN ranked.pos * {CUTOFF_SCALE} <= %s * ranked.n THEN %s "
             f"WHEN ranked.pos * {CUTOFF_SCALE} <= %s * ranked.n THEN %s ELSE %s END")
    grade_params = [cut_a, Grade.A, cut_b, Grade.B, cut_c, Grade.C, Grade.D]
    # A row whose scores, position and class are what they were is not written again: after one enterprise's
    # correction or adjustment only the rows that moved are, and a row not written costs no new row version.
    new_values = {score_field(indicator): f"ranked.s{index}" for index, indicator in enumerate(Indicator.values)}
    new_values.update(total="ranked.t", position="ranked.pos", graded_count="ranked.n", grade=grade)
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    changed = " OR ".join(f"{table}.{connection.ops.quote_name(name)} {distinct} {value}" for name, value in new_values.items())
    with transaction.atomic():
        with connection.cursor() as cursor, _statement_settings(cursor):
            cursor.execute(
                f"""
                UPDATE {table} SET {assignments}, total = ranked.t, position = ranked.pos, graded_count = ranked.n,
                    grade = {grade}
                FROM (SELECT q.*, RANK() OVER (ORDER BY q.t DESC) AS pos, COUNT(*) OVER () AS n FROM ({select_sql}) q) ranked
                WHERE {table}.id = ranked.id AND {table}.year = %s AND {table}.size = %s AND ({changed})
                """,
                # The group's own rows on this side too: without it the whole table (every year) was read to join.
                [*grade_params, *params, scheme.year, scheme.size, *grade_params],
            )
            written = cursor.rowcount
        if group.stale:
            written += rows.filter(stale_filter()).update(
                **{score_field(indicator): None for indicator in Indicator.values},
                total=None, position=None, graded_count=None, grade="",
            )
        # A row new to this group takes its class of the year before, graded or not (only the rows that have none
        # are looked at: the year before's own scoring refreshes the whole group when a class there moves).
        previous_grades_refresh(year=scheme.year, size=scheme.size, unset_only=True)
        # This group's classes are the next year's "class the year before" (nothing written, no class moved), and
        # the next year's candidates look at them.
        if written and previous_grades_refresh(year=scheme.year + 1):
            evaluation_rollup.refresh(year=scheme.year + 1)
        # Every write of a row's figures ends here (the services score its year again): the towns' figures too.
        evaluation_rollup.refresh(year=scheme.year)
        for indicator, weight in weights.items():
            if weight.benchmark_used != used[indicator]:
                SchemeWeight.objects.filter(pk=weight.pk).update(benchmark_used=used[indicator])
        Scheme.objects.filter(pk=scheme.pk).update(graded_count=group.graded, computed_at=timezone.now())
    return group.graded


def previous_grades_refresh(*, year: int, size: str | None = None, unset_only: bool = False) -> int:
    """Copy each enterprise's class of YEAR − 1 onto its row of YEAR (of SIZE when given) where it differs ('' when it
    had none); one UPDATE.

    With UNSET_ONLY, only the rows that have no class of the year before ('': new rows among them). A scoring of
    YEAR uses it: it moves none of YEAR − 1's classes (whose own scoring refreshes YEAR whole), so only a row new to
    YEAR can be behind, and looking up the year before of every row cost seconds at a million.
    """
    before = IndicatorRow.objects.filter(enterprise_id=OuterRef("enterprise_id"), year=year - 1).order_by().values("grade")[:1]
    expected = Coalesce(Subquery(before), Value(""))
    rows = IndicatorRow.objects.filter(year=year)
    if size is not None:
        rows = rows.filter(size=size)
    if unset_only:
        rows = rows.filter(previous_grade="")
    return rows.annotate(expected=expected).exclude(previous_grade=F("expected")).update(previous_grade=expected)
