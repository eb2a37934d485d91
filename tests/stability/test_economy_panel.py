"""The economy panel worked on paper: the month shown, the gap in points, the change against the base month."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from clearance.choices import Region
from clearance.models import EconomyFigure
from clearance.selectors.economy import economy_panel
from clearance.services import StaleEditError
from clearance.services.economy import economy_figure_create, economy_figure_delete, economy_figure_update

from tests.stability.economy_helpers import month, small_year

pytestmark = pytest.mark.django_db


def test_the_panel_of_a_small_year_computed_by_hand(django_assert_num_queries):
    small_year(months=3, base=1)

    with django_assert_num_queries(1):
        panel = economy_panel(year=2022, month=3)

    # March: Pinghu 5 + 3 = 8%, Jiaxing 2 + 1.5 = 3.5%: 4.5 points; employment 1300 against January's 1100.
    assert (panel.month, panel.base_month, panel.growth_gap_points) == (3, 1, Decimal("4.5"))
    assert (panel.pinghu.employment, panel.pinghu.employment_change, panel.jiaxing.employment_change) == (1300, 200, 100)
    assert panel.growth_by_month == {"pinghu": [6, 7, 8], "jiaxing": [Decimal("2.5"), 3, Decimal("3.5")]}


def test_a_month_without_figures_shows_the_latest_before_it():
    small_year(months=2, base=1)

    panel = economy_panel(year=2022, month=6)

    assert (panel.as_of_month, panel.month, panel.pinghu.value_added_growth_pct) == (6, 2, 7)
    assert len(panel.growth_by_month["pinghu"]) == 2


def test_without_a_base_month_or_with_one_later_there_is_no_change():
    small_year(months=3, base=None)
    assert economy_panel(year=2022, month=3).pinghu.employment_change is None
    small_year(months=3, base=5)
    panel = economy_panel(year=2022, month=3)
    assert (panel.base_month, panel.pinghu.employment_change) == (None, None)


def test_a_region_without_figures_gives_no_gap():
    month(Region.PINGHU, 2022, 1, growth="6.5", employment=100)

    panel = economy_panel(year=2022, month=1)

    assert (panel.pinghu.value_added_growth_pct, panel.jiaxing.value_added_growth_pct, panel.growth_gap_points) == (
        Decimal("6.5"), None, None)


def test_a_year_without_figures_has_no_panel():
    small_year(year=2021)
    assert economy_panel(year=2022, month=8) is None


def test_a_negative_growth_and_a_gap_below():
    month(Region.PINGHU, 2022, 1, growth="-1.25")
    month(Region.JIAXING, 2022, 1, growth="0.75")
    assert economy_panel(year=2022, month=1).growth_gap_points == Decimal("-2")


@pytest.mark.parametrize(("field", "value", "code"), [
    ("value_added_growth_pct", Decimal("-100.01"), "economy_growth_range"),
    ("manufacturing_investment_growth_pct", Decimal("1000.01"), "economy_growth_range"),
    ("employment", 10_000_001, "economy_employment_range"),
])
def test_figures_out_of_bounds_are_refused(field, value, code):
    with pytest.raises(ValidationError) as refused:
        economy_figure_create(region=Region.PINGHU, year=2022, month=1, user=None, **{field: value})
    assert [error.code for error in refused.value.error_dict[field]] == [code]
    assert EconomyFigure.objects.count() == 0


def test_a_month_entered_twice_or_in_the_future_is_refused():
    economy_figure_create(region=Region.PINGHU, year=2022, month=1, user=None, employment=1)
    with pytest.raises(ValidationError) as taken:
        economy_figure_create(region=Region.PINGHU, year=2022, month=1, user=None, employment=2)
    with pytest.raises(ValidationError) as future:
        economy_figure_create(region=Region.PINGHU, year=2100, month=12, user=None, employment=2)
    assert taken.value.error_dict["month"][0].code == "economy_month_taken"
    assert future.value.error_dict["month"][0].code == "economy_future_month"


def test_a_stale_correction_and_a_stale_delete_are_refused(admin_user):
    figure = month(Region.PINGHU, 2022, 1, growth="6", user=admin_user)
    economy_figure_update(figure=figure, expected_version=1, user=admin_user, value_added_growth_pct=Decimal("6.2"))

    with pytest.raises(StaleEditError):
        economy_figure_update(figure=figure, expected_version=1, user=admin_user, value_added_growth_pct=Decimal("7"))
    with pytest.raises(StaleEditError):
        economy_figure_delete(figure=figure, expected_version=1, user=admin_user)

    figure.refresh_from_db()
    assert (figure.value_added_growth_pct, figure.version) == (Decimal("6.2"), 2)
    assert [(row.value_added_growth_pct, row.history_user) for row in figure.history.order_by("history_date")] == [
        (Decimal("6"), admin_user), (Decimal("6.2"), admin_user)]
    economy_figure_delete(figure=figure, expected_version=2, user=admin_user)
    assert figure.history.first().history_type == "-"
