"""The economy in Django's admin: every write through services.economy, with the same history; stale pages refused."""

from decimal import Decimal

import pytest
from django.urls import reverse

from clearance.choices import Region
from clearance.models import EconomyFigure, EconomyYear
from clearance.services.economy import economy_figure_update, economy_year_set

from tests.stability.economy_helpers import month

pytestmark = pytest.mark.django_db


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:clearance_{model._meta.model_name}_{view}", args=args)


def data(**changes) -> dict:
    return {"region": "pinghu", "year": "2022", "month": "8", "value_added_growth_pct": "6.5",
            "manufacturing_investment_yi": "71.7", "manufacturing_investment_growth_pct": "30", "employment": "115000",
            **changes}


def test_a_month_added_in_the_admin_is_recorded_as_the_service_does(admin_client, admin_user):
    response = admin_client.post(admin_url(EconomyFigure, "add"), data())

    assert response.status_code == 302
    figure = EconomyFigure.objects.get()
    assert (figure.value_added_growth_pct, figure.employment, figure.version) == (Decimal("6.5"), 115000, 1)
    assert figure.history.get().history_user == admin_user


def test_a_month_added_twice_or_out_of_bounds_is_refused_with_the_services_message(admin_client):
    month(Region.PINGHU, 2022, 8, growth="6")

    taken = admin_client.post(admin_url(EconomyFigure, "add"), data())
    bounds = admin_client.post(admin_url(EconomyFigure, "add"), data(month="7", manufacturing_investment_growth_pct="2000"))

    assert taken.context["adminform"].form.errors["month"] == ["平湖 2022-08 已有数据，请直接更正。"]
    assert bounds.context["adminform"].form.errors["manufacturing_investment_growth_pct"] == [
        "增速须在 -100% 至 1000% 之间。"]
    assert EconomyFigure.objects.count() == 1


def test_a_correction_on_a_stale_admin_page_is_refused(admin_client, admin_user):
    figure = month(Region.PINGHU, 2022, 8, growth="6")
    economy_figure_update(figure=figure, expected_version=1, user=admin_user, value_added_growth_pct=Decimal("6.2"))

    response = admin_client.post(admin_url(EconomyFigure, "change", figure.pk), data(expected_version="1"))

    assert [error.code for error in response.context["adminform"].form.non_field_errors().as_data()] == ["stale_edit"]
    figure.refresh_from_db()
    assert (figure.value_added_growth_pct, figure.version) == (Decimal("6.2"), 2)
    assert admin_client.post(admin_url(EconomyFigure, "change", figure.pk), data(expected_version="2")).status_code == 302
    figure.refresh_from_db()
    assert (figure.value_added_growth_pct, figure.version) == (Decimal("6.5"), 3)


def test_a_month_deleted_in_the_admin_stays_in_the_history(admin_client, admin_user):
    figure = month(Region.PINGHU, 2022, 8, growth="6")

    admin_client.post(admin_url(EconomyFigure, "delete", figure.pk), {"post": "yes"})

    assert EconomyFigure.objects.count() == 0
    assert (figure.history.first().history_type, figure.history.first().history_user) == ("-", admin_user)


def test_the_base_month_is_set_changed_and_deleted_in_the_admin(admin_client, admin_user):
    added = admin_client.post(admin_url(EconomyYear, "add"), {"year": "2022", "employment_base_month": "3"})
    again = admin_client.post(admin_url(EconomyYear, "add"), {"year": "2022", "employment_base_month": "4"})
    economy_year = EconomyYear.objects.get()
    changed = admin_client.post(admin_url(EconomyYear, "change", economy_year.pk), {"employment_base_month": "6"})

    assert (added.status_code, again.status_code, changed.status_code) == (302, 200, 302)
    assert again.context["adminform"].form.errors["year"] == ["2022 年已设置基准月份，请直接修改。"]
    economy_year.refresh_from_db()
    assert economy_year.employment_base_month == 6
    assert [row.history_user for row in economy_year.history.all()] == [admin_user, admin_user]
    admin_client.post(admin_url(EconomyYear, "delete", economy_year.pk), {"post": "yes"})
    assert EconomyYear.objects.count() == 0
    assert economy_year_set(year=2022, employment_base_month=3).created
