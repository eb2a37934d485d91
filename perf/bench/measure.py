"""What is measured on a prepared size: the pages, their SQL floor, concurrent recording and the import."""

import json
import os
import re
import secrets
import statistics
import threading
import time
from datetime import date, timedelta
from string import Formatter

from django.core.management import get_commands
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext as _

from clearance.choices import Stage
from ..timing import CLEAR_CACHE_HEADER
from .client import HttpClient, Response
from .config import MIN_REQUESTS, PAGES, SERVER_TIMEOUT_SECONDS, BenchConfig, BenchError, Page
from .cpu import CpuMeter
from .database import connect, fetch
from .server import GunicornServer, manage
from .stats import percentile


# Pages ----------------------------------------------------------------------------------------


def page_path(page: Page, subjects: dict, period: str) -> str | None:
    """PAGE's path for the period and the size's subjects; None when a subject it needs is missing (no such rows)."""
    fields = {"period": period, **subjects}
    wanted = [name for _text, name, _spec, _conversion in Formatter().parse(page.path) if name]
    if any(fields.get(name) is None for name in wanted):
        return None
    return page.path.format(**fields)


def measure_pages(client: HttpClient, config: BenchConfig, subjects: dict, year: int, month: int,
                  *, log_prefix: str = "") -> dict[str, dict]:
    """Measure each of PAGES for the period and SUBJECTS; a page without its subject, or whose URL does not resolve
    (the project without it), is skipped with the reason, which the report counts as a miss."""
    found = {}
    for page in PAGES:
        path = page_path(page, subjects, f"year={year}&month={month}")
        if path is None:
            found[page.key] = {"path": page.path, "skipped": "nothing to show in the data"}
            continue
        try:
            resolve(path.partition("?")[0])
        except Resolver404:
            found[page.key] = {"path": path, "skipped": "no such page yet"}
            continue
        config.log(f"{log_prefix}{path}")
        found[page.key] = measure_page(client, path, warmup=config.warmup * config.workers, requests=config.requests,
                                       budget_seconds=config.page_budget_seconds)
    return found


def measure_page(client: HttpClient, path: str, *, warmup: int, requests: int, budget_seconds: float) -> dict:
    """Request PATH WARMUP times, then REQUESTS times cold (cache cleared first); return the server's timings.

    Warm-up is per worker (each compiles its templates once), so give a few per worker.
    A page so slow that this would take over BUDGET_SECONDS gets fewer requests (at
    least MIN_REQUESTS), so one slow page cannot hold the whole run for hours.
    """
    try:
        first = client.get(path)
    except OSError as error:
        return failed_page(path, None, error)
    if first.status != 200:
        return failed_page(path, first)
    planned = warmup + requests
    if first.wall_ms / 1000 * planned > budget_seconds:
        # Slow enough that compiling templates is lost in the noise: the first request was warm-up enough.
        requests = max(MIN_REQUESTS, min(requests, int(budget_seconds / (first.wall_ms / 1000))))
        warmup = 1
    samples = []
    try:
        for _warmup in range(warmup - 1):
            client.get(path)
        for _request in range(requests):
            response = client.get(path, headers={CLEAR_CACHE_HEADER: "1"})
            if response.status != 200:
                return failed_page(path, response)
            timing = response.server_timing()
            if "app" not in timing:
                raise BenchError(f"GET {path} has no Server-Timing header: is perf.timing.ServerTimingMiddleware in MIDDLEWARE (DEV_APPS)?")
            samples.append({"app_ms": timing["app"], "db_ms": timing.get("db", 0.0), "queries": response.query_count,
                            "wall_ms": response.wall_ms, "bytes": len(response.body)})
    except OSError as error:
        return failed_page(path, None, error)
    app = [sample["app_ms"] for sample in samples]
    queries = sorted({sample["queries"] for sample in samples})
    return {
        "path": path,
        "requests": requests,
        "median_ms": statistics.median(app),
        "p95_ms": percentile(app, 0.95),
        "db_median_ms": statistics.median(sample["db_ms"] for sample in samples),
        "wall_median_ms": statistics.median(sample["wall_ms"] for sample in samples),
        "queries": queries[-1],
        "queries_varied": len(queries) > 1,
        "bytes": samples[-1]["bytes"],
        "samples_ms": app,
    }


def measure_in_turn(config: BenchConfig, small: HttpClient, large: HttpClient, paths: dict[str, tuple[str, str]],
                    *, rounds: int) -> dict[str, dict]:
    """Measure each page of PATHS (page key → its path at the small size, at the large) at both sizes in turn:
    ROUNDS rounds, each config.requests cold requests at one size then as many at the other, the order swapped each
    round, through SMALL and LARGE (clients of the two sizes' servers). Return per page each size's median over all
    its rounds and large ÷ small.

    Why: measured one size after the other, minutes apart, the two sizes do not see the same machine. On this kind of
    machine its pace moved by 43% between them (run 8), which a ratio cannot tell from the page's own growth. In
    turn, a change of pace weighs on both sizes alike.
    """
    found = {}
    for key, (small_path, large_path) in paths.items():
        sides = {"small": (small, small_path), "large": (large, large_path)}
        samples: dict[str, list[float]] = {"small": [], "large": []}
        db: dict[str, list[float]] = {"small": [], "large": []}
        failed = None
        for round_index in range(rounds):
            for side in ("small", "large") if round_index % 2 == 0 else ("large", "small"):
                client, path = sides[side]
                measured = measure_page(client, path, requests=config.requests,
                                        warmup=config.warmup * config.workers if round_index == 0 else 1,
                                        budget_seconds=config.page_budget_seconds / rounds)
                if "error" in measured:
                    failed = f"{path} at the {side} size: {measured['error']}"
                    break
                samples[side] += measured["samples_ms"]
                db[side].append(measured["db_median_ms"])
            if failed:
                break
        if failed:
            found[key] = {"error": failed}
            continue
        medians = {side: statistics.median(samples[side]) for side in samples}
        found[key] = {"rounds": rounds, "requests": len(samples["small"]),
                      "small_median_ms": medians["small"], "large_median_ms": medians["large"],
                      "small_db_ms": statistics.median(db["small"]), "large_db_ms": statistics.median(db["large"]),
                      "ratio": medians["large"] / medians["small"]}
    return found


def failed_page(path: str, response: Response | None, error: OSError | None = None) -> dict:
    """A page that answered something else than 200, or nothing (its worker killed): no figures, what happened."""
    if response is not None:
        what = f"HTTP {response.status} after {response.wall_ms / 1000:.0f} s"
    else:
        what = f"no answer ({type(error).__name__}; gunicorn stops a worker after {SERVER_TIMEOUT_SECONDS} s)"
    return {"path": path, "error": what, "requests": 0,
            "median_ms": None, "p95_ms": None, "db_median_ms": None, "wall_median_ms": None, "queries": None,
            "queries_varied": False}


# The SQL floor: each figure of every town for the period, straight from the events -------------------

FLOOR_QUERIES = {
    "enterprises_rectified": f"""
        SELECT e.town_id, count(*) FROM clearance_event ev JOIN clearance_enterprise e ON e.id = ev.enterprise_id
        WHERE ev.stage = {Stage.CLOSED.value} AND ev.occurred_on BETWEEN %(start)s AND %(end)s GROUP BY e.town_id""",
    "land_vacated_mu": """
        SELECT s.town_id, sum(s.area_mu) FROM clearance_event ev JOIN clearance_site s ON s.id = ev.site_id
        WHERE ev.occurred_on BETWEEN %(start)s AND %(end)s
          AND NOT EXISTS (SELECT 1 FROM clearance_site child WHERE child.parent_id = s.id)
        GROUP BY s.town_id""",
    "energy_freed_tce": f"""
        SELECT e.town_id, sum(e.energy_freed_tce) FROM clearance_event ev
        JOIN clearance_enterprise e ON e.id = ev.enterprise_id
        WHERE ev.stage = {Stage.CLOSED.value} AND ev.occurred_on BETWEEN %(start)s AND %(end)s GROUP BY e.town_id""",
    "signed": f"""
        SELECT e.town_id, count(*) FROM clearance_event ev JOIN clearance_enterprise e ON e.id = ev.enterprise_id
        WHERE ev.stage = {Stage.SIGNED.value} AND ev.occurred_on BETWEEN %(start)s AND %(end)s GROUP BY e.town_id""",
    "vacated": f"""
        SELECT e.town_id, count(*) FROM clearance_event ev JOIN clearance_enterprise e ON e.id = ev.enterprise_id
        WHERE ev.stage = {Stage.VACATED.value} AND ev.occurred_on BETWEEN %(start)s AND %(end)s GROUP BY e.town_id""",
}


def measure_floor(database_url: str, year: int, month: int, *, warmup: int, requests: int) -> dict:
    """Time each hand-written figure query; return their medians, their sum (the floor) and the city totals."""
    start = date(year, 1, 1)
    end = (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)) - timedelta(days=1)
    connection = connect(database_url)
    medians, totals = {}, {}
    try:
        with connection.cursor() as cursor:
            for key, sql in FLOOR_QUERIES.items():
                durations = []
                for attempt in range(warmup + requests):
                    began = time.perf_counter()
                    cursor.execute(sql, {"start": start, "end": end})
                    rows = cursor.fetchall()
                    if attempt >= warmup:
                        durations.append((time.perf_counter() - began) * 1000)
                medians[key] = statistics.median(durations)
                totals[key] = float(sum(value for _town, value in rows))
    finally:
        connection.close()
    return {"queries_ms": medians, "floor_ms": sum(medians.values()), "city_totals": totals}


def figures_agree(floor: dict, summary: dict) -> bool:
    """Whether the city figures of /api/summary/ equal the sums of the hand-written queries."""
    served = {key: summary["metrics"][key]["actual"] for key in summary["metrics"]}
    served.update(signed=summary["signed"], vacated=summary["vacated"])
    return all(round(float(served[key]), 2) == round(total, 2) for key, total in floor["city_totals"].items())


# Concurrent recording ---------------------------------------------------------------------------


def measure_recording(config: BenchConfig, server: GunicornServer | None = None) -> dict:
    """CLIENTS signed-in users record 签约 or 腾退 for disjoint enterprises through the page's form for RECORD_SECONDS.

    签约 for those with nothing from 签约 on, 腾退 for those signed whose site is not
    vacated (twice the subjects 签约 alone has at 5,000 enterprises). Both count in
    the figures, so the writers also race on the monthly rollup of their towns.
    Then check no update was lost: the events stored equal the successful answers,
    and the rollup agrees with the events (verify_rollups).
    With SERVER (on this machine), also the CPU time the save took: its workers', its PostgreSQL backends' and
    the clients'; and then one client alone for a few seconds (`alone`): what a save costs with the cores to
    itself, against which the crowd's cost per save shows what sharing the cores takes.
    """
    wanted = config.clients * max(50, int(config.record_seconds * 100))
    # Two days back: never "in the future" on either side of a time zone, and after every earlier stage
    # of the enterprises chosen (stages must be dated in order).
    on = timezone.localdate() - timedelta(days=2)
    subjects = fetch(
        config.database_url,
        "SELECT e.id, CASE WHEN signed.id IS NULL THEN %(signed)s ELSE %(vacated)s END FROM clearance_enterprise e "
        "LEFT JOIN clearance_event signed ON signed.enterprise_id = e.id AND signed.stage = %(signed)s "
        # Nothing after 签约 (nor dated after ON: stages are dated in order), and for 腾退 a site not vacated yet.
        "WHERE NOT EXISTS (SELECT 1 FROM clearance_event ev WHERE ev.enterprise_id = e.id "
        "                  AND (ev.stage >= %(vacated)s OR ev.occurred_on > %(on)s)) "
        "AND (signed.id IS NULL OR NOT EXISTS (SELECT 1 FROM clearance_event site_event WHERE site_event.site_id = e.site_id)) "
        # A fixed shuffle over the whole table spreads the writers over towns and sites, as officials are.
        "ORDER BY md5(e.id::text) LIMIT %(wanted)s",
        {"signed": Stage.SIGNED.value, "vacated": Stage.VACATED.value, "on": on, "wanted": wanted},
    )
    if not subjects:
        raise BenchError(_("No enterprise is left to record 签约 or 腾退 for."))
    marker = f"bench-{secrets.token_hex(6)}"
    form = {"occurred_on": on.isoformat(), "note": marker, "phase": ""}
    # The last tenth of the subjects (at most 300, more than a client saves in ALONE_SECONDS) for the client alone.
    reserved = min(300, len(subjects) // 10) if server is not None else 0
    crowd = _record(config, server, subjects[:len(subjects) - reserved], form, clients=config.clients,
                    seconds=config.record_seconds)
    # After the crowd, so that every worker is warm (a worker's first saves load templates and prepare statements).
    alone = (_record(config, server, subjects[len(subjects) - reserved:], form, clients=1,
                     seconds=min(ALONE_SECONDS, config.record_seconds)) if reserved else None)
    stored = fetch(config.database_url, "SELECT count(*) FROM clearance_event WHERE note = %s", [marker])[0][0]
    rollup = verify_rollups(config.database_url)
    saved = crowd["successes"] + (alone["successes"] if alone else 0)
    return {
        **crowd,
        "machine_cores": os.cpu_count(),
        "events_stored": stored,
        "lost_updates": saved - stored,
        "rollup_agrees": rollup,
        "alone": alone,
    }


# How long the client alone records after the crowd (long enough for a few hundred saves).
ALONE_SECONDS = 3.0


def _record(config: BenchConfig, server: GunicornServer | None, subjects: list, form: dict, *, clients: int,
            seconds: float) -> dict:
    """CLIENTS sign in, then record FORM's stage for SUBJECTS (enterprise, stage), shared out, for SECONDS."""
    clients = [HttpClient(config.port) for _client in range(clients)]
    latencies: list[list[float]] = [[] for _client in clients]
    # What the server says of each save: its own time (Server-Timing app, without the wait for a worker) and queries.
    served: list[list[tuple[float, int]]] = [[] for _client in clients]
    failures: list[list[str]] = [[] for _client in clients]
    sign_in_errors: list[BenchError] = []
    finished = [0.0] * len(clients)
    # Everyone signs in (in parallel: hashing passwords is slow), then all start at once.
    signed_in, go = threading.Barrier(len(clients) + 1), threading.Barrier(len(clients) + 1)
    deadline_box = {}

    def work(index: int) -> None:
        try:
            clients[index].sign_in("admin")
        except (BenchError, OSError) as error:
            sign_in_errors.append(BenchError(str(error)))
        signed_in.wait()
        go.wait()
        if sign_in_errors:
            return
        for enterprise, stage in subjects[index::len(clients)]:
            if time.perf_counter() >= deadline_box["deadline"]:
                break
            try:
                response = clients[index].post(f"/enterprises/{enterprise}/events/new/", {"stage": str(stage), **form})
            except OSError as error:
                failures[index].append(type(error).__name__)
                continue
            if response.status == 302:
                latencies[index].append(response.wall_ms)
                # The page the phone goes to next shows "recorded" and clears it; a client that never goes there
                # would carry a messages cookie growing to its 4 KB limit, re-signed and compressed at every save.
                clients[index].cookies.pop("messages", None)
                served[index].append((response.server_timing().get("app", 0.0), response.query_count or 0))
            else:
                failures[index].append(f"HTTP {response.status} {form_error(response.body)}".strip())
        finished[index] = time.perf_counter()

    threads = [threading.Thread(target=work, args=(index,), daemon=True) for index in range(len(clients))]
    for thread in threads:
        thread.start()
    signed_in.wait()
    started = time.perf_counter()
    deadline_box["deadline"] = started + seconds
    meter = CpuMeter(config.database_url, server.worker_pids) if server is not None else None
    if meter is not None:
        meter.start()
    go.wait()
    for thread in threads:
        thread.join()
    cpu = meter.stop() if meter is not None else None
    if sign_in_errors:
        raise sign_in_errors[0]
    elapsed = max(finished) - started
    successes = [latency for each in latencies for latency in each]
    server_ms = [app_ms for each in served for app_ms, _queries in each]
    queries = sorted({count for each in served for _app_ms, count in each})
    return {
        "clients": len(clients),
        "seconds": elapsed,
        "successes": len(successes),
        "failures": len(sum(failures, [])),
        "failure_kinds": sorted(set(sum(failures, []))),
        "per_second": len(successes) / elapsed if elapsed > 0 else 0.0,
        "median_ms": statistics.median(successes) if successes else None,
        "p95_ms": percentile(successes, 0.95) if successes else None,
        "server_median_ms": statistics.median(server_ms) if server_ms else None,
        # The queries of one save as the timing middleware counts them (savepoints included, not BEGIN and COMMIT).
        "queries_per_save": queries,
        # CPU seconds per save: the workers' (Python), their backends' (PostgreSQL) and the clients'.
        "cpu_ms_per_save": {key.removesuffix("_seconds"): used * 1000 / len(successes) for key, used in cpu.items()}
        if cpu and successes else None,
        # What the run got of the machine (the rest went to other work).
        "cores_used": sum(cpu.values()) / elapsed if cpu and elapsed > 0 else None,
        # Every enterprise picked was used before the time was up: the rate is a lower bound.
        "ran_out": len(successes) + len(sum(failures, [])) == len(subjects),
    }


def form_error(body: bytes) -> str:
    """Return the first error message of a form page sent back, or ''."""
    found = re.search(r'class="(?:invalid-feedback|alert alert-danger)[^"]*"[^>]*>\s*([^<]+)', body.decode(errors="replace"))
    return found.group(1).strip() if found else ""


def verify_rollups(database_url: str) -> bool | None:
    """Whether the monthly rollup agrees with the events; None when the project has no verify_rollups yet."""
    if "verify_rollups" not in get_commands():
        return None
    try:
        manage(database_url, "verify_rollups", timeout=1800)
    except BenchError:
        return False
    return True


# The evaluation ------------------------------------------------------------------------------------


def measure_evaluation(config: BenchConfig) -> dict:
    """Time the latest evaluated year's recompute and a town's evaluation reads (bench_evaluation); its pages are
    measured with the others (measure_pages)."""
    return last_json(manage(config.database_url, "bench_evaluation", "--repeat", str(config.requests), "--json").stdout)


def last_json(text: str) -> dict:
    """Return the last line of TEXT that is a JSON object, or {}."""
    for line in reversed(text.splitlines()):
        if line.strip().startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return {}


# Import -------------------------------------------------------------------------------------------


def parse_import_output(text: str) -> dict:
    """Read bench_import's report: its JSON object when it printed one, else its key=value line."""
    for line in reversed(text.splitlines()):
        if line.strip().startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    found = {}
    for line in text.splitlines():
        for token in line.split():
            key, sep, value = token.partition("=")
            if sep:
                try:
                    found[key] = float(value)
                except ValueError:
                    continue
        if found:
            break
    if "seconds" in found:
        found["import_seconds"] = found.pop("seconds")
    if "peak_memory_mb" in found:
        found["peak_mb"] = found.pop("peak_memory_mb")
    return found


def measure_import(config: BenchConfig) -> dict:
    """Time bench_import (import, re-import, and a plain django-import-export resource when it can) on the bench database."""
    arguments = ["bench_import", "--enterprises", str(config.import_enterprises)]
    try:
        result = manage(config.database_url, *arguments, "--compare", "--json")
    except BenchError as error:
        if "unrecognized arguments" not in str(error):
            raise
        config.log("bench_import has no --compare/--json yet: timing the import alone")
        result = manage(config.database_url, *arguments)
    found = parse_import_output(result.stdout)
    found["enterprises"] = config.import_enterprises
    return found
