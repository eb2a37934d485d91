"""The site and enterprise pages and the "my towns" workspace: what they show, in a fixed number of queries."""

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from clearance import services
from clearance.choices import Disposal, Stage
from clearance.derived import site_progress
from clearance.models import Enterprise, Event

pytestmark = pytest.mark.django_db
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def many_enterprises(world, site, count: int, *, prefix: str = "企业") -> list[Enterprise]:
    """Add COUNT enterprises to SITE quickly: every one signed on 2022-03-01, every other one vacated on 2022-04-01."""
    enterprises = Enterprise.objects.bulk_create(
        Enterprise(town=world.town, site=site, name=f"{prefix}{n:04d}", is_tenant=n % 2 == 0) for n in range(count)
    )
    events = [Event(enterprise=e, stage=Stage.SIGNED, occurred_on=date(2022, 3, 1)) for e in enterprises]
    events += [Event(enterprise=e, stage=Stage.VACATED, occurred_on=date(2022, 4, 1)) for e in enterprises[::2]]
    Event.objects.bulk_create(events)
    # Written in bulk, as the ledger's import writes: the sites' stored progress rebuilt as it does.
    site_progress.rebuild([world.town.pk])
    return enterprises


# The site page ---------------------------------------------------------------------------


def test_site_page_shows_area_parcels_enterprises_progress_and_timeline(client, world):
    inside = services.enterprise_create(site=world.parcel, name="钢厂租户", user=world.admin, is_tenant=True)
    services.event_record(enterprise=inside, stage=Stage.SIGNED, on=date(2022, 5, 1), user=world.official)
    services.event_record(enterprise=inside, stage=Stage.VACATED, on=date(2022, 6, 1), user=world.official)
    client.force_login(world.leader)

    html = client.get(world.site.get_absolute_url()).content.decode()

    assert '<h1 class="h4 text-break-cjk">六店区域</h1>' in html
    assert '<dd class="col-7 col-sm-8" data-area>100.00 亩</dd>' in html
    assert f'href="{world.parcel.get_absolute_url()}">原胜利钢厂地块</a>' in html
    # 2 enterprises in all (one on the parcel inside): both signed, one vacated.
    assert '<span data-signed-count="2">2 / 2 家</span>' in html
    assert '<span data-vacated-count="1">1 / 2 家</span>' in html
    assert 'style="width: 100%"' in html and 'style="width: 50%"' in html
    # Only the enterprise on the site itself is listed; the parcel's are on the parcel's page.
    assert re.findall(r'data-enterprise="(\d+)"', html) == [str(world.enterprise.pk)]
    assert f'data-enterprise-stage="{Stage.SIGNED.value}">签约</span>' in html
    # The timeline, newest first, includes what happened on the parcel inside.
    timeline = [int(pk) for pk in re.findall(r'data-event="(\d+)"', html)]
    assert timeline == [
        Event.objects.get(enterprise=inside, stage=Stage.VACATED).pk,
        Event.objects.get(enterprise=inside, stage=Stage.SIGNED).pk,
        world.event.pk,
    ]
    assert f'<a class="text-break-cjk" href="{inside.get_absolute_url()}" data-subject>钢厂租户</a>' in html
    assert "记录人：official-a" in html


def test_parcel_page_links_its_area_and_lists_its_enterprises(client, world):
    services.enterprise_create(site=world.parcel, name="钢厂租户", user=world.admin)
    client.force_login(world.leader)

    html = client.get(world.parcel.get_absolute_url()).content.decode()

    assert f'<a href="{world.site.get_absolute_url()}">六店区域</a>' in html
    assert '<span data-signed-count="0">0 / 1 家</span>' in html
    assert "钢厂租户" in html


def test_site_page_highlights_an_overdue_deadline(client, world):
    services.site_update(site=world.site, expected_version=1, user=world.admin, deadline=timezone.localdate() - timedelta(days=1))
    client.force_login(world.leader)

    html = client.get(world.site.get_absolute_url()).content.decode()

    assert re.search(r'<time datetime="[\d-]+" class="text-danger fw-semibold">', html)
    assert '<span class="badge text-bg-danger" data-overdue>逾期</span>' in html


def test_site_page_deadline_not_overdue_once_vacated(client, world):
    services.site_update(site=world.site, expected_version=1, user=world.admin, deadline=date(2022, 5, 1))
    services.event_record(enterprise=world.enterprise, stage=Stage.VACATED, on=date(2022, 4, 1), user=world.admin)
    services.event_record(site=world.site, stage=Stage.VACATED, on=date(2022, 4, 20), user=world.admin)
    client.force_login(world.leader)

    html = client.get(world.site.get_absolute_url()).content.decode()

    assert "data-overdue" not in html
    assert f'data-site-stage="{Stage.VACATED.value}"' in html


def test_site_page_history_shows_who_when_and_old_to_new(client, world):
    services.site_update(site=world.site, expected_version=1, user=world.official, area_mu=Decimal("98.5"), land_use="工业")
    client.force_login(world.leader)

    html = client.get(world.site.get_absolute_url(), **ENGLISH).content.decode()

    change = re.search(r'<li class="list-group-item px-0" data-history-kind="~">(.*?)</ul>', html, re.DOTALL).group(1)
    assert '<span class="fw-semibold" data-history-user>official-a</span>' in change
    assert '<li class="text-break-cjk" data-change>area (mu)：<del class="text-secondary">100.00</del> → <ins>98.50</ins></li>' in change
    assert '<li class="text-break-cjk" data-change>land use：<del class="text-secondary">—</del> → <ins>工业</ins></li>' in change


@pytest.mark.parametrize("count", [5, 500])
def test_site_page_queries_do_not_grow_with_enterprises_and_events(client, world, django_assert_num_queries, count):
    many_enterprises(world, world.site, count)
    many_enterprises(world, world.parcel, 3, prefix="地块内企业")
    client.force_login(world.official)

    # session, user, site (stage, counts, overdue), parcels, enterprises, site event, write check (leaders
    # excluded in it), the subtree's sites and enterprises, timeline events, their photos, gallery photos, site
    # history ×2, event history ×2, the stages recorded by the enterprises (for the stage form's next stage of each)
    with django_assert_num_queries(24):
        response = client.get(world.site.get_absolute_url())

    html = response.content.decode()
    # The count is of everything inside the area: its own enterprises and those on its parcel.
    assert f"data-enterprise-count>{count + 1 + 3}</span>" in html
    assert f'data-signed-count="{count + 3 + 1}"' in html
    assert f'data-vacated-count="{(count + 1) // 2 + 2}"' in html
    assert html.count('data-enterprise="') == count + 1
    assert html.count('name="bulk-enterprises"') == count + 1
    # The timeline shows the latest 50 events and offers the rest.
    events = Event.objects.filter(enterprise__town=world.town).count()
    assert html.count('data-event="') == min(50, events)
    assert ("?events=all#timeline" in html) == (events > 50)


# The enterprise page ---------------------------------------------------------------------


def test_enterprise_page_shows_its_plan(client, world):
    group = world.town.pairings.get().task_force.attack_groups.get()
    services.enterprise_update(
        enterprise=world.enterprise, expected_version=1, user=world.admin, disposal=Disposal.UPGRADE,
        responsible_group=group, plan_deadline=date(2022, 9, 30), plan_notes="原地改造提升",
    )
    client.force_login(world.leader)

    html = client.get(world.enterprise.get_absolute_url()).content.decode()

    plan = re.search(r"<section class=\"card h-100\" aria-labelledby=\"plan-heading\" data-plan>(.*?)</section>", html, re.DOTALL).group(1)
    assert "一企一策" in plan
    assert '<dd class="col-7" data-disposal>改造提升</dd>' in plan
    assert "曹桥街道第一攻坚小组" in plan
    assert "2022-09-30" in plan
    assert "原地改造提升" in plan
    assert "改造提升：企业原地保留，“销号”只需先“签约”。" in plan
    assert '<span class="badge text-bg-danger" data-overdue>逾期</span>' in plan


@pytest.mark.parametrize("corrections", [1, 20])
def test_enterprise_page_queries_do_not_grow_with_events_and_history(client, world, django_assert_num_queries, corrections):
    many_enterprises(world, world.site, 50)
    services.event_record(enterprise=world.enterprise, stage=Stage.VACATED, on=date(2022, 4, 1), user=world.admin)
    event = Event.objects.get(pk=world.event.pk)
    for day in range(corrections):
        event = services.event_correct(event=event, expected_version=event.version, user=world.official, note=f"第{day}次")
    client.force_login(world.official)

    # session, user, enterprise (stage, overdue), events, their photos, write check (leaders excluded in it),
    # enterprise history ×2, event history ×2, its evaluated self with its latest class
    with django_assert_num_queries(12):
        response = client.get(world.enterprise.get_absolute_url())

    html = response.content.decode()
    assert re.findall(r'data-stage="(\d+)"', html) == [str(Stage.VACATED.value), str(Stage.SIGNED.value)]
    assert html.count('data-history-kind="~"') == corrections


# The "my towns" workspace ---------------------------------------------------------------


def test_workspace_lists_the_officials_own_towns(client, world):
    client.force_login(world.official)

    html = client.get(reverse("clearance:workspace")).content.decode()

    assert re.findall(r'data-town="(\d+)"', html) == [str(world.town.pk)]
    assert "由您记录" in html


def test_workspace_lists_every_town_for_a_leader_to_read(client, world):
    client.force_login(world.leader)

    html = client.get(reverse("clearance:workspace")).content.decode()

    assert sorted(re.findall(r'data-town="(\d+)"', html)) == sorted([str(world.town.pk), str(world.other_town.pk)])
    assert "由您记录" not in html


@pytest.fixture
def ledger(world):
    """Enterprises of the world's town with different stages, methods, categories and deadlines."""
    overdue_day = timezone.localdate() - timedelta(days=10)
    rows = {
        "甲": world.enterprise,  # signed, no method, tenant
        "改造": services.enterprise_create(site=world.site, name="改造企业", user=world.admin, disposal=Disposal.UPGRADE,
                                         is_high_consumption=True, plan_deadline=overdue_day),
        "关停": services.enterprise_create(site=world.parcel, name="关停企业", user=world.admin, disposal=Disposal.SHUT_DOWN,
                                         is_two_high_one_low=True, is_tenant=True),
    }
    services.event_record(enterprise=rows["改造"], stage=Stage.SIGNED, on=date(2022, 3, 1), user=world.admin)
    services.event_record(enterprise=rows["改造"], stage=Stage.CLOSED, on=date(2022, 3, 20), user=world.admin)
    services.event_record(enterprise=rows["关停"], stage=Stage.SURVEYED, on=date(2022, 2, 1), user=world.admin)
    services.enterprise_update(enterprise=world.enterprise, expected_version=1, user=world.admin, plan_deadline=overdue_day)
    return rows


def names_in_table(html: str) -> list[str]:
    return re.findall(r'<td class="cell-name"[^>]*><a href="/(?:enterprises|sites)/\d+/">([^<]+)</a>', html)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["关停企业", "改造企业", "示例企业甲"]),
        ({"stage": str(Stage.SIGNED.value)}, ["示例企业甲"]),
        ({"stage": str(Stage.CLOSED.value)}, ["改造企业"]),
        ({"disposal": Disposal.SHUT_DOWN}, ["关停企业"]),
        ({"category": "is_high_consumption"}, ["改造企业"]),
        ({"category": "is_two_high_one_low"}, ["关停企业"]),
        ({"tenant": "true"}, ["关停企业", "示例企业甲"]),
        ({"tenant": "false"}, ["改造企业"]),
        # 改造企业 is past its deadline but closed out: not overdue.
        ({"overdue": "true"}, ["示例企业甲"]),
        ({"name": "关停"}, ["关停企业"]),
    ],
)
def test_enterprise_table_filters(client, world, ledger, query, expected):
    client.force_login(world.leader)

    html = client.get(reverse("clearance:workspace_enterprises", args=[world.town.pk]), query).content.decode()

    assert names_in_table(html) == expected


def test_enterprise_table_sorts_by_stage(client, world, ledger):
    client.force_login(world.official)
    url = reverse("clearance:workspace_enterprises", args=[world.town.pk])

    ascending = names_in_table(client.get(url, {"sort": "stage"}).content.decode())
    descending = names_in_table(client.get(url, {"sort": "-stage"}).content.decode())

    assert ascending == ["关停企业", "示例企业甲", "改造企业"]
    assert descending == ["改造企业", "示例企业甲", "关停企业"]


def test_site_table_shows_progress_counts_and_filters_by_stage(client, world, ledger):
    client.force_login(world.official)
    url = reverse("clearance:workspace_sites", args=[world.town.pk])

    html = client.get(url).content.decode()
    surveyed = client.get(url, {"stage": str(Stage.SURVEYED.value)}).content.decode()

    row = re.search(r"<tr[^>]*>\s*<td[^>]*><a href=\"/sites/%d/\">六店区域</a>.*?</tr>" % world.site.pk, html, re.DOTALL).group(0)
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)]
    # name, stage (the least advanced of the enterprises on the site and its parcels: an area is placed by what is
    # inside it; right after the name so that a phone shows it), parent, area, enterprises (the parcel's included),
    # signed, vacated, deadline
    assert cells == ["六店区域", "摸底", "—", "100.00", "3", "2", "0", "—"]
    assert names_in_table(surveyed) == ["六店区域", "原胜利钢厂地块"]


@pytest.mark.parametrize("count", [5, 500])
def test_workspace_tables_paginate_in_a_fixed_number_of_queries(client, world, django_assert_num_queries, count):
    many_enterprises(world, world.site, count)
    client.force_login(world.official)

    # session, user, town, the town's attack groups (the group filter's choices and sort order), count,
    # page of rows, write check (leaders excluded in it)
    with django_assert_num_queries(7):
        response = client.get(reverse("clearance:workspace_enterprises", args=[world.town.pk]))

    html = response.content.decode()
    assert len(names_in_table(html)) == min(25, count + 1)
    assert f'data-row-count="{count + 1}"' in html


def test_export_csv_has_the_filtered_rows_only(client, world, ledger):
    client.force_login(world.leader)

    response = client.get(reverse("clearance:workspace_enterprises", args=[world.town.pk]), {"tenant": "true", "_export": "csv"})

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert response["Content-Disposition"].startswith('attachment; filename="enterprises-town')
    assert rows[0] == ["企业", "进度节点", "地块", "企业类型", "处置方式", "责任攻坚小组", "计划完成期限", "腾出用能（吨标准煤）", "统一社会信用代码"]
    assert [row[0] for row in rows[1:]] == ["关停企业", "示例企业甲"]
    assert rows[1][1:5] == ["摸底", "原胜利钢厂地块", "两高一低、租赁企业", "关停淘汰"]


def test_export_xlsx_has_the_filtered_rows_with_numbers(client, world, ledger):
    client.force_login(world.leader)

    response = client.get(reverse("clearance:workspace_sites", args=[world.town.pk]), {"name": "六店", "_export": "xlsx"})

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["地块", "进度节点", "所属区域", "面积（亩）", "企业", "签约", "腾退", "完成期限"]
    assert rows[1:] == [["六店区域", "摸底", None, 100, 3, 2, 0, None]]  # the area takes the least advanced stage inside it
