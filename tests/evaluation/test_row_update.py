"""Correcting one enterprise's evaluation data on a page: the version check, the year scored again, the history."""

from decimal import Decimal

import pytest
from django.urls import reverse

from clearance.choices import SizeClass

from tests.evaluation.helpers import four_below, grades
from tests.factories import TownFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(db):
    return four_below(TownFactory(name="试点镇"))


def row_post(row, **changes) -> dict:
    data = {"version": row.version, "size": row.size, "exempt": "on" if row.exempt else ""}
    for name in ("land_mu", "tax_wan", "value_added_wan", "revenue_wan", "energy_tce", "emission_t", "rd_wan",
                 "employees", "power_10k_kwh"):
        value = getattr(row, name)
        data[name] = "" if value is None else str(value)
    data.update(changes)
    return {name: value for name, value in data.items() if value != ""}


def test_a_correction_scores_the_year_again_and_shows_in_the_history(rows, admin_client, admin_user):
    row = rows["丁"]
    url = reverse("clearance:indicator_row_update", args=[row.pk])

    # 丁's tax 10 → 200: tax per mu 20, the mean (10+5+2+20)/4 = 9.25 → capped 75; power 200/10 = 20, capped 75: 150.
    response = admin_client.post(url, row_post(row, tax_wan="200"), follow=True)

    assert [str(message) for message in response.context["messages"]] == ["丁 2022 年度亩均数据已保存，2022 年度已重新评分。"]
    row.refresh_from_db()
    assert (row.tax_wan, row.total, row.grade, row.version) == (Decimal("200"), Decimal("150"), "B", 2)
    assert grades(rows)["乙"] == "B"
    assert "10.000000</del> → <ins>200.000000" in response.content.decode()
    assert row.history.latest("history_date").history_user == admin_user


def test_marking_a_row_not_graded_takes_it_out_of_the_classes(rows, admin_client):
    admin_client.post(reverse("clearance:indicator_row_update", args=[rows["丙"].pk]), row_post(rows["丙"], exempt="on"))

    # Three graded: 乙 1 (0.33 B), 甲 2 (0.67 B), 丁 3 (1.0 D); 丙 listed without a class.
    assert grades(rows) == {"甲": "B", "乙": "B", "丙": "", "丁": "D"}


def test_a_stale_correction_is_refused_and_changes_nothing(rows, admin_client, admin_user):
    from clearance.services.evaluation import indicator_row_update

    row = rows["丁"]
    stale = row_post(row, tax_wan="300")
    indicator_row_update(row=row, expected_version=1, user=admin_user, size=SizeClass.ABOVE)

    response = admin_client.post(reverse("clearance:indicator_row_update", args=[row.pk]), stale)

    assert response.status_code == 409
    row.refresh_from_db()
    assert (row.tax_wan, row.size, row.version) == (Decimal("10"), SizeClass.ABOVE, 2)


def test_a_negative_land_area_is_refused_with_a_message(rows, admin_client):
    response = admin_client.post(reverse("clearance:indicator_row_update", args=[rows["丁"].pk]),
                                 row_post(rows["丁"], land_mu="-3"))

    assert response.status_code == 200
    assert "确保该值大于或等于0。" in response.content.decode()
    rows["丁"].refresh_from_db()
    assert rows["丁"].land_mu == Decimal("10")


def test_only_admins_open_the_correction_page(rows, client, leader, official):
    url = reverse("clearance:indicator_row_update", args=[rows["丁"].pk])
    for user in (leader, official):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, row_post(rows["丁"], tax_wan="300")).status_code == 403
    rows["丁"].refresh_from_db()
    assert rows["丁"].tax_wan == Decimal("10")
