"""manage.py soak: its verdicts, its refusals, and a short run (40 s measured) against gunicorn with PostgreSQL and Redis."""

import json
from io import StringIO
from pathlib import Path

import pytest
import redis
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from clearance.models import Event
from perf.soak import DEFAULT_REDIS_URL, goals, report
from perf.soak.traffic import DELETE_LINK, STAGE_SELECTED, VERSION_FIELD

from tests import ports
from tests.perf.test_bench import gunicorn_installed, postgresql_reachable

SOAK_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/pinghu_soak_ci"
# This file's own ports, so parallel work on the machine cannot collide.
PORTS = range(8401, 8421)
KINDS = ("reading", "recording", "photos", "import")


def results(**changes) -> dict:
    """A soak's raw results that meet every goal, with CHANGES applied."""
    base = {
        "config": {"seconds": 60, "warmup_seconds": 10, "workers": 4, "clients": 16, "readers": 8, "recorders": 4,
                   "photographers": 3, "importers": 1, "think_seconds": 0.2, "import_enterprises": 2000,
                   "companions": []},
        "measured_seconds": 60.0,
        "labels": [{"kind": kind, "label": f"{kind} page", "requests": 10, "warmup_requests": 2, "errors": 0,
                    "error_kinds": {}, "p50_ms": 40.0, "p95_ms": 90.0} for kind in KINDS],
        "kinds": {kind: {"requests": 10, "errors": 0, "p50_ms": 40.0, "p95_ms": 90.0} for kind in KINDS},
        "memory_start": {"workers": {"1": 100.0, "2": 100.0}, "sum_mb": 200.0, "max_mb": 100.0},
        "memory_end": {"workers": {"1": 110.0, "2": 120.0}, "sum_mb": 230.0, "max_mb": 120.0},
        "clients_stuck": [], "workers_replaced": 0, "companions_exited": [],
        "figures_agree": {"2022-08 (default period)": True, "2026-12": True},
        "rollup_agrees": True,
        "counts": {"recorded": 40, "deleted": 39},
        "events_left": 1,
        "import": {"imported": True, "seconds": 5.0, "enterprises": 2000, "stored": 2000},
    }
    base.update(changes)
    return base


GOALS = ("errors", "memory", "figures", "rollup", "recordings", "import")


def verdicts(raw: dict) -> dict[str, tuple[str, str]]:
    """The goals' (measured, verdict), by a short name, in the report's order."""
    rows = goals(raw)
    assert len(rows) == len(GOALS)
    return {name: (measured, verdict) for name, (_goal, measured, verdict) in zip(GOALS, rows)}


# Verdicts ----------------------------------------------------------------------------------------


def test_a_run_without_errors_or_growth_passes_every_goal_and_reports_each_kind():
    raw = results()

    found = verdicts(raw)
    text = report(raw)

    assert {verdict for _measured, verdict in found.values()} == {"PASS"}
    assert found["memory"] == ("200 → 230 MB (+15.0%)", "PASS")
    assert found["recordings"] == ("40 recorded, 39 deleted, 1 left", "PASS")
    assert "40 requests served (0.7/s), 0 errors." in text
    for label in ("leaders reading", "officials recording", "officials recording with photos", "admin importing a ledger"):
        assert f"| {label} | 10 | 0 | 40 | 90 |" in text


def test_one_server_error_misses_the_goal_and_is_listed():
    labels = results()["labels"]
    labels[0] = {**labels[0], "errors": 1, "error_kinds": {"HTTP 500 on GET /board/": 1}}

    raw = results(labels=labels)

    assert verdicts(raw)["errors"] == ("1", "MISS")
    assert "- reading page: HTTP 500 on GET /board/ ×1" in report(raw)


def test_a_client_that_stopped_early_counts_as_an_error():
    raw = results(clients_crashed=["official client 9: AttributeError: boom"])

    assert verdicts(raw)["errors"] == ("1", "MISS")
    assert "- client stopped early: official client 9: AttributeError: boom" in report(raw)


def test_memory_grown_by_more_than_a_fifth_misses():
    raw = results(memory_end={"workers": {"1": 121.0, "2": 120.0}, "sum_mb": 241.0, "max_mb": 121.0})

    assert verdicts(raw)["memory"] == ("200 → 241 MB (+20.5%)", "MISS")


def test_figures_that_differ_from_the_recomputation_miss():
    raw = results(figures_agree={"2022-08 (default period)": True, "2026-12": False})

    assert verdicts(raw)["figures"] == (
        "2022-08 (default period): equal, 2026-12: DIFFERS", "MISS")


def test_a_lost_recording_and_an_unfinished_import_miss():
    raw = results(events_left=2, **{"import": {"imported": False, "seconds": None, "enterprises": 2000, "stored": 0}})

    found = verdicts(raw)

    assert found["recordings"] == ("40 recorded, 39 deleted, 2 left", "MISS")
    assert found["import"] == ("0 of 2,000 enterprises stored", "MISS")


# Refusals ----------------------------------------------------------------------------------------


def test_a_database_other_than_postgresql_is_refused_before_anything_is_touched():
    with pytest.raises(CommandError) as refused:
        call_command("soak", minutes=1, database_url="sqlite:///never-created.sqlite3", stderr=StringIO())

    assert str(refused.value) == "浸泡测试需在 PostgreSQL 上运行：请用 --database-url postgres://… 指定数据库。"
    assert not Path("never-created.sqlite3").exists()


def test_a_run_without_readers_is_refused():
    with pytest.raises(CommandError) as refused:
        call_command("soak", readers=0, database_url="postgres://postgres@127.0.0.1:1/never_touched")

    assert str(refused.value) == "--readers 至少应为 1。"


# Forty seconds against gunicorn -------------------------------------------------------------------


def redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(DEFAULT_REDIS_URL, socket_timeout=3).ping())
    except redis.RedisError:
        return False


@pytest.mark.slow
# Once per CI run: with the suite on PostgreSQL, not again with it on SQLite.
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the soak test runs with the PostgreSQL suite")
@pytest.mark.skipif(not postgresql_reachable(), reason="the soak test needs PostgreSQL on 127.0.0.1:5432")
@pytest.mark.skipif(not redis_reachable(), reason=f"the soak test needs Redis at {DEFAULT_REDIS_URL}")
@pytest.mark.skipif(not gunicorn_installed(), reason="the soak test needs gunicorn")
def test_forty_seconds_of_mixed_traffic_serve_every_kind_without_error_or_growth(tmp_path):
    raw = tmp_path / "soak.json"
    out = StringIO()

    # 10 s of warm-up and 40 s measured: the workers' memory grows in the first minute of traffic, warm-up
    # included, and no more after (docs/performance.md), so 40 s see it: +6.0% against +5.7% with 80 s
    # measured, in one run on this machine, for a limit of +20%; the import (1,000 enterprises, about 10 s)
    # ends inside the 40 s, and every kind served more than 9 requests.
    call_command(
        "soak", minutes=40 / 60, warmup=10, import_enterprises=1000, port=ports.free_port(PORTS),
        database_url=SOAK_TEST_DATABASE_URL, json_path=str(raw), stdout=out, stderr=StringIO(),
    )

    found = json.loads(raw.read_text())
    table = out.getvalue()
    assert sorted(found["kinds"]) == sorted(KINDS)
    assert all(found["kinds"][kind]["requests"] > 0 for kind in KINDS)
    assert sum(row["errors"] for row in found["labels"]) == 0
    assert found["memory_end"]["sum_mb"] <= found["memory_start"]["sum_mb"] * 1.2
    assert set(found["figures_agree"].values()) == {True}
    assert found["import"]["stored"] == 1000
    assert found["counts"]["recorded"] > 0
    assert found["events_left"] == found["counts"]["recorded"] - found["counts"]["deleted"]
    goal_rows = [line for line in table.splitlines() if line.endswith(("| PASS |", "| MISS |"))]
    assert len(goal_rows) == 6 and all(row.endswith("| PASS |") for row in goal_rows)


# What the recording clients read from the pages ----------------------------------------------------


@pytest.mark.django_db
def test_an_official_records_the_preselected_stage_and_deletes_it_as_the_soak_clients_do(as_official, world):
    enterprise = world.enterprise
    events_before = enterprise.events.count()
    form_page = as_official.get(f"/enterprises/{enterprise.pk}/events/new/")
    stage = STAGE_SELECTED.search(form_page.content.decode()).group(1)

    recorded = as_official.post(f"/enterprises/{enterprise.pk}/events/new/", {
        "stage": stage, "occurred_on": timezone.localdate().isoformat(), "note": "soak-probe", "phase": ""})
    timeline = as_official.get(f"/enterprises/{enterprise.pk}/")
    newest = max(int(pk) for pk in DELETE_LINK.findall(timeline.content.decode()))
    newest_note = Event.objects.get(pk=newest).note
    confirm = as_official.get(f"/events/{newest}/delete/")
    version = VERSION_FIELD.search(confirm.content.decode()).group(1)
    deleted = as_official.post(f"/events/{newest}/delete/", {"version": version, "note": ""})

    assert recorded.status_code == 302 and deleted.status_code == 302
    assert newest_note == "soak-probe"
    assert not Event.objects.filter(pk=newest).exists()
    assert enterprise.events.count() == events_before
    assert int(stage) > max(event.stage for event in enterprise.events.all())
