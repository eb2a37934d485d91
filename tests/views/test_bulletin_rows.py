"""The bulletin's town and county tables, built in one pass (clearance/tables/bulletin_rows.py), as a reader sees
them: published figures with today's 更正 beside them, the lights, 换鸟 and the register, in Chinese and English."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from clearance.models import ReportingPeriod
from clearance.selectors.register import register_counts
from clearance.selectors.reuse import reuse_summary
from tests.dashboard_helpers import body_rows, table_html
from tests.views.test_periods import august_close_out

pytestmark = pytest.mark.django_db
AUGUST = {"year": 2022, "month": 8}


@pytest.fixture
def admin_in(client, demo_db):
    client.force_login(get_user_model().objects.get(username="admin"))
    return client


def bulletin(client, **query) -> str:
    response = client.get(reverse("clearance:bulletin"), {**AUGUST, **query})
    assert response.status_code == 200
    return response.content.decode()


def published_town(name: str) -> dict:
    snapshot = ReportingPeriod.objects.get(**AUGUST).snapshot
    return next(row for row in snapshot["towns"] if row["name"] == name)


def test_a_close_out_deleted_after_publication_shows_as_a_correction_on_its_town_and_the_home_county(admin_in):
    event = august_close_out()
    town = event.enterprise.town
    published = published_town(town.name)["metrics"]["enterprises_rectified"]
    before = bulletin(admin_in)

    deleted = admin_in.post(
        reverse("clearance:event_delete", args=[event.pk]), {"version": event.version, "note": "重复销号"}
    )
    page = bulletin(admin_in)

    assert deleted.status_code == 302
    row = next(cells for attrs, cells in body_rows(page, "bulletin-towns") if f'data-town="{town.pk}"' in attrs)
    assert row[1] == town.name
    # The published count, then today's one less, marked 更正; its completion corrected the same way.
    assert row[2] == f"{published['actual']} 更正 {published['actual'] - 1}"
    assert row[3].startswith(f"{published['completion_pct']:.1f}% ") and "更正" in row[3]
    home = next(cells for attrs, cells in body_rows(page, "bulletin-counties") if "table-primary" in attrs)
    assert home[0] == "平湖市" and "更正" in home[1]
    assert "data-correction" not in table_html(before, "bulletin-towns")
    assert "data-correction" not in table_html(before, "bulletin-counties")


def test_towns_carry_their_rank_lights_and_score_as_published(admin_in):
    page = bulletin(admin_in)
    snapshot = ReportingPeriod.objects.get(**AUGUST).snapshot

    rows = body_rows(page, "bulletin-towns")
    shown = [(cells[0], cells[1], cells[-1]) for _attrs, cells in rows]

    assert shown == [
        (str(row["rank"]) if row["rank"] is not None else "—", row["name"],
         "—" if row["score"] is None else f"{row['score']:.1f}%")
        for row in snapshot["towns"]
    ]
    # Every completion shown has its light as a coloured dot with its name.
    towns = table_html(page, "bulletin-towns")
    assert towns.count('class="light light-') == sum(
        1 for row in snapshot["towns"] for figure in row["metrics"].values() if figure["completion_pct"] is not None
    )


def test_reuse_and_register_rows_show_each_town_s_figures_of_the_period(admin_in):
    page = bulletin(admin_in)
    reuse = reuse_summary(**AUGUST)
    register = register_counts(**AUGUST)

    reuse_rows = {attrs: cells for attrs, cells in body_rows(page, "bulletin-reuse-towns")}
    register_rows = [cells for _attrs, cells in body_rows(page, "bulletin-register")]

    assert len(reuse_rows) == len(reuse.towns)
    for town in reuse.towns:
        cells = reuse_rows[f' data-reuse-scope="{town.name}"']
        assert cells[1] == town.name
        assert cells[2] == str(town.metrics["projects_signed"].actual)
        assert cells[-4:] == [str(town.commitments[key]) for key in ("due", "met", "missed", "unverified")]
    assert register_rows == [
        [row.town.name, str(row.total.raised), str(row.total.resolved), str(row.total.open)] for row in register.towns
    ]


def test_the_tables_read_in_english_too(admin_in):
    admin_in.cookies["django_language"] = "en"
    event = august_close_out()
    admin_in.post(reverse("clearance:event_delete", args=[event.pk]), {"version": event.version, "note": "重复销号"})

    page = bulletin(admin_in)

    towns = table_html(page, "bulletin-towns")
    assert ">Corrected</span>" in towns and "更正" not in towns
    assert any(f'data-light="{light}">{light.title()}</span>' in towns for light in ("green", "yellow", "red"))
    assert "绿" not in towns
