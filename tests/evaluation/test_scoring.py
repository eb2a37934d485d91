"""The evaluation's scoring, worked on paper (DOMAIN.md "亩均效益评价") and checked against the database's."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from clearance import services
from clearance.choices import SizeClass
from clearance.models import IndicatorRow, Scheme
from clearance.services.evaluation import adjustment_add, evaluated_enterprise_upsert, indicator_row_upsert, scores_recompute
from tests.factories import TownFactory

pytestmark = pytest.mark.django_db


def below(town, name, *, land, tax, power, exempt=False, year=2022):
    """An enterprise below designated size (规下: tax per mu 50, tax per unit of power 50) with one year's figures."""
    enterprise = evaluated_enterprise_upsert(town=town, name=name)
    return indicator_row_upsert(
        enterprise=enterprise, year=year, size=SizeClass.BELOW, rescore=False, exempt=exempt,
        land_mu=None if land is None else Decimal(land), tax_wan=None if tax is None else Decimal(tax),
        power_10k_kwh=None if power is None else Decimal(power),
    )


def scored(year=2022):
    return {row.enterprise.name: row for row in IndicatorRow.objects.filter(year=year).select_related("enterprise")}


@pytest.fixture
def small_town(db):
    """Six enterprises of one town, 2022, 规下.

    Graded (land > 0, not exempt): 甲 乙 丙 丁. 戊 has no land, 己 is exempt.
    tax per mu:    甲 100/10 = 10   乙 100/20 = 5   丙 −10/5 = −2   丁 null
    tax per power: 甲 100/50 = 2    乙 100/100 = 1  丙 −10/10 = −1  丁 null
    Benchmarks are the means over the non-null values of the graded: (10 + 5 − 2)/3 = 13/3 and (2 + 1 − 1)/3 = 2/3.
    """
    town = TownFactory(name="试点镇")
    below(town, "甲", land="10", tax="100", power="50")
    below(town, "乙", land="20", tax="100", power="100")
    below(town, "丙", land="5", tax="-10", power="10")
    below(town, "丁", land="10", tax=None, power="20")
    below(town, "戊", land="0", tax="50", power="10")
    below(town, "己", land="10", tax="500", power="10", exempt=True)
    return town


def test_the_scores_worked_on_paper(small_town):
    scores_recompute(year=2022)
    rows = scored()
    # 甲: 10 ÷ 13/3 = 2.31 capped at 1.5 → 75; 2 ÷ 2/3 = 3 capped → 75; total 150.
    assert rows["甲"].score_tax_per_mu == pytest.approx(75)
    assert rows["甲"].score_tax_per_power == pytest.approx(75)
    assert rows["甲"].total == Decimal("150")
    # 乙: 5 ÷ 13/3 = 15/13 → 50 × 15/13 = 57.6923…; 1 ÷ 2/3 = 1.5 → 75.
    assert rows["乙"].total.quantize(Decimal("0.01")) == Decimal("132.69")
    # 丙: negative values score 0; 丁: a null indicator scores 0.
    assert rows["丙"].total == 0 and rows["丁"].total == 0
    # Four graded: positions 1, 2 and 丙 and 丁 tied at 3, sharing the better position.
    assert [rows[name].position for name in "甲乙丙丁"] == [1, 2, 3, 3]
    assert rows["甲"].graded_count == 4
    # Classes: p ÷ 4 = 0.25 → B (over A's 0.20), 0.5 → B, 0.75 → C for both: the tie keeps 丙 out of D.
    assert [rows[name].grade for name in "甲乙丙丁"] == ["B", "B", "C", "C"]
    # No land, or exempt: listed with indicators, no score, no class.
    for name in "戊己":
        assert rows[name].total is None and rows[name].grade == "" and rows[name].position is None
    assert rows["己"].tax_per_mu == pytest.approx(50)
    assert rows["戊"].tax_per_mu is None  # a denominator of 0 gives no indicator
    weights = {weight.indicator: weight.benchmark_used for weight in Scheme.objects.get(year=2022, size="below").weights.all()}
    assert weights["tax_per_mu"] == pytest.approx(13 / 3) and weights["tax_per_power"] == pytest.approx(2 / 3)


def test_an_adjustment_breaks_the_tie(small_town, django_user_model):
    admin = django_user_model.objects.create_superuser("boss", password="x")
    ding = IndicatorRow.objects.get(enterprise__name="丁")
    adjustment_add(enterprise=ding.enterprise, year=2022, points=Decimal("5"), reason="高新技术企业", user=admin)
    rows = scored()
    assert rows["丁"].total == Decimal("5")
    # 丁 3rd (0.75 → C), 丙 alone 4th: 4 ÷ 4 = 1 → D.
    assert (rows["丁"].position, rows["丁"].grade) == (3, "C")
    assert (rows["丙"].position, rows["丙"].grade) == (4, "D")
    adjustment_add(enterprise=ding.enterprise, year=2022, points=Decimal("-10"), reason="安全生产事故", user=admin)
    rows = scored()
    assert rows["丁"].total == Decimal("-5")
    assert (rows["丙"].grade, rows["丁"].grade) == ("C", "D")


def test_a_fixed_benchmark_and_a_benchmark_not_above_zero(small_town, django_user_model):
    admin = django_user_model.objects.create_superuser("boss", password="x")
    scores_recompute(year=2022)
    scheme = Scheme.objects.get(year=2022, size="below")
    # tax per mu against a fixed 8: 甲 10/8 = 1.25 → 62.5; 乙 5/8 → 31.25. Tax per power against −1: everyone 0.
    services.evaluation.scheme_update(
        scheme=scheme, expected_version=scheme.version, user=admin,
        weights={"tax_per_mu": (Decimal("50"), Decimal("8")), "tax_per_power": (Decimal("50"), Decimal("-1"))},
    )
    rows = scored()
    assert rows["甲"].total == Decimal("62.5") and rows["乙"].total == Decimal("31.25")
    assert rows["甲"].score_tax_per_power == 0


def test_the_cut_offs(db):
    """Ten graded enterprises with totals 10 … 1: positions 1 … 10 against 0.20 / 0.70 / 0.95."""
    town = TownFactory(name="十家镇")
    for index in range(10):
        below(town, f"企业{index + 1:02d}", land="1", tax=str(10 - index), power="1")
    scores_recompute(year=2022)
    rows = scored()
    grades = "".join(rows[f"企业{index + 1:02d}"].grade for index in range(10))
    # p/n ≤ 0.20: 1, 2 → A; ≤ 0.70: 3 … 7 → B; ≤ 0.95: 8, 9 → C; 10 → D.
    assert grades == "AABBBBBCCD"


# Any sequence of the services' writes over two years keeps what the scoring keeps ---------------------------

_NAMES = ("甲", "乙", "丙", "丁", "戊")
_row_writes = st.tuples(
    st.sampled_from(_NAMES),
    st.sampled_from((2021, 2022)),
    st.sampled_from(("0", "5", "10", "20")),  # land: 0 takes the row out of the graded set
    st.sampled_from(("-10", "40", "100", "300")),  # tax
    st.booleans(),  # exempt
)


class ScoringKeepsItsInvariants(HypothesisTestCase):
    """Rows of two years written in any order, corrected, taken out of and back into the graded set: after every
    write each row's "class the year before" is its enterprise's class of the year before, no row outside the
    graded set keeps a score or a class, and each scheme counts its graded rows.

    A scoring only looks up the year before for rows that have none recorded, and skips clearing the rows outside
    the graded set when its first read finds none: this holds those two shortcuts to the full work they replace.
    """

    def setUp(self):
        self.town = TownFactory(name="试点镇")

    @settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(_row_writes, min_size=1, max_size=10))
    # A class of 2021 that moves after the enterprise's 2022 row has it; a row that leaves E and comes back.
    @example([("甲", 2022, "10", "100", False), ("甲", 2021, "10", "100", False), ("乙", 2021, "10", "300", False),
              ("乙", 2021, "0", "300", False), ("乙", 2021, "10", "300", False), ("丙", 2021, "5", "-10", True)])
    def test_after_every_write(self, writes):
        for name, year, land, tax, exempt in writes:
            enterprise = evaluated_enterprise_upsert(town=self.town, name=name)
            indicator_row_upsert(enterprise=enterprise, year=year, size=SizeClass.BELOW, exempt=exempt,
                                 land_mu=Decimal(land), tax_wan=Decimal(tax), power_10k_kwh=Decimal("10"))
            grades = {(row.enterprise_id, row.year): row.grade for row in IndicatorRow.objects.all()}
            for row in IndicatorRow.objects.all():
                assert row.previous_grade == grades.get((row.enterprise_id, row.year - 1), ""), (row, writes)
                if row.land_mu <= 0 or row.exempt:
                    assert row.total is None and row.grade == "" and row.position is None, (row, writes)
                else:
                    assert row.grade and row.total is not None, (row, writes)
            for scheme in Scheme.objects.all():
                graded = IndicatorRow.objects.filter(year=scheme.year, size=scheme.size).exclude(grade="").count()
                assert scheme.graded_count == graded, (scheme, writes)
