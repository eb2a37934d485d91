"""One English word, two Chinese meanings: each meaning has its own message context; figures grouped alike in both languages."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import translation

from clearance import services
from clearance.choices import METRIC_UNITS, Metric, TownKind
from clearance.admin.places import PairingAdmin
from clearance.models import Enterprise, Town

from tests.language import visible_text


def in_chinese(text) -> str:
    with translation.override("zh-hans"):
        return str(text)


def test_enterprises_as_a_unit_is_家_and_as_the_model_企业():
    unit = METRIC_UNITS[Metric.ENTERPRISES_RECTIFIED]

    assert (in_chinese(unit), in_chinese(Enterprise._meta.verbose_name_plural)) == ("家", "企业")


def test_town_as_a_kind_is_镇_and_as_the_model_镇街道():
    assert (in_chinese(TownKind.TOWN.label), in_chinese(Town._meta.verbose_name)) == ("镇", "镇街道")


def test_active_of_a_pairing_is_在任_and_of_a_user_有效():
    user_active = get_user_model()._meta.get_field("is_active").verbose_name

    assert (in_chinese(PairingAdmin.is_active.short_description), in_chinese(user_active)) == ("在任", "有效")


def test_town_admin_offers_镇_as_the_kind_and_user_list_filters_on_有效(admin_client):
    services.town_upsert(name="新埭镇", kind=TownKind.TOWN, user=None)

    town_list = visible_text(admin_client.get(reverse("admin:clearance_town_changelist")).content.decode())
    user_list = visible_text(admin_client.get(reverse("admin:auth_user_changelist")).content.decode())
    kinds = admin_client.get(reverse("admin:clearance_town_add")).context["adminform"].form.fields["kind"].choices

    assert "新埭镇 镇 " in town_list
    assert kinds == [("subdistrict", "街道"), ("town", "镇"), ("development_zone", "开发区")]
    assert "以 有效" in user_list
    assert "在任" not in user_list


def test_pairing_admin_filters_on_在任(admin_client, world):
    html = visible_text(admin_client.get(reverse("admin:clearance_pairing_changelist")).content.decode())

    assert "以 在任联挂 全部 在任 已结束" in html


def test_workspace_heading_reads_您所在的专班(as_official):
    html = visible_text(as_official.get(reverse("clearance:workspace")).content.decode())

    assert "您所在的专班负责的镇街道，由您记录其进度。" in html
    assert "所在在任" not in html


def test_enterprise_export_sheet_is_named_企业(as_official, world):
    response = as_official.get(reverse("clearance:workspace_enterprises", args=[world.town.pk]), {"_export": "xlsx"})

    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["企业"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_figures_group_thousands_with_commas_in_both_languages(language):
    with translation.override(language):
        shown = [floatformat(Decimal("50000"), "-2g"), floatformat(Decimal("3163.5"), "2g"), floatformat(190, "g")]

    assert shown == ["50,000", "3,163.50", "190"]


def test_dashboard_in_chinese_groups_the_target_and_the_api_and_export_keep_numbers(client, world):
    services.target_set(year=2022, metric=Metric.ENERGY_FREED_TCE, value=Decimal("45000"), user=world.admin)
    client.force_login(world.leader)
    august = {"year": 2022, "month": 8}

    page = visible_text(client.get(reverse("clearance:home"), august).content.decode())
    api = client.get(reverse("api_summary"), august).json()
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("clearance:home"), {**august, "_export": "xlsx"}).content)
    ).active
    header, *_towns, city = list(sheet.iter_rows(values_only=True))

    assert "45,000 吨标准煤" in page
    assert api["metrics"]["energy_freed_tce"]["target"] == 45000.0
    assert city[header.index("腾出用能 目标（吨标准煤）")] == 45000


def test_site_form_keeps_its_area_input_ungrouped_and_parses_it_back(as_official, world):
    services.site_update(site=world.site, expected_version=world.site.version, area_mu=Decimal("1234.50"), user=world.admin)
    world.site.refresh_from_db()
    url = reverse("clearance:site_update", args=[world.site.pk])

    form = as_official.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    response = as_official.post(
        url, {"version": world.site.version, "name": world.site.name, "area_mu": "1234.50", "deadline": "2022-10-01"}
    )

    world.site.refresh_from_db()
    assert 'value="1234.50"' in form
    assert response.status_code == 302
    assert world.site.area_mu == Decimal("1234.50")
