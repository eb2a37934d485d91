"""The database's scores, positions and classes against a straightforward recomputation of DOMAIN.md in Python."""

import random
import statistics
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection

from clearance.choices import Indicator, SizeClass
from clearance.models import IndicatorRow, Scheme
from clearance.services.evaluation import (
    adjustment_add, evaluated_enterprise_upsert, indicator_row_upsert, scheme_ensure, scheme_update, scores_recompute,
)
from tests.factories import TownFactory

pytestmark = pytest.mark.django_db

YEAR = 2023
FIGURES = ("tax_wan", "value_added_wan", "revenue_wan", "energy_tce", "emission_t", "rd_wan", "employees",
           "power_10k_kwh")


def figure(rng: random.Random) -> Decimal | None:
    """A random figure in 万元 (or t, tce, people): mostly positive, some negative, some missing, some 0."""
    draw = rng.random()
    if draw < 0.08:
        return None
    if draw < 0.12:
        return Decimal("0")
    value = Decimal(rng.randint(1, 500_000)).scaleb(-2)
    return -value / 10 if draw < 0.16 else value


@pytest.fixture
def random_year(django_user_model):
    """About three hundred enterprises of both size classes with random figures, adjustments and schemes."""
    rng = random.Random(14)
    admin = django_user_model.objects.create_superuser("scorer", password="x")
    towns = [TownFactory(name=f"随机镇{number}") for number in range(3)]
    enterprises = []
    for number in range(300):
        enterprise = evaluated_enterprise_upsert(town=rng.choice(towns), name=f"随机企业{number:03d}")
        land = None if rng.random() < 0.02 else Decimal("0") if rng.random() < 0.04 else Decimal(rng.randint(10, 9000)).scaleb(-2)
        indicator_row_upsert(
            enterprise=enterprise, year=YEAR, rescore=False, size=rng.choice(SizeClass.values), land_mu=land,
            exempt=rng.random() < 0.05, **{name: figure(rng) for name in FIGURES},
        )
        enterprises.append(enterprise)
    # Cap 1.2 and other cut-offs for 规上, a fixed benchmark for 规下's tax per mu.
    for size, weights, fields in (
        (SizeClass.ABOVE, {indicator: (Decimal(rng.randint(0, 40)), None) for indicator in Indicator.values},
         {"cap": Decimal("1.2"), "cut_a": Decimal("0.15"), "cut_b": Decimal("0.6"), "cut_c": Decimal("0.9")}),
        (SizeClass.BELOW, {Indicator.TAX_PER_MU: (Decimal("50"), Decimal("12.5")),
                           Indicator.TAX_PER_POWER: (Decimal("50"), None)}, {}),
    ):
        scheme = scheme_ensure(year=YEAR, size=size, user=admin)
        scheme_update(scheme=scheme, expected_version=scheme.version, user=admin, weights=weights, **fields)
    for enterprise in rng.sample(enterprises, 25):
        for _adjustment in range(rng.choice((1, 1, 2))):
            adjustment_add(enterprise=enterprise, year=YEAR, points=Decimal(rng.choice((5, 3, -10, -5, 2))),
                           reason="随机加减分", user=admin)
    return YEAR


def recomputed(year: int, size: str) -> dict[int, tuple[Decimal | None, int | None, str]]:
    """Return (total, position, class) by row id, computed in Python from the rows, the scheme and the adjustments."""
    scheme = Scheme.objects.get(year=year, size=size)
    weights = {weight.indicator: weight for weight in scheme.weights.all()}
    rows = list(IndicatorRow.objects.filter(year=year, size=size).prefetch_related("enterprise__adjustments"))
    graded = [row for row in rows if row.land_mu is not None and row.land_mu > 0 and not row.exempt]
    benchmarks = {}
    for indicator in Indicator.values:
        weight = weights.get(indicator)
        values = [getattr(row, indicator) for row in graded if getattr(row, indicator) is not None]
        if weight is not None and weight.fixed_benchmark is not None:
            value = float(weight.fixed_benchmark)
        else:
            value = statistics.fmean(values) if values else None
            # The database sums exactly: its mean may differ from Python's float mean in the last bits only.
            assert weight is None or weight.benchmark_used is None or value is None or value <= 0 or (
                weight.benchmark_used == pytest.approx(value, rel=1e-12))
            value = weight.benchmark_used if weight is not None and value is not None and value > 0 else value
        benchmarks[indicator] = value if value is not None and value > 0 else None
    cap = float(scheme.cap)
    totals = {}
    for row in graded:
        total = 0.0
        for indicator in Indicator.values:
            weight, benchmark, value = weights.get(indicator), benchmarks[indicator], getattr(row, indicator)
            if weight is None or not weight.weight or benchmark is None:
                score = 0.0
            else:
                score = float(weight.weight) * (0.0 if value is None else min(max(value / benchmark, 0.0), cap))
            total += score
        total += float(sum((adjustment.points for adjustment in row.enterprise.adjustments.all()
                            if adjustment.year == year), Decimal("0")))
        # As PostgreSQL casts a float to numeric (15 significant digits), then rounds half away from zero.
        totals[row.pk] = Decimal(f"{total:.15g}").quantize(Decimal("1e-12"), ROUND_HALF_UP).quantize(
            Decimal("1e-8"), ROUND_HALF_UP)
    count = len(totals)
    result = {row.pk: (None, None, "") for row in rows}
    for pk, total in totals.items():
        position = 1 + sum(1 for other in totals.values() if other > total)
        share = Decimal(position) / count
        grade = "A" if share <= scheme.cut_a else "B" if share <= scheme.cut_b else "C" if share <= scheme.cut_c else "D"
        result[pk] = (total, position, grade)
    return result


def stored(year: int, size: str) -> dict[int, tuple[Decimal | None, int | None, str]]:
    return {pk: (total, position, grade) for pk, total, position, grade in
            IndicatorRow.objects.filter(year=year, size=size).values_list("pk", "total", "position", "grade")}


@pytest.mark.parametrize("size", SizeClass.values)
def test_scores_equal_a_straightforward_recomputation(random_year, size):
    expected, found = recomputed(random_year, size), stored(random_year, size)

    assert len(found) > 100
    assert {"", "A", "B", "C"} <= {grade for _total, _position, grade in found.values()}
    # Totals agree to the 1e-8 the database keeps (floating point may differ in the last of them).
    for pk, (total, position, grade) in expected.items():
        if total is None:
            assert found[pk] == (None, None, ""), pk
        else:
            assert abs(found[pk][0] - total) <= Decimal("1e-8"), pk
    assert {pk: (position, grade) for pk, (_total, position, grade) in found.items()} == {
        pk: (position, grade) for pk, (_total, position, grade) in expected.items()}


def test_recomputing_with_nothing_changed_changes_nothing(random_year):
    before = {size: stored(random_year, size) for size in SizeClass.values}
    benchmarks = set(Scheme.objects.filter(year=random_year).values_list("size", "weights__indicator", "weights__benchmark_used"))

    scores_recompute(year=random_year)

    assert {size: stored(random_year, size) for size in SizeClass.values} == before
    after = set(Scheme.objects.filter(year=random_year).values_list("size", "weights__indicator", "weights__benchmark_used"))
    if connection.vendor == "postgresql":
        # Summed exactly: the same means to the last bit, so no row is written again.
        assert after == benchmarks
    else:
        # SQLite sums floats in the order its plan reads the rows.
        assert sorted(after, key=str) == [
            (size, indicator, value if value is None else pytest.approx(value, rel=1e-12))
            for size, indicator, value in sorted(benchmarks, key=str)]
