"""The economy's pages: everyone reads the months, admins enter and correct them; stale pages refused; fixed queries."""

from decimal import Decimal

import pytest
from django.urls import reverse

from clearance.choices import Region
from clearance.models import EconomyFigure, EconomyYear
from clearance.services.economy import economy_figure_update

from tests.dashboard_helpers import body_rows
from tests.stability.economy_helpers import economy_card, month, small_year

pytestmark = pytest.mark.django_db

URL = reverse("clearance:economy")


def entry(**changes) -> dict:
    return {"region": "pinghu", "year": "2022", "month": "8", "value_added_growth_pct": "6.5",
            "manufacturing_investment_yi": "71.7", "manufacturing_investment_growth_pct": "30", "employment": "115000",
            **changes}


def test_everyone_reads_the_months_of_the_year(client, leader):
    small_year(months=2, base=1)
    client.force_login(leader)

    page = client.get(URL, {"year": 2022}).content.decode()

    rows = body_rows(page, "economy-months")
    assert len(rows) == 12
    assert rows[0][1] == ["1 基准", "6", "10", "20", "1,100", "2.5", "80", "10", "9,050"]
    assert rows[2][1] == ["3", "—", "—", "—", "—", "—", "—", "—", "—"]
    assert "用工增减以2022年1月末为基准。" in page
    assert "data-economy-form" not in page


@pytest.mark.parametrize("role", ["official", "leader"])
def test_officials_and_leaders_cannot_write(client, role, request):
    client.force_login(request.getfixturevalue(role))

    refused = client.post(URL, entry())
    base = client.post(f"{URL}?year=2022", {"employment_base_month": "3"})

    assert (refused.status_code, base.status_code) == (403, 403)
    assert (EconomyFigure.objects.count(), EconomyYear.objects.count()) == (0, 0)


def test_an_admin_enters_a_month_and_the_base_month_and_the_dashboard_shows_them(admin_client, admin_user):
    month(Region.PINGHU, 2022, 3, employment=111800)
    month(Region.JIAXING, 2022, 8, growth="3.1")

    entered = admin_client.post(URL, entry())
    based = admin_client.post(f"{URL}?year=2022", {"employment_base_month": "3"})

    assert (entered.status_code, based.status_code) == (302, 302)
    figure = EconomyFigure.objects.get(region=Region.PINGHU, year=2022, month=8)
    assert (figure.value_added_growth_pct, figure.employment, figure.history.get().history_user) == (
        Decimal("6.5"), 115000, admin_user)
    assert EconomyYear.objects.get(year=2022).employment_base_month == 3
    dashboard = admin_client.get(reverse("clearance:home"), {"year": 2022, "month": 8}).content.decode()
    assert economy_card(dashboard, "value_added_growth_pct") == "规上工业增加值增速 6.5 % 嘉兴 3.1 % 高于嘉兴 3.4 个百分点"
    assert "较2022年3月末 +3,200" in economy_card(dashboard, "employment")


def test_bounds_are_refused_with_chinese_messages_on_the_fields(admin_client):
    response = admin_client.post(URL, entry(value_added_growth_pct="-150", employment="-1",
                                            manufacturing_investment_yi="1.234"))

    form = response.context["form"]
    assert response.status_code == 200
    assert form.errors["employment"] == ["确保该值大于或等于0。"]
    assert form.errors["manufacturing_investment_yi"] == ["确认小数不超过 2 位."]
    assert EconomyFigure.objects.count() == 0
    refused = admin_client.post(URL, entry(value_added_growth_pct="-150"))
    assert refused.context["form"].errors["value_added_growth_pct"] == ["增速须在 -100% 至 1000% 之间。"]


def test_a_correction_on_a_page_loaded_before_someone_else_saved_is_refused(admin_client, admin_user):
    figure = month(Region.PINGHU, 2022, 8, growth="6.4")
    page = admin_client.get(URL, {"year": 2022, "region": "pinghu", "month": 8})
    assert page.context["form"].initial["version"] == 1
    economy_figure_update(figure=figure, expected_version=1, user=admin_user, value_added_growth_pct=Decimal("6.3"))

    response = admin_client.post(URL, entry(version="1"))

    assert response.status_code == 409
    assert "data-conflict" in response.content.decode()
    figure.refresh_from_db()
    assert (figure.value_added_growth_pct, figure.version) == (Decimal("6.3"), 2)
    assert admin_client.post(URL, entry(version="2")).status_code == 302


def test_a_month_entered_by_someone_else_meanwhile_is_not_overwritten(admin_client):
    month(Region.PINGHU, 2022, 8, growth="6.4")

    # The form was opened for a new month (no version): the month now has figures.
    response = admin_client.post(URL, entry())

    assert response.status_code == 409
    assert EconomyFigure.objects.get().value_added_growth_pct == Decimal("6.4")


def test_a_bad_year_is_a_400_that_says_why(client, leader):
    client.force_login(leader)
    response = client.get(URL, {"year": "1999"})
    assert response.status_code == 400
    assert "年度须为 2000 至 2100 之间的年份，如 2022。" in response.content.decode()


@pytest.mark.parametrize("years", [1, 4])
def test_the_economy_page_runs_a_fixed_number_of_queries(admin_client, django_assert_num_queries, years):
    for year in range(2022 - years, 2022):
        small_year(year=year, months=12)
    admin_client.get(URL, {"year": 2021})
    # The session and user, the months of the year, its base month, the years with figures.
    with django_assert_num_queries(5):
        page = admin_client.get(URL, {"year": 2021}).content.decode()
    assert len(body_rows(page, "economy-months")) == 12


@pytest.mark.parametrize("months", [1, 8])
def test_the_dashboard_with_the_economy_runs_a_fixed_number_of_queries(client, leader, django_assert_num_queries,
                                                                        months):
    small_year(months=months, base=1)
    small_year(year=2021, months=12)
    client.force_login(leader)
    period = {"year": 2022, "month": 8}
    client.get(reverse("clearance:home"), period)
    # The dashboard's own queries (the register's counts and the reuse summary's 5 among them) and one for the
    # economy (the figures with the year's base month).
    with django_assert_num_queries(23):
        page = client.get(reverse("clearance:home"), period).content.decode()
    assert "data-economy-panel" in page
    with django_assert_num_queries(19):
        bulletin = client.get(reverse("clearance:bulletin"), period).content.decode()
    assert "data-bulletin-economy" in bulletin


def test_the_dashboard_hides_the_economy_of_a_year_without_figures(client, leader):
    small_year(year=2021)
    client.force_login(leader)
    assert "data-economy-panel" not in client.get(reverse("clearance:home"), {"year": 2022, "month": 8}).content.decode()
    assert "data-bulletin-economy" not in client.get(reverse("clearance:bulletin"),
                                                     {"year": 2022, "month": 8}).content.decode()
