"""Reading projects: the list with its filters, commitments, overdue marks and export; a project's page with its
履约 reason; a site's life from clearance to reuse; each page in a fixed number of queries."""

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clearance import services
from clearance.choices import Disposal, PhotoPhase, ProjectKind, ProjectStage, Stage
from clearance.models import Project, Town
from tests.evaluation.builders import below
from tests.factories import TownFactory
from tests.reuse.builders import project as build_project
from tests.reuse.pages import png, vacate

pytestmark = pytest.mark.django_db


def query_count(client, url: str) -> int:
    client.get(url)  # Warm the caches (session, content types) before counting.
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def grow(world, count: int, *, start: int = 0):
    """Add COUNT vacated parcels to the world's area, each with a departed enterprise, a clearance photo and a
    project taking part of it that reached two stages with a photo."""
    for number in range(start, start + count):
        parcel = services.site_create(town=world.town, name=f"地块{number:03d}", area_mu=Decimal("10"),
                                      parent=world.site, user=world.admin)
        enterprise = services.enterprise_create(site=parcel, name=f"企业{number:03d}", user=world.admin,
                                                disposal=Disposal.VACATE)
        signed = services.event_record(enterprise=enterprise, stage=Stage.SIGNED, on=date(2022, 1, 10), user=None)
        services.photo_add(event=signed, upload=png(), phase=PhotoPhase.BEFORE, user=None)
        services.event_record(enterprise=enterprise, stage=Stage.VACATED, on=date(2022, 2, 10), user=None)
        vacate(parcel, date(2022, 3, 1))
        project = build_project(world.town, f"项目{number:03d}", investment="1000", tax="3",
                                full_production_on=date(2023, 1, 31), land=[(parcel, "6")])
        services.project_event_record(project=project, stage=ProjectStage.SIGNED, on=date(2022, 4, 1), user=None)
        supplied = services.project_event_record(project=project, stage=ProjectStage.LAND_SUPPLIED,
                                                 on=date(2022, 5, 1), user=world.official)
        services.photo_add(event=supplied, upload=png(), phase=PhotoPhase.AFTER, user=None)


@pytest.mark.parametrize("page", ["list", "project", "site"])
def test_pages_keep_a_fixed_number_of_queries(as_official, world, media, page):
    counts = []
    for size, start in ((1, 0), (6, 1)):
        grow(world, size, start=start)
        url = {
            "list": reverse("clearance:project_list"),
            "project": world.town.projects.order_by("pk").first().get_absolute_url(),
            "site": world.site.get_absolute_url(),
        }[page]
        counts.append(query_count(as_official, url))
        if page == "project":
            # The first project grows too: more land, its later stages, more photos.
            first = world.town.projects.order_by("pk").first()
            if size == 1:
                parcel = services.site_create(town=world.town, name="加地块", area_mu=Decimal("5"), user=world.admin)
                vacate(parcel, date(2022, 3, 1))
                services.project_land_set(project=first, site=parcel, area_mu=Decimal("5"),
                                          expected_version=first.version, user=world.admin)
                services.project_event_record(project=first, stage=ProjectStage.CONSTRUCTION_STARTED,
                                              on=date(2022, 6, 1), user=None, photos=[png(), png()])

    assert counts[0] == counts[1]


@pytest.fixture
def listed(world):
    """Three projects of the world's town: one met by the evaluation yet overdue (its 达产 not recorded), one late
    to start, a 复垦 past its deadline."""
    vacate(world.parcel)
    today = timezone.localdate()
    runs = below(world.town, "嘉创运营公司", year=2022, land="10", tax="40", power="10").enterprise
    met = build_project(world.town, "达标项目", investment="5000", tax="3", full_production_on=date(2022, 1, 31),
                        operator=runs, land=[(world.parcel, "10")])
    late = build_project(world.town, "逾期项目", investment="800", land=[(world.parcel, "5")])
    services.project_update(project=late, expected_version=late.version, user=None,
                            committed_start_on=today - timedelta(days=10),
                            committed_full_production_on=today + timedelta(days=800))
    farm = build_project(world.town, "复垦项目", kind=ProjectKind.RECLAMATION, land=[(world.parcel, "2")])
    services.project_update(project=farm, expected_version=farm.version, user=None, deadline=date(2022, 12, 31))
    services.project_event_record(project=met, stage=ProjectStage.SIGNED, on=date(2021, 6, 1), user=None)
    services.project_event_record(project=met, stage=ProjectStage.LAND_SUPPLIED, on=date(2022, 5, 2), user=None)
    return {"met": met, "late": late, "farm": farm}


def rows_of(response) -> dict[str, object]:
    return {row.record.name: row.record for row in response.context["table"].page.object_list}


def test_list_shows_stage_commitment_and_overdue(as_official, listed):
    response = as_official.get(reverse("clearance:project_list"))

    rows = rows_of(response)
    assert {name: (row.stage, row.commitment_state, row.is_overdue) for name, row in rows.items()} == {
        "达标项目": (ProjectStage.LAND_SUPPLIED, "met", True),
        "逾期项目": (None, "not_due", True),
        "复垦项目": (None, "", True),
    }
    html = response.content.decode()
    assert html.count("data-overdue") == 3
    assert 'data-commitment="met"' in html


@pytest.mark.parametrize(("query", "names"), [
    ({"kind": "reclamation"}, {"复垦项目"}),
    ({"stage": str(int(ProjectStage.LAND_SUPPLIED))}, {"达标项目"}),
    ({"stage": "none"}, {"逾期项目", "复垦项目"}),
    ({"overdue": "true"}, {"达标项目", "逾期项目", "复垦项目"}),
    ({"overdue": "false"}, set()),
    ({"commitment": "met"}, {"达标项目"}),
    ({"name": "逾期"}, {"逾期项目"}),
])
def test_list_filters(as_official, listed, query, names):
    assert set(rows_of(as_official.get(reverse("clearance:project_list"), query))) == names


def test_the_overdue_filter_splits_the_list_as_the_overdue_marks_do(as_official, world, listed):
    today = timezone.localdate()
    # Not overdue: no committed date; a start committed in the past and recorded by then; a start still to come;
    # a 复垦 whose deadline is today (passed only tomorrow).
    build_project(world.town, "无承诺项目", investment="1")
    kept = build_project(world.town, "按期开工项目", investment="1", land=[(world.parcel, "0.5")])
    services.project_update(project=kept, expected_version=kept.version, user=None,
                            committed_start_on=today - timedelta(days=30))
    for stage, on in ((ProjectStage.SIGNED, today - timedelta(days=60)), (ProjectStage.LAND_SUPPLIED, today - timedelta(days=50)),
                      (ProjectStage.CONSTRUCTION_STARTED, today - timedelta(days=40))):
        services.project_event_record(project=kept, stage=stage, on=on, user=None)
    coming = build_project(world.town, "未到开工项目", investment="1")
    services.project_update(project=coming, expected_version=coming.version, user=None,
                            committed_start_on=today + timedelta(days=5))
    farm = build_project(world.town, "今日复垦项目", kind=ProjectKind.RECLAMATION)
    services.project_update(project=farm, expected_version=farm.version, user=None, deadline=today)

    marked = rows_of(as_official.get(reverse("clearance:project_list")))
    overdue = set(rows_of(as_official.get(reverse("clearance:project_list"), {"overdue": "true"})))
    on_time = set(rows_of(as_official.get(reverse("clearance:project_list"), {"overdue": "false"})))

    assert overdue == {name for name, row in marked.items() if row.is_overdue} == {"达标项目", "逾期项目", "复垦项目"}
    assert on_time == {name for name, row in marked.items() if not row.is_overdue} == {
        "无承诺项目", "按期开工项目", "未到开工项目", "今日复垦项目"}


def test_list_filters_by_town(as_official, world, listed):
    build_project(world.other_town, "林埭项目", investment="1")

    rows = rows_of(as_official.get(reverse("clearance:project_list"), {"town": str(world.other_town.pk)}))

    assert set(rows) == {"林埭项目"}


def test_list_exports_as_filtered_with_numbers(as_official, listed):
    url = reverse("clearance:project_list")

    csv_rows = list(csv.reader(io.StringIO(as_official.get(url, {"_export": "csv", "kind": "investment"})
                                           .content.decode("utf-8-sig"))))
    sheet = openpyxl.load_workbook(io.BytesIO(as_official.get(url, {"_export": "xlsx"}).content)).active

    assert csv_rows[0] == ["项目名称", "已达节点", "镇街道", "类型", "投资方", "产业类别", "用地面积（亩）", "承诺投资（万元）",
                           "节点日期", "承诺达产日期", "履约", "逾期"]
    assert sorted(row[0] for row in csv_rows[1:]) == ["达标项目", "逾期项目"]
    met = next(row for row in sheet.iter_rows(values_only=True) if row[0] == "达标项目")
    assert 5000 in met and 10 in met


def test_project_page_says_why_the_commitment_is_met(as_official, listed):
    html = as_official.get(listed["met"].get_absolute_url()).content.decode()

    assert 'data-commitment="met"' in html
    assert "2022" in html and "嘉创运营公司" in html and "4.00" in html


def test_project_page_says_why_a_commitment_is_unverified(as_official, world, listed):
    services.project_update(project=listed["met"], expected_version=listed["met"].version, user=None, operator=None)

    html = as_official.get(listed["met"].get_absolute_url()).content.decode()

    assert 'data-commitment="unverified"' in html
    assert "未指定运营企业" in html


def test_site_shows_its_life_from_clearance_to_reuse(as_official, world, media):
    grow(world, 2)

    html = as_official.get(world.site.get_absolute_url()).content.decode()
    reuse = as_official.get(world.site.get_absolute_url()).context["reuse"]

    assert [enterprise.name for enterprise in reuse.departed] == ["企业000", "企业001"]
    assert [(event.site.name, event.occurred_on) for event in reuse.vacated] == [
        ("地块000", date(2022, 3, 1)), ("地块001", date(2022, 3, 1))]
    assert [(entry.project.name, entry.area_here, entry.stage) for entry in reuse.projects] == [
        ("项目000", Decimal("6.00"), ProjectStage.LAND_SUPPLIED), ("项目001", Decimal("6.00"), ProjectStage.LAND_SUPPLIED)]
    assert (len(reuse.before), len(reuse.after)) == (2, 2)
    assert reuse.free_mu == Decimal("8.00")
    assert "data-new-project" in html


def test_site_life_offers_no_new_project_to_a_leader(client, world, media):
    grow(world, 1)
    client.force_login(world.leader)

    html = client.get(world.site.get_absolute_url()).content.decode()

    assert "data-site-life" in html
    assert "data-new-project" not in html


def test_new_project_from_a_site_lands_on_its_land_form(as_official, world, media):
    vacate(world.parcel)
    url = reverse("clearance:project_create") + f"?town={world.town.pk}&site={world.parcel.pk}"

    response = as_official.post(url, {"name": "新项目", "kind": "reclamation", "deadline": "2023-01-01"})

    assert response.status_code == 302
    assert response.url.endswith(f"?site={world.parcel.pk}#land")
    page = as_official.get(response.url)
    assert page.context["land_form"].initial["site"] == world.parcel.pk
    # The land form is open with the site checked, its free land and 腾退 date shown.
    html = page.content.decode()
    assert re.search(rf'<input[^>]*name="site" value="{world.parcel.pk}"[^>]*checked', html)
    assert "原胜利钢厂地块 · 共 20.43 亩，空余 20.43 亩 · 2022-05-01 腾退" in html
    assert re.search(r'<details class="card bulk-panel" open>', html)


# Towns whose display order is neither their creation's nor their names' (two share an order: by name then).
TOWNS = {"丙镇": 1, "甲镇": 2, "乙镇": 2, "丁镇": 0}


def _spread(*, start: int, count: int):
    """Add COUNT projects spread over TOWNS, numbered from START, their names not in their creation's order: every
    third late to start, every fourth a 复垦 past its deadline, every fifth 招商项目 signed."""
    towns = [TownFactory(name=name, display_order=order) for name, order in TOWNS.items()]
    today = timezone.localdate()
    for number in range(start, start + count):
        kind = ProjectKind.RECLAMATION if number % 4 == 3 else ProjectKind.INVESTMENT
        made = build_project(towns[number % len(towns)], f"项目{(number * 37) % 1000:03d}", kind=kind, investment="100")
        if number % 3 == 0:
            made = services.project_update(project=made, expected_version=made.version, user=None,
                                           committed_start_on=today - timedelta(days=3))
        if kind == ProjectKind.RECLAMATION:
            services.project_update(project=made, expected_version=made.version, user=None,
                                    deadline=today - timedelta(days=1))
        if number % 5 == 0 and kind == ProjectKind.INVESTMENT:
            services.project_event_record(project=made, stage=ProjectStage.SIGNED, on=date(2022, 4, 1), user=None)


@pytest.mark.parametrize("query", [{}, {"overdue": "true"}, {"sort": "-stage"}, {"page": "2"}])
def test_list_reads_a_page_in_the_same_queries_at_two_sizes(as_official, query):
    url = f"{reverse('clearance:project_list')}?{urlencode(query)}"
    counts = []
    for start, count in ((0, 8), (8, 100)):
        _spread(start=start, count=count)
        counts.append(query_count(as_official, url))

    # session, user; the period twice; whether the user may create (a group, the towns written for); the filter's
    # towns; the rows' count and one page of them
    assert counts == [9, 9]


def test_list_is_in_the_towns_display_order_then_by_name_page_after_page(as_official):
    _spread(start=0, count=70)
    url = reverse("clearance:project_list")

    shown = [(row.record.town.name, row.record.name) for number in (1, 2)
             for row in as_official.get(url, {"page": number}).context["table"].page.object_list]

    order = {town.pk: (town.display_order, town.name) for town in Town.objects.all()}
    expected = sorted(Project.objects.all(), key=lambda each: (*order[each.town_id], each.name))
    assert shown == [(order[each.town_id][1], each.name) for each in expected]
    assert shown[0][0] == "丁镇" and shown[-1][0] == "甲镇" and len(shown) == 70
