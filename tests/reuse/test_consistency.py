"""The figures of a period are the same everywhere: the dashboard, a town's page, the bulletin, /reuse/, its export and
/api/reuse/ (each read as a user or a tool reads it)."""

import csv
import io
import re

import pytest
from django.urls import reverse

from tests.dashboard_helpers import text
from tests.reuse.worlds import EXPECTED, reuse_world

pytestmark = pytest.mark.django_db

# The export's columns (as a user reads them) for each figure and commitment count.
EXPORT_COLUMNS = {
    "projects_signed": "签约项目 完成（个）",
    "investment_signed_wan": "签约投资 完成（万元）",
    "land_reused_mu": "再利用土地 完成（亩）",
    "land_awaiting_mu": "待利用土地 完成（亩）",
    "due": "履约 到期",
    "met": "履约 达标",
    "missed": "履约 未达标",
    "unverified": "履约 待核验",
}


def number(shown: str) -> float:
    return float(text(shown).replace(",", ""))


def shown_figures(page: str) -> dict[str, dict[str, float]]:
    """Return per scope ("city" or a town's name) the figures and commitment counts the page shows."""
    scopes: dict[str, dict[str, float]] = {}
    marks = list(re.finditer(r'data-reuse-scope="([^"]*)"', page))
    for index, mark in enumerate(marks):
        end = marks[index + 1].start() if index + 1 < len(marks) else len(page)
        segment = page[mark.end():end]
        values = scopes.setdefault(mark.group(1), {})
        for key, shown in re.findall(r'data-reuse-(?:value|commitment)="(\w+)"[^>]*>([^<]*)', segment):
            values[key] = number(shown)
    return scopes


def api_figures(data: dict) -> dict[str, dict[str, float]]:
    def flat(scope):
        return {key: float(value) for key, value in (*scope["metrics"].items(), *scope["commitments"].items())}

    return {"city": flat(data), **{town["name"]: flat(town) for town in data["towns"]}}


def export_figures(content: str) -> dict[str, dict[str, float]]:
    header, *rows = list(csv.reader(io.StringIO(content)))
    columns = {key: header.index(name) for key, name in EXPORT_COLUMNS.items()}
    name_column = header.index("镇街道")
    return {("city" if row[name_column] == "全市" else row[name_column]):
            {key: float(row[column]) for key, column in columns.items()} for row in rows}


def assert_agrees(shown: dict, truth: dict, where: str) -> int:
    """Every figure SHOWN equals the API's; return how many were compared."""
    compared = 0
    for scope, values in shown.items():
        for key, value in values.items():
            assert value == truth[scope][key], (where, scope, key)
            compared += 1
    return compared


@pytest.mark.parametrize(("year", "month"), [(2022, 3), (2022, 8), (2023, 1)])
def test_the_figures_of_a_period_are_the_same_on_every_page_the_export_and_the_api(leader, client, year, month):
    world = reuse_world()
    client.force_login(leader)
    period = {"year": year, "month": month}
    truth = api_figures(client.get(reverse("api_reuse"), period).json())
    # The API itself is the one worked on paper.
    assert {name: truth[name]["land_awaiting_mu"] for name in ("换鸟镇", "履约镇")} == {
        name: EXPECTED[(year, month)][name][0]["land_awaiting_mu"] for name in ("换鸟镇", "履约镇")}

    pages = {
        "dashboard": client.get(reverse("clearance:home"), period),
        "bulletin": client.get(reverse("clearance:bulletin"), period),
        "reuse": client.get(reverse("clearance:reuse"), period),
        **{f"town {town.name}": client.get(reverse("clearance:town_detail", args=[town.pk]), period)
           for town in (world["town"], world["committed_town"])},
    }
    compared = {}
    for where, response in pages.items():
        shown = shown_figures(response.content.decode())
        compared[where] = (sorted(shown), assert_agrees(shown, truth, where))
    export = export_figures(
        client.get(reverse("clearance:reuse"), {**period, "_export": "csv"}).content.decode("utf-8-sig"))

    # Each page shows what it should, so nothing is left out of the comparison.
    assert compared == {
        "dashboard": (["city", "履约镇", "换鸟镇"], 8 + 3 * 2),
        "bulletin": (["city", "履约镇", "换鸟镇"], 8 * 3),
        "reuse": (["city"], 8),
        "town 换鸟镇": (["换鸟镇"], 8),
        "town 履约镇": (["履约镇"], 8),
    }
    assert export == truth
