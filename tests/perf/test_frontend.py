"""manage.py bench_browser and manage.py lighthouse: their refusals, their verdicts, and a browser run end to end."""

import json
import sqlite3
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import CommandError, call_command
from django.db import connection

from perf.frontend import FrontendError, browser_goals, lighthouse_report
from perf.frontend.config import CHROMIUM
from perf.frontend.lighthouse import read_report

from tests import ports
from tests.perf.test_bench import gunicorn_installed
from tests.url_rules import build_world

PORTS = range(8441, 8461)
DEMO_PASSWORD = "demo-pass-2022"


# Refusals ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["bench_browser", "lighthouse"])
@pytest.mark.parametrize("arguments, named", [
    (["--pages", "dashboard,nowhere"], "nowhere"),
    (["--pages", "town,town"], "--pages"),
    (["--pages", ""], "--pages"),
    (["--workers", "0"], "--workers"),
    (["--port", "80"], "--port"),
    (["--port", "70000"], "--port"),
    (["--sqlite", "--database-url", "postgres://postgres@127.0.0.1:5432/elsewhere"], "--database-url"),
    (["--sqlite", "--existing-database", "postgres://postgres@127.0.0.1:5432/pinghu"], "--existing-database"),
    (["--existing-database", "pinghu"], "--existing-database"),
    (["--database-url", "127.0.0.1/pinghu"], "--database-url"),
    (["--rebuild-base", "--sqlite"], "--rebuild-base"),
])
def test_nonsensical_options_are_refused_before_anything_runs(command, arguments, named, monkeypatch):
    started = []
    monkeypatch.setattr(f"perf.management.commands.{command}.{command}", lambda *args, **kwargs: started.append(args))

    with pytest.raises(CommandError) as refused:
        call_command(command, *arguments, stdout=StringIO(), stderr=StringIO())

    assert named in str(refused.value)
    assert started == []


def test_the_browser_bench_refuses_fewer_than_one_run_before_anything_runs(monkeypatch):
    started = []
    monkeypatch.setattr("perf.management.commands.bench_browser.bench_browser", lambda *args: started.append(args))

    with pytest.raises(CommandError, match="--runs"):
        call_command("bench_browser", "--runs", "0", stdout=StringIO(), stderr=StringIO())
    assert started == []


def test_lighthouse_refuses_a_reports_folder_that_is_a_file(monkeypatch, tmp_path):
    started = []
    monkeypatch.setattr("perf.management.commands.lighthouse.lighthouse", lambda *args, **kwargs: started.append(args))
    (tmp_path / "reports").write_text("")

    with pytest.raises(CommandError, match="--reports"):
        call_command("lighthouse", "--reports", str(tmp_path / "reports"), stdout=StringIO(), stderr=StringIO())
    assert started == []


def test_all_pages_and_the_chosen_options_reach_the_run(monkeypatch):
    received = {}

    def run(config, keys, runs):
        received.update(config=config, keys=keys, runs=runs)
        return {"config": {"runs": runs, "workers": config.workers, "database": "sqlite"}, "pages": []}

    monkeypatch.setattr("perf.management.commands.bench_browser.bench_browser", run)

    call_command("bench_browser", "--pages", "all", "--sqlite", "--runs", "2", "--workers", "3",
                 stdout=StringIO(), stderr=StringIO())

    assert received["keys"][:2] == ("dashboard", "town") and "project" in received["keys"]
    assert received["runs"] == 2
    assert received["config"].sqlite and received["config"].workers == 3


# Verdicts of the browser bench -------------------------------------------------------------------


def visit(**changes) -> dict:
    """A visit's figures that meet every goal, with CHANGES."""
    return {
        "bytes": 200_000, "bytes_by_type": {"Document": 20_000, "Script": 150_000, "Stylesheet": 30_000},
        "requests": 6, "network_requests": 6, "cached_requests": 0, "network_beyond_document": [], "failed": [],
        "static_cache_control": ["max-age=315360000, public, immutable"], "static_encodings": ["br"],
        "first_paint": 800.0,
        "first_contentful_paint": 800.0, "lcp": 900.0, "charts": 6, "charts_in_view": 1, "charts_drawn": 1500.0,
        "charts_source": "mark", "charts_timed_out": False, "scrolled_chart_drawn": 120.0, "dom_content_loaded": 1200.0, "load": 1300.0,
        **changes,
    }


def bench_results(cold: dict, warm: dict) -> dict:
    return {"config": {"runs": 1, "workers": 2, "database": "postgresql"},
            "pages": [{"key": "dashboard", "label": "dashboard", "path": "/", "note": "", "cold": cold, "warm": warm}]}


def test_a_first_visit_of_250_kb_with_charts_drawn_in_two_seconds_meets_the_goals():
    found = browser_goals(bench_results(visit(bytes=250_000, charts_drawn=2000.0),
                                        visit(bytes=20_000, static_cache_control=[])))

    assert [verdict for _goal, _measured, verdict in found] == ["PASS"] * 4
    assert found[0][1] == "250.0 KB"
    assert found[1][1] == "2.00 s"


def test_one_byte_or_one_millisecond_more_misses():
    found = browser_goals(bench_results(visit(bytes=250_001, charts_drawn=2001.0), visit(bytes=20_000)))

    assert [verdict for _goal, _measured, verdict in found[:2]] == ["MISS", "MISS"]


def test_charts_never_drawn_miss_and_say_so():
    found = browser_goals(bench_results(visit(charts_drawn=None, charts_source=None, charts_timed_out=True),
                                        visit(bytes=20_000)))

    assert found[1][1:] == ("not drawn", "MISS")


def test_a_repeat_visit_that_fetches_a_static_file_again_misses_and_names_it():
    again = "http://127.0.0.1:8141/static/vendor/htmx/htmx.min.3d6553be6735.js"
    found = browser_goals(bench_results(visit(), visit(bytes=40_000, network_beyond_document=[again])))

    goal, measured, verdict = found[2]
    assert goal == "repeat visit of the dashboard page transfers only the page"
    assert again in measured and verdict == "MISS"


def test_static_files_cached_for_a_minute_miss_the_year_long_cache():
    found = browser_goals(bench_results(visit(static_cache_control=["max-age=60, public"]), visit(bytes=20_000)))

    assert found[3][1:] == ("max-age=60, public", "MISS")


# Lighthouse's report read back --------------------------------------------------------------------


def lighthouse_json(**audit_scores) -> dict:
    """A Lighthouse report of the three categories, its audits scored as AUDIT_SCORES says (default 1)."""
    references = {
        "performance": [("largest-contentful-paint", 25), ("total-blocking-time", 30), ("render-blocking-resources", 0)],
        "accessibility": [("color-contrast", 7), ("label", 7)],
        "best-practices": [("font-size", 1), ("valid-source-maps", 0)],
    }
    audits = {
        audit: {"id": audit, "title": audit.replace("-", " "), "score": audit_scores.get(audit.replace("-", "_"), 1),
                "scoreDisplayMode": "binary", "displayValue": "", "details": {"items": []}}
        for refs in references.values() for audit, _weight in refs
    }
    audits["largest-contentful-paint"]["numericValue"] = 1850.0
    audits["total-blocking-time"]["numericValue"] = 120.0
    audits["total-byte-weight"] = {"id": "total-byte-weight", "score": 1, "numericValue": 120 * 1024}
    audits["color-contrast"]["details"]["items"] = [{"node": {"selector": "section.board-column > a.small"}}, "odd"]
    categories = {
        key: {"score": 1 if all(audits[audit]["score"] == 1 for audit, weight in refs if weight) else 0.95,
              "auditRefs": [{"id": audit, "weight": weight} for audit, weight in refs]}
        for key, refs in references.items()
    }
    return {"lighthouseVersion": "12.8.2", "requestedUrl": "http://127.0.0.1:8142/board/",
            "finalDisplayedUrl": "http://127.0.0.1:8142/board/", "audits": audits, "categories": categories}


def test_a_contrast_failure_costs_accessibility_and_is_listed_with_its_element():
    page = read_report(lighthouse_json(color_contrast=0, valid_source_maps=0, render_blocking_resources=0.5))

    assert page["scores"] == {"performance": 100, "accessibility": 95, "best-practices": 100}
    assert (page["lcp_ms"], page["tbt_ms"], page["bytes"]) == (1850.0, 120.0, 120 * 1024)
    failing = {audit["id"]: audit for audit in page["failing"]}
    # Source maps weigh nothing in best practices: not a finding. A performance opportunity is one.
    assert set(failing) == {"color-contrast", "render-blocking-resources"}
    assert failing["color-contrast"]["elements"] == ["section.board-column > a.small"]

    table = lighthouse_report({"config": {"workers": 2, "database": "postgresql", "preset": "mobile"},
                               "lighthouse_version": "12.8.2",
                               "pages": [{"key": "board", "label": "battle board", "path": "/board/", **page}]},
                              title="Lighthouse")

    assert "| battle board `/board/` | 100 | 95 | 100 | 1.85 s | 120 ms | 120 KiB | MISS |" in table
    assert "- accessibility: color contrast — section.board-column > a.small" in table


def test_a_page_lighthouse_saw_signed_out_is_an_error_not_a_score():
    report = lighthouse_json()
    report["finalDisplayedUrl"] = "http://127.0.0.1:8142/accounts/login/?next=/board/"

    with pytest.raises(FrontendError, match="/board/"):
        read_report(report)


# The browser bench end to end ---------------------------------------------------------------------


def served_database_url(tmp_path: Path) -> str:
    """The URL of this test's database for the server: PostgreSQL's test database, or a copy of SQLite's."""
    if connection.vendor == "postgresql":
        database = connection.settings_dict
        credentials = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
        return f"postgres://{credentials}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
    copy = sqlite3.connect(tmp_path / "served.sqlite3")
    connection.ensure_connection()
    connection.connection.backup(copy)
    copy.close()
    return f"sqlite:///{tmp_path / 'served.sqlite3'}"


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="the browser bench needs Chromium at /usr/bin/chromium")
@pytest.mark.skipif(not gunicorn_installed(), reason="the browser bench needs gunicorn")
def test_the_dashboard_on_a_slow_phone_is_drawn_and_a_repeat_visit_fetches_only_the_page(
    transactional_db, tmp_path, monkeypatch
):
    # Playwright's sync API runs an event loop in this thread while the command runs.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    world = build_world()
    # The bench signs in as the demo's leader; production settings verify PBKDF2 (the tests hash with MD5).
    world.leader.username = "leader"
    world.leader.password = PBKDF2PasswordHasher().encode(DEMO_PASSWORD, "benchbrowsersalt", iterations=1000)
    world.leader.save()
    raw = tmp_path / "browser.json"
    out = StringIO()

    call_command("bench_browser", "--existing-database", served_database_url(tmp_path), "--pages", "dashboard",
                 "--runs", "1", "--workers", "1", "--port", str(ports.free_port(PORTS)), "--json", str(raw),
                 stdout=out, stderr=StringIO())

    results = json.loads(raw.read_text())
    cold, warm = results["pages"][0]["cold"], results["pages"][0]["warm"]
    # The first visit fetched the page, its style sheets and scripts; the repeat visit took them from the cache.
    assert cold["bytes_by_type"]["Stylesheet"] > 10_000 and cold["bytes_by_type"]["Script"] > 10_000
    assert warm["network_beyond_document"] == [] and warm["cached_requests"] >= 3
    # Compressed at collectstatic with Brotli, which every browser asks for.
    assert cold["static_encodings"] == ["br"]
    assert warm["bytes"] < cold["bytes"] / 2
    # Drawn and painted, in order, on the throttled phone.
    assert cold["charts"] > 0 and cold["charts_drawn"] is not None
    assert 0 < cold["first_contentful_paint"] <= cold["lcp"]
    assert cold["failed"] == []
    table = out.getvalue()
    assert "| dashboard `/` | cold |" in table and "| dashboard `/` | warm |" in table
    assert "| repeat visit of the dashboard page transfers only the page |" in table
    assert "static files cached ≥ 365 days (Cache-Control) | max-age=315360000, public, immutable | PASS |" in table
