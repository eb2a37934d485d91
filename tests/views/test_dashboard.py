"""The ranking dashboard, a town's page, the exports and the bulletin: what a user sees, with the demo and by hand."""

import csv
import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.template import Context, Template
from django.urls import reverse

from clearance import selectors, services
from clearance.choices import Metric, Stage
from clearance.models import Town

from tests.dashboard_helpers import (
    body_rows,
    card,
    close_out_many,
    embedded_json,
    table_html,
    text,
    vacate_site,
)
from tests.factories import BureauHeadFactory, EnterpriseFactory, SiteFactory, TownFactory, close_out

ENTERPRISES, LAND, ENERGY = Metric.ENTERPRISES_RECTIFIED, Metric.LAND_VACATED_MU, Metric.ENERGY_FREED_TCE
AUGUST = {"year": 2022, "month": 8}
JULY = {"year": 2022, "month": 7}

# Columns of the town ranking as shown: rank, township, score, change, then per metric actual, target,
# completion (with its light as a dot) and rank, then signed and vacated.
RANK, NAME, SCORE, CHANGE = 0, 1, 2, 3
E_ACTUAL, E_TARGET, E_COMPLETION, E_RANK = 4, 5, 6, 7
L_ACTUAL, L_TARGET, L_COMPLETION, L_RANK = 8, 9, 10, 11
SIGNED, VACATED = 16, 17


def dashboard(client, **params):
    response = client.get(reverse("clearance:home"), params)
    assert response.status_code == 200
    return response.content.decode()


def ranking(page: str) -> list[list[str]]:
    return [cells for attrs, cells in body_rows(page, "town-ranking")]


def ranking_lights(page: str) -> dict[str, list[str]]:
    """Return each town's lights in the ranking, in metric order ("" where a metric has no light)."""
    body = re.search(r"<tbody[^>]*>(.*?)</tbody>", table_html(page, "town-ranking"), re.DOTALL).group(1)
    lights = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.DOTALL):
        name = text(re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)[NAME])
        lights[name] = re.findall(r'data-light="([a-z]+)"', row)
    return lights


# The demo: the article's figures for January–August 2022 --------------------------------


@pytest.fixture
def leader_client(client, demo_db):
    client.force_login(get_user_model().objects.get(username="leader"))
    return client


def test_demo_dashboard_cards_show_the_published_figures_for_august(leader_client):
    page = dashboard(leader_client, **AUGUST)

    assert 'data-period="2022-08"' in page
    assert card(page, "enterprises_rectified") == {
        "value": "190", "target": "190 家", "completion": "100.0%", "time_progress": "66.7%",
        "gap": "+33.3 个百分点", "light": "green",
    }
    assert card(page, "land_vacated_mu") == {
        "value": "3,163", "target": "2,500 亩", "completion": "126.5%", "time_progress": "66.7%",
        # From the exact values (126.52 − 66.67), not from the rounded ones.
        "gap": "+59.9 个百分点", "light": "green",
    }
    assert card(page, "energy_freed_tce") == {
        "value": "50,000", "target": "45,000 吨标准煤", "completion": "111.1%", "time_progress": "66.7%",
        "gap": "+44.4 个百分点", "light": "green",
    }


def test_demo_dashboard_defaults_to_august_2022(leader_client):
    page = dashboard(leader_client)

    assert 'data-period="2022-08"' in page
    assert card(page, "enterprises_rectified")["value"] == "190"


def test_demo_pinghu_ranks_first_in_jiaxing_on_enterprises_and_land(leader_client):
    page = dashboard(leader_client, **AUGUST)

    rows = [cells for attrs, cells in body_rows(page, "county-ranking")]
    attrs, pinghu = next(row for row in body_rows(page, "county-ranking") if row[1][0] == "平湖市")
    # County, then per metric: actual, target, completion, rank; sorted by the rank of the first metric.
    ranks = [int(cells[4]) for cells in rows]
    assert ranks == sorted(ranks) and ranks[0] == 1
    assert [cells[0] for cells in rows][0] == "平湖市"
    assert pinghu[1:5] == ["190", "190", "100.0% 绿灯", "1"]
    assert pinghu[5:9] == ["3,163.00", "2,500.00", "126.5% 绿灯", "1"]
    assert pinghu[9:12] == ["50,000.00", "45,000.00", "111.1% 绿灯"]
    assert re.search(r'class="table-primary[ "]', attrs)


def test_demo_ranking_footer_is_the_city(leader_client):
    page = dashboard(leader_client, **AUGUST)

    footer = re.search(r"<tr[^>]*data-city-row>(.*?)</tr>", table_html(page, "town-ranking"), re.DOTALL).group(1)
    cells = [text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", footer, re.DOTALL)]
    assert cells[NAME] == "全市"
    # The light's name is there for screen readers; a dot shows it.
    assert cells[E_ACTUAL:E_RANK] == ["190", "190", "100.0% 绿灯"]
    assert cells[L_ACTUAL:L_RANK] == ["3,163.00", "2,500.00", "126.5% 绿灯"]
    assert cells[12:15] == ["50,000.00", "45,000.00", "111.1% 绿灯"]


def test_the_city_row_is_what_django_tables2_renders(leader_client):
    """The footer's cells are built in one pass (one_pass.row_cells) like the body's: the same markup as
    django-tables2's own cells, each with its column's attributes."""
    response = leader_client.get(reverse("clearance:home"), AUGUST)
    table = response.context["table"]
    stock = Template(
        "{% for column, cell in row.items %}<td {{ column.attrs.td.as_html }}>{{ cell }}</td>{% endfor %}"
    ).render(Context({"row": table.city_row}))

    assert table.city_cells() == stock
    assert f"<tr class=\"table-light fw-semibold\" data-city-row>{stock}</tr>" in response.content.decode()


def test_demo_xlsx_export_has_the_figures_as_numbers(leader_client):
    response = leader_client.get(reverse("clearance:home"), {**AUGUST, "_export": "xlsx"})

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *towns, city = list(sheet.iter_rows(values_only=True))
    column = {name: index for index, name in enumerate(header)}
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="town-ranking-2022-08.xlsx"'
    assert len(towns) == 8
    assert city[column["镇街道"]] == "全市"
    assert [city[column[f"{label} 完成（{unit}）"]] for label, unit in
            (("高耗低效企业整治销号", "家"), ("腾退低效用地", "亩"), ("腾出用能", "吨标准煤"))] == [190, 3163, 50000]
    assert [city[column[f"{label} 完成率（%）"]] for label in ("高耗低效企业整治销号", "腾退低效用地", "腾出用能")] == [
        100.0, 126.5, 111.1,
    ]
    # Numbers, not text: a spreadsheet can sum them.
    assert sum(row[column["高耗低效企业整治销号 完成（家）"]] for row in towns) == 190
    assert all(isinstance(row[column["总排名"]], int) for row in towns)
    assert all(isinstance(row[column["腾出用能 完成（吨标准煤）"]], (int, float)) for row in towns)
    assert {row[column["高耗低效企业整治销号 亮灯"]] for row in towns} <= {"绿灯", "黄灯", "红灯"}


def test_demo_csv_export_has_the_figures_and_a_byte_order_mark(leader_client):
    response = leader_client.get(reverse("clearance:home"), {**AUGUST, "_export": "csv"})

    content = response.content.decode("utf-8")
    header, *towns, city = list(csv.reader(io.StringIO(content.removeprefix("\ufeff"))))
    column = {name: index for index, name in enumerate(header)}
    assert content.startswith("\ufeff总排名,镇街道,")
    assert response["Content-Disposition"] == 'attachment; filename="town-ranking-2022-08.csv"'
    assert city[column["镇街道"]] == "全市"
    assert city[column["高耗低效企业整治销号 完成（家）"]] == "190"
    assert city[column["腾退低效用地 完成（亩）"]] == "3163.00"
    assert city[column["腾出用能 完成（吨标准煤）"]] == "50000.00"
    assert [city[column[f"{label} 完成率（%）"]] for label in ("高耗低效企业整治销号", "腾退低效用地", "腾出用能")] == [
        "100.0", "126.5", "111.1",
    ]


def test_demo_bulletin_shows_the_figures_lights_and_counties(leader_client):
    response = leader_client.get(reverse("clearance:bulletin"), AUGUST)

    page = response.content.decode()
    city = {attrs: cells for attrs, cells in body_rows(page, "bulletin-city")}
    pinghu = next(cells for attrs, cells in body_rows(page, "bulletin-counties") if cells[0] == "平湖市")
    assert "平湖市“腾笼换鸟”工作通报" in page
    assert "（2022年1—8月）" in page
    assert "数据截至2022年8月31日" in page
    assert re.search(r'序时进度 <span data-time-progress>66.7%</span>', page)
    assert city[' data-figure="enterprises_rectified"'] == ["高耗低效企业整治销号", "190 家", "190 家", "100.0%", "+33.3 个百分点", "绿灯"]
    assert city[' data-figure="land_vacated_mu"'][1:4] == ["3,163.00 亩", "2,500.00 亩", "126.5%"]
    assert city[' data-figure="energy_freed_tce"'][1:4] == ["50,000.00 吨标准煤", "45,000.00 吨标准煤", "111.1%"]
    assert len(body_rows(page, "bulletin-towns")) == 8
    assert "data-light=" in table_html(page, "bulletin-towns")
    # County, then per metric actual, completion, rank.
    assert (pinghu[1:4], pinghu[4:7]) == (["190", "100.0%", "1"], ["3,163.00", "126.5%", "1"])


def test_demo_api_agrees_with_the_page(leader_client):
    data = leader_client.get(reverse("api_summary"), AUGUST).json()

    assert [data["metrics"][key]["actual"] for key in ("enterprises_rectified", "land_vacated_mu", "energy_freed_tce")] == [
        190, 3163.0, 50000.0,
    ]
    assert data["time_progress_pct"] == 66.7
    assert data["counties"][0]["name"] == "平湖市"
    assert data["counties"][0]["metrics"]["enterprises_rectified"]["rank"] == 1


def test_demo_town_page_shows_the_town_against_its_targets(leader_client):
    from clearance.models import Town

    caoqiao = Town.objects.get(name="曹桥街道")

    response = leader_client.get(reverse("clearance:town_detail", args=[caoqiao.pk]), AUGUST)

    page = response.content.decode()
    assert card(page, "enterprises_rectified")["value"] == "44"
    assert card(page, "enterprises_rectified")["target"] == "32 家"
    assert card(page, "land_vacated_mu")["value"] == "492.62"
    assert 'data-pairing-head>马根良<' in page
    assert 'data-pairing-bureau>市应急管理局<' in page
    assert "龚华锋" in page
    assert "原胜利钢厂地块" in page


# Hand-built: lights, ties, a town with no target, rank changes, time travel -----------


@pytest.fixture(scope="class")
def hand_built_towns(django_db_setup, django_db_blocker):
    """Five towns with enterprise targets of 10 each, except 丁镇 (none); the city's target is 50. Return their pks by name.

    Closed out: 甲镇 4 in March and 4 in August, 乙镇 6 and 丙镇 5 in March, 丁镇 3 in March, 戊镇 8 in March.
    End of July (序时 58.3): 戊 80 % (1), 乙 60 % (2), 丙 50 % (3), 甲 40 % (4); city 26 of 50.
    End of August (序时 66.7): 甲 and 戊 80 % (1, 1), 乙 60 % (3, yellow), 丙 50 % (4, red); city 30 of 50.

    Written once for the tests of TestHandBuiltTowns (closing out 30 enterprises through the services takes
    seconds) and rolled back after them, as conftest's demo_db does for a module: each test's own transaction
    (pytest-django's `db`) is a savepoint inside this one, so what a test writes is undone. Class scope, not
    module: the fixture ends with the class, so the module's other tests (the demo's among them) never see
    these towns. Use it only through `towns`, and only from inside the class.
    """
    with django_db_blocker.unblock():
        with transaction.atomic():
            made = {}
            for order, (name, march, august) in enumerate(
                (("甲镇", 4, 4), ("乙镇", 6, 0), ("丙镇", 5, 0), ("丁镇", 3, 0), ("戊镇", 8, 0)), start=1
            ):
                town = TownFactory(name=name, display_order=order)
                made[name] = town.pk
                close_out_many(town, march, on=date(2022, 3, 15))
                close_out_many(town, august, on=date(2022, 8, 10))
                if name != "丁镇":
                    services.target_set(year=2022, metric=ENTERPRISES, town=town, value=Decimal(10))
            services.target_set(year=2022, metric=ENTERPRISES, value=Decimal(50))
            yield made
            transaction.set_rollback(True)


@pytest.fixture
def towns(db, hand_built_towns):
    """The five towns of hand_built_towns by name, fetched afresh for each test (a test may change its copies)."""
    by_pk = Town.objects.in_bulk(hand_built_towns.values())
    return {name: by_pk[pk] for name, pk in hand_built_towns.items()}


@pytest.fixture
def leader_in(client, leader):
    client.force_login(leader)
    return client


def test_correcting_an_event_date_moves_the_figure_on_the_page(leader_in, db):
    enterprise = EnterpriseFactory()
    close_out(enterprise, signed=date(2022, 7, 1), vacated=date(2022, 7, 2), closed=date(2022, 7, 31))
    closed = enterprise.events.get(stage=Stage.CLOSED)
    before = card(dashboard(leader_in, **JULY), "enterprises_rectified")["value"]

    services.event_correct(event=closed, expected_version=closed.version, on=date(2022, 8, 1), user=None)

    assert before == "1"
    assert card(dashboard(leader_in, **JULY), "enterprises_rectified")["value"] == "0"
    assert card(dashboard(leader_in, **AUGUST), "enterprises_rectified")["value"] == "1"


def test_town_page_answers_404_for_an_unknown_town(leader_in):
    assert leader_in.get(reverse("clearance:town_detail", args=[999999])).status_code == 404


class TestHandBuiltTowns:
    """The tests on the five hand-built towns (see hand_built_towns)."""

    def test_ranking_shows_lights_ties_and_the_town_without_target_last(self, leader_in, towns):
        page = dashboard(leader_in, **AUGUST)

        rows = ranking(page)
        assert [(row[RANK], row[NAME], row[SCORE], row[E_ACTUAL], row[E_TARGET], row[E_COMPLETION], row[E_RANK]) for row in rows] == [
            ("1", "甲镇", "80.0%", "8", "10", "80.0% 绿灯", "1"),
            ("1", "戊镇", "80.0%", "8", "10", "80.0% 绿灯", "1"),
            ("3", "乙镇", "60.0%", "6", "10", "60.0% 黄灯", "3"),
            ("4", "丙镇", "50.0%", "5", "10", "50.0% 红灯", "4"),
            ("—", "丁镇", "—", "3", "—", "—", "—"),
        ]
        assert ranking_lights(page) == {"甲镇": ["green"], "戊镇": ["green"], "乙镇": ["yellow"], "丙镇": ["red"], "丁镇": []}
        assert card(page, "enterprises_rectified") == {
            "value": "30", "target": "50 家", "completion": "60.0%", "time_progress": "66.7%",
            "gap": "-6.7 个百分点", "light": "yellow",
        }
        assert card(page, "land_vacated_mu")["light"] == ""
        assert card(page, "land_vacated_mu")["target"] == "—"

    def test_each_town_links_to_its_page(self, leader_in, towns):
        page = dashboard(leader_in, **AUGUST)

        links = re.findall(r'<a href="(/towns/\d+/[^"]*)">([^<]+)</a>', table_html(page, "town-ranking"))
        assert sorted(links) == sorted(
            (f'{reverse("clearance:town_detail", args=[town.pk])}?year=2022&amp;month=8', name) for name, town in towns.items()
        )

    def test_rank_change_arrows_compare_with_the_month_before(self, leader_in, towns):
        page = dashboard(leader_in, **AUGUST)

        changes = {row[NAME]: row[CHANGE] for row in ranking(page)}
        assert changes == {"甲镇": "↑3", "戊镇": "—", "乙镇": "↓1", "丙镇": "↓1", "丁镇": "—"}
        assert re.findall(r'data-rank-change="([^"]*)"', table_html(page, "town-ranking"))[:5] == ["3", "0", "-1", "-1", ""]

    def test_january_has_no_month_before_so_no_change_is_shown(self, leader_in, towns):
        page = dashboard(leader_in, year=2022, month=1)

        assert {row[CHANGE] for row in ranking(page)} == {"—"}
        assert set(re.findall(r'data-rank-change="([^"]*)"', page)) == {""}

    def test_july_shows_the_figures_as_they_were_at_the_end_of_july(self, leader_in, towns):
        july, august = dashboard(leader_in, **JULY), dashboard(leader_in, **AUGUST)

        assert 'data-period="2022-07"' in july
        assert card(july, "enterprises_rectified") == {
            "value": "26", "target": "50 家", "completion": "52.0%", "time_progress": "58.3%",
            "gap": "-6.3 个百分点", "light": "yellow",
        }
        assert [(row[RANK], row[NAME], row[E_ACTUAL]) for row in ranking(july)] == [
            ("1", "戊镇", "8"), ("2", "乙镇", "6"), ("3", "丙镇", "5"), ("4", "甲镇", "4"), ("—", "丁镇", "3"),
        ]
        assert ranking_lights(july) == {"戊镇": ["green"], "乙镇": ["green"], "丙镇": ["yellow"], "甲镇": ["red"], "丁镇": []}
        assert card(august, "enterprises_rectified")["value"] == "30"
        assert embedded_json(july, "trend-chart-data")["metrics"][0]["actual"] == [0, 0, 26, 26, 26, 26, 26]

    @pytest.mark.parametrize(
        ("sort", "order"),
        [
            ("-enterprises_rectified_completion", ["甲镇", "戊镇", "乙镇", "丙镇", "丁镇"]),
            # Towns without a value go last whichever the direction.
            ("enterprises_rectified_completion", ["丙镇", "乙镇", "甲镇", "戊镇", "丁镇"]),
            ("rank_change", ["乙镇", "丙镇", "戊镇", "甲镇", "丁镇"]),
            ("-rank_change", ["甲镇", "戊镇", "乙镇", "丙镇", "丁镇"]),
            ("-enterprises_rectified_actual", ["甲镇", "戊镇", "乙镇", "丙镇", "丁镇"]),
            ("enterprises_rectified_actual", ["丁镇", "丙镇", "乙镇", "甲镇", "戊镇"]),
            ("name", ["丁镇", "丙镇", "乙镇", "戊镇", "甲镇"]),
            ("-score", ["甲镇", "戊镇", "乙镇", "丙镇", "丁镇"]),
        ],
    )
    def test_ranking_sorts_on_its_columns(self, leader_in, towns, sort, order):
        page = dashboard(leader_in, **AUGUST, sort=sort)

        assert [row[NAME] for row in ranking(page)] == order
        direction = "descending" if sort.startswith("-") else "ascending"
        assert re.search(rf'<th[^>]*aria-sort="{direction}"', table_html(page, "town-ranking"))

    def test_every_visible_ranking_column_has_a_sort_link(self, leader_in, towns):
        page = dashboard(leader_in, **AUGUST)

        header = re.findall(r"<tr>(.*?)</tr>", re.search(r"<thead[^>]*>(.*?)</thead>", table_html(page, "town-ranking"), re.DOTALL).group(1), re.DOTALL)[-1]
        cells = re.findall(r"<th[^>]*>(.*?)</th>", header, re.DOTALL)
        assert len(cells) == 18
        assert all('href="?' in cell and "sort=" in cell for cell in cells)

    def test_town_page_of_a_town_without_target_shows_no_light_and_no_rank(self, leader_in, towns):
        response = leader_in.get(reverse("clearance:town_detail", args=[towns["丁镇"].pk]), AUGUST)

        page = response.content.decode()
        assert card(page, "enterprises_rectified") == {
            "value": "3", "target": "—", "completion": "—", "time_progress": "66.7%", "gap": "—", "light": "",
        }
        assert "无目标，不参与排名" in page

    def test_town_page_shows_its_cards_rank_pairing_members_sites_and_trend(self, leader_in, towns):
        town = towns["甲镇"]
        head = BureauHeadFactory(name="马根良", bureau__name="市应急管理局")
        pairing = services.pairing_start(town=town, head=head, started_on=date(2022, 1, 1))
        services.task_force_member_upsert(task_force=pairing.task_force, person_name="龚华锋", unit="曹桥街道经发办")
        area = SiteFactory(town=town, name="六店区域", area_mu=Decimal("100"))
        parcel = SiteFactory(town=town, name="原胜利钢厂地块", parent=area, area_mu=Decimal("20.43"))
        signed = EnterpriseFactory(site=parcel)
        services.event_record(enterprise=signed, stage=Stage.SIGNED, on=date(2022, 4, 1), user=None)
        EnterpriseFactory(site=parcel)

        response = leader_in.get(reverse("clearance:town_detail", args=[town.pk]), AUGUST)

        page = response.content.decode()
        sites = {cells[0]: cells for attrs, cells in body_rows(page, "sites")}
        trend = embedded_json(page, "trend-chart-data")
        assert card(page, "enterprises_rectified")["value"] == "8"
        assert card(page, "enterprises_rectified")["completion"] == "80.0%"
        assert re.search(r'data-town-rank="1">在 4 个镇街道中排第 1 名<', page)
        assert "data-pairing-head>马根良<" in page
        assert "data-pairing-bureau>市应急管理局<" in page
        assert re.findall(r"<li class=\"col\" data-member>([^<]+)<", page) == ["马根良 ", "龚华锋 "]
        # Progress counts the enterprises on the parcel inside the area too (name, stage, area, size, then the counts).
        assert sites["六店区域"][4:7] == ["2", "1", "0"]
        assert sites["原胜利钢厂地块"][4:7] == ["2", "1", "0"]
        # Only this town's events: 4 closed out in March, 4 more in August; the 序时 line is 10 × month ÷ 12.
        assert trend["metrics"][0]["actual"] == [0, 0, 4, 4, 4, 4, 4, 8]
        assert trend["metrics"][0]["pace"][5] == 5.0
        assert trend["metrics"][1]["target"] is None

    def test_each_town_page_gives_the_rank_the_dashboard_ranks_it(self, leader_in, towns):
        dashboard_ranks = {cells[1]: cells[0] for cells in ranking(dashboard(leader_in, **AUGUST))}

        for name, town in towns.items():
            page = leader_in.get(reverse("clearance:town_detail", args=[town.pk]), AUGUST).content.decode()
            shown = re.search(r'data-town-rank="([^"]*)"', page).group(1)
            assert (name, shown or "—") == (name, dashboard_ranks[name])

    def test_town_page_xlsx_lists_its_sites_with_numbers(self, leader_in, towns):
        town = towns["乙镇"]

        response = leader_in.get(reverse("clearance:town_detail", args=[town.pk]), {**AUGUST, "_export": "xlsx"})

        rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
        assert response["Content-Disposition"] == f'attachment; filename="town-{town.pk}-sites.xlsx"'
        assert len(rows) == 1 + 6
        assert {type(value) for row in rows[1:] for value in row[3:6]} == {int}

    # Charts -------------------------------------------------------------------------

    def test_charts_are_drawn_from_embedded_json_with_table_fallbacks(self, leader_in, towns):
        vacate_site(towns["甲镇"], "12.5", on=date(2022, 5, 3))

        page = dashboard(leader_in, **AUGUST)

        trend = embedded_json(page, "trend-chart-data")
        by_town = embedded_json(page, "town-chart-data")
        assert trend["months"][:2] == ["一月", "二月"] and len(trend["months"]) == 12
        assert [metric["key"] for metric in trend["metrics"]] == ["enterprises_rectified", "land_vacated_mu", "energy_freed_tce"]
        assert trend["metrics"][0]["actual"] == [0, 0, 26, 26, 26, 26, 26, 30]
        assert trend["metrics"][0]["target"] == 50.0
        assert trend["metrics"][1]["actual"][-1] == 12.5
        assert trend["labels"] == {"actual": "累计完成", "target": "全年目标", "pace": "序时进度"}
        assert by_town["towns"] == ["甲镇", "戊镇", "乙镇", "丙镇", "丁镇"]
        assert by_town["series"][0]["values"] == [80.0, 80.0, 60.0, 50.0, None]
        assert by_town["time_progress"] == 66.7
        assert len(re.findall(r'data-chart="trend"', page)) == 3
        assert 'data-chart="towns"' in page
        assert len(re.findall(r"data-chart-fallback=", page)) == 4
        assert '<div class="visually-hidden">' in page
        # The data lives in the JSON only: no script of the page carries figures of its own.
        scripts = re.findall(r"<script(?![^>]*application/json)[^>]*>(.*?)</script>", page, re.DOTALL)
        # Bootstrap, ECharts and the chart code, each from a file.
        assert scripts and [script.strip() for script in scripts] == [""] * len(scripts)
        assert len(re.findall(r"<script\b[^>]*\bsrc=", page)) == 3

    # The period, reading rights and errors ----------------------------------------
    @pytest.mark.parametrize(
        ("url_name", "args"), [("clearance:home", []), ("clearance:bulletin", []), ("clearance:town_detail", ["town"])]
    )
    @pytest.mark.parametrize(("params", "message"), [({"year": "abc"}, "年份必须是整数。"), ({"year": "2022", "month": "13"}, "月份须在 1 至 12 之间。")])
    def test_a_bad_period_is_a_400_page_with_the_message_and_the_selector(self, leader_in, towns, url_name, args, params, message):
        url = reverse(url_name, args=[towns["甲镇"].pk for _ in args])

        response = leader_in.get(url, params)

        page = response.content.decode()
        assert response.status_code == 400
        assert f"data-period-error>{message}</div>" in page
        assert 'name="month"' in page

    @pytest.mark.parametrize("url_name", ["clearance:home", "clearance:bulletin", "clearance:town_detail"])
    def test_the_pages_only_read(self, leader_in, admin_client, towns, url_name):
        url = reverse(url_name, args=[towns["甲镇"].pk] if url_name == "clearance:town_detail" else [])

        responses = [leader_in.post(url, AUGUST), admin_client.post(url, AUGUST), leader_in.delete(url)]

        assert [response.status_code for response in responses] == [405, 405, 405]
        assert responses[0]["Allow"] == "GET, HEAD, OPTIONS"

    @pytest.mark.parametrize("user_fixture", ["leader", "official", "admin_user"])
    def test_every_signed_in_role_reads_the_dashboard_town_page_and_bulletin(self, client, request, towns, user_fixture):
        client.force_login(request.getfixturevalue(user_fixture))

        pages = [
            client.get(reverse("clearance:home"), AUGUST),
            client.get(reverse("clearance:town_detail", args=[towns["甲镇"].pk]), AUGUST),
            client.get(reverse("clearance:bulletin"), AUGUST),
        ]

        assert [page.status_code for page in pages] == [200, 200, 200]
        assert all('data-figure="enterprises_rectified"' in page.content.decode() for page in pages)

    def test_the_pages_need_a_login(self, client, towns):
        for url in (reverse("clearance:home"), reverse("clearance:bulletin"), reverse("clearance:town_detail", args=[towns["甲镇"].pk])):
            response = client.get(url)
            assert (response.status_code, response.url.split("?")[0]) == (302, reverse("login"))

    def test_bulletin_prints_without_navigation_and_links_back(self, leader_in, towns):
        page = leader_in.get(reverse("clearance:bulletin"), AUGUST).content.decode()
        dashboard_page = dashboard(leader_in, **AUGUST)

        assert 'href="/bulletin/?year=2022&amp;month=8" data-bulletin-link' in dashboard_page
        assert '<article class="bulletin" data-bulletin>' in page
        assert re.search(r'<button type="button" class="btn btn-outline-primary btn-sm" data-print>打印</button>', page)
        assert "d-print-none" in page

    def test_dashboard_in_english_names_the_period_and_the_lights(self, leader_in, towns):
        page = leader_in.get(reverse("clearance:home"), AUGUST, HTTP_ACCEPT_LANGUAGE="en").content.decode()

        assert "2022, months 1–8" in page
        assert "as of Aug. 31, 2022" in page
        assert '<span class="light light-yellow" data-light="yellow">Yellow</span>' in page
        assert "Township ranking" in page


# Queries ---------------------------------------------------------------------------------


def _campaign_of_size(towns_count: int):
    """Towns with targets, each with sites, enterprises at several stages and events: everything scales with TOWNS_COUNT."""
    made = []
    for index in range(towns_count):
        town = TownFactory()
        close_out_many(town, 2, on=date(2022, 3, 15))
        vacate_site(town, "5", on=date(2022, 4, 2))
        services.event_record(enterprise=EnterpriseFactory(site=SiteFactory(town=town)), stage=Stage.SIGNED, on=date(2022, 5, 1), user=None)
        services.target_set(year=2022, metric=ENTERPRISES, town=town, value=Decimal(4))
        head = BureauHeadFactory()
        pairing = services.pairing_start(town=town, head=head, started_on=date(2022, 1, 1))
        services.task_force_member_upsert(task_force=pairing.task_force, person_name=f"成员{index}")
        made.append(town)
    services.target_set(year=2022, metric=ENTERPRISES, value=Decimal(4 * towns_count))
    home = services.county_upsert(name="平湖市", is_home=True).obj
    other = services.county_upsert(name="海盐县").obj
    services.bulletin_figure_set(county=other, year=2022, month=8, metric=ENTERPRISES, actual=Decimal(5), target=Decimal(10))
    return made, home


@pytest.mark.parametrize("size", [2, 20])
def test_dashboard_runs_a_fixed_number_of_queries(leader_in, django_assert_num_queries, size):
    _campaign_of_size(size)
    leader_in.get(reverse("clearance:home"), AUGUST)  # warm the session

    # session, user, role; years; this month's summary with last month's ranks (6: the towns' sums of both months
    # in one); any events; home county; trend; whether the month is closed; whether any year is evaluated (the
    # panel); the economy's figures of the year (its panel); the register's counts (the towns, its monthly
    # rollup); the reuse summary (5)
    with django_assert_num_queries(23):
        page = dashboard(leader_in, **AUGUST)

    assert len(ranking(page)) == size
    assert card(page, "enterprises_rectified")["value"] == str(2 * size)


@pytest.mark.parametrize("size", [2, 20])
def test_dashboard_exports_run_a_fixed_number_of_queries(leader_in, django_assert_num_queries, size):
    _campaign_of_size(size)
    leader_in.get(reverse("clearance:home"), AUGUST)

    with django_assert_num_queries(23):
        response = leader_in.get(reverse("clearance:home"), {**AUGUST, "_export": "xlsx"})

    assert len(list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows())) == size + 2


@pytest.mark.parametrize("size", [2, 30])
def test_town_page_runs_a_fixed_number_of_queries(leader_in, django_assert_num_queries, size):
    towns_made, _ = _campaign_of_size(size)
    town = towns_made[0]
    task_force = selectors.town_pairing(town=town).task_force
    for index in range(size):
        group = services.attack_group_upsert(task_force=task_force, name=f"第{index + 1}组")
        EnterpriseFactory(site=SiteFactory(town=town), responsible_group=group)
    url = reverse("clearance:town_detail", args=[town.pk])
    leader_in.get(url, AUGUST)

    # session, user, town; the towns ranked (3: targets, figures, towns); trend; years; pairing with task force,
    # members, member bureaus; the attack groups with their counts (one query however many groups); the sites'
    # count and one page of them; whether the month is closed; the register's open items; the reuse summary (5)
    with django_assert_num_queries(21):
        response = leader_in.get(url, AUGUST)

    assert len(body_rows(response.content.decode(), "sites")) == min(4 + size, 25)
    assert [cells[0] for attrs, cells in body_rows(response.content.decode(), "attack-groups")] == [
        f"第{index + 1}组" for index in range(size)
    ]
    assert card(response.content.decode(), "enterprises_rectified")["value"] == "2"
    # The sites past the first 25 are on the next page; the export has them all.
    second = leader_in.get(url, {**AUGUST, "page": 2})
    assert len(body_rows(second.content.decode(), "sites")) == max(4 + size - 25, 0) or size == 2
    exported = leader_in.get(url, {**AUGUST, "_export": "csv"})
    assert len(exported.content.decode("utf-8-sig").strip().splitlines()) == 1 + 4 + size


@pytest.mark.parametrize("size", [2, 20])
def test_bulletin_runs_a_fixed_number_of_queries(leader_in, django_assert_num_queries, size):
    _campaign_of_size(size)
    leader_in.get(reverse("clearance:bulletin"), AUGUST)

    # session, user; years; summary (6); home county; whether the month is closed; the economy's figures;
    # the register's counts (the towns, its monthly rollup); the reuse summary (5)
    with django_assert_num_queries(19):
        response = leader_in.get(reverse("clearance:bulletin"), AUGUST)

    assert len(body_rows(response.content.decode(), "bulletin-towns")) == size


@pytest.mark.parametrize("sort", ["", "-score", "name", "land_vacated_mu_completion"])
def test_ranking_body_is_what_django_tables2_would_render_cell_for_cell(rf, leader_in, sort):
    """The ranking's body is built in one pass (TownRankingTable.body_html) for speed; it must not differ from
    django-tables2's own rendering of the same table in any cell, link, light or attribute."""
    from django.template.loader import render_to_string
    from django_tables2 import RequestConfig

    from clearance import selectors
    from clearance.tables import TownRankingTable

    _campaign_of_size(4)
    response = leader_in.get(reverse("clearance:home"), {**AUGUST, "sort": sort} if sort else AUGUST)
    shown = response.context["table"]
    request = rf.get("/", {"sort": sort} if sort else {})
    stock = TownRankingTable(
        selectors.campaign_summary(**AUGUST).towns, previous_ranks=shown.previous_ranks, city=shown.city,
        period=AUGUST, template_name="django_tables2/bootstrap5-responsive.html",
    )
    RequestConfig(request, paginate=False).configure(stock)

    def tbody(html: str) -> str:
        body = re.search(r"<tbody[^>]*>(.*?)</tbody>", html, re.S).group(1)
        return re.sub(r">\s+<", "><", body.strip())

    expected = tbody(render_to_string(stock.template_name, {"table": stock, "request": request}))
    assert tbody(response.content.decode()) == expected
    # Both have what the check is about: a row per town, lights, links to the towns' pages, rank changes.
    assert expected.count("<tr ") == 4 and 'data-light="' in expected
    assert expected.count('href="/towns/') == 4 and expected.count("data-rank-change=") == 4


def test_ranking_shows_fifty_towns_a_page_ranked_over_all_of_them_and_exports_all(leader_in):
    _campaign_of_size(2)
    for number in range(55):
        TownFactory(name=f"无目标镇{number:02d}")
    total = Town.objects.count()

    first = leader_in.get(reverse("clearance:home"), {**AUGUST, "sort": "name"}).content.decode()
    second = leader_in.get(reverse("clearance:home"), {**AUGUST, "sort": "name", "page": 2}).content.decode()

    first_rows, second_rows = body_rows(first, "town-ranking"), body_rows(second, "town-ranking")
    assert (len(first_rows), len(second_rows)) == (50, total - 50)
    # Sorted by name over every town, then cut into pages: no town twice, none missing.
    names = [cells[1] for _attrs, cells in first_rows + second_rows]
    assert names == sorted(Town.objects.values_list("name", flat=True)) and len(set(names)) == total
    # The city's totals stay under the table on every page.
    assert "data-city-row" in first and "data-city-row" in second
    exported = leader_in.get(reverse("clearance:home"), {**AUGUST, "_export": "csv"}).content.decode("utf-8-sig")
    assert len(exported.strip().splitlines()) == 1 + total + 1  # header, every town, the city


def test_town_page_judges_deadlines_at_the_end_of_the_viewed_month_not_today(leader_in, db):
    town = TownFactory(name="甲镇")
    due_at_year_end = services.site_create(town=town, name="年底到期地块", area_mu=Decimal("5"),
                                           deadline=date(2022, 12, 31), user=None)
    due_in_july = services.site_create(town=town, name="七月到期地块", area_mu=Decimal("6"),
                                       deadline=date(2022, 7, 31), user=None)
    services.event_record(site=due_in_july, stage=Stage.VACATED, on=date(2022, 10, 5), user=None)

    def overdue_rows(month: int) -> set[str]:
        page = leader_in.get(reverse("clearance:town_detail", args=[town.pk]), {"year": 2022, "month": month})
        rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table_html(page.content.decode(), "sites"), re.DOTALL)
        return {name for name in (due_at_year_end.name, due_in_july.name) for row in rows
                if name in row and "data-overdue" in row}

    # In August the year-end deadline is months away, and the July one had passed with the site not yet vacated.
    assert overdue_rows(8) == {"七月到期地块"}
    # By the end of October the July site was vacated; the year-end one is still not due.
    assert overdue_rows(10) == set()
    # On its last day the year-end deadline has not passed yet; today (years later) it has.
    assert overdue_rows(12) == set()
    assert selectors.workspace_sites(town=town).get(name="年底到期地块").is_overdue is True
