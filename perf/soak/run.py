"""The whole soak: a database of its own, gunicorn (and any companion process), the clients, then the checks."""

import contextlib
import json
import queue
import secrets
import shutil
import tempfile
import threading
import time

import redis
from django.utils import timezone
from django.utils.translation import gettext as _

from clearance.choices import Stage

from ..bench.client import HttpClient
from ..bench.config import BenchConfig, BenchError
from ..bench.database import database_name, fetch, recreate_database, require_postgresql
from ..bench.measure import verify_rollups
from ..bench.prepare import prepare_base
from ..bench.server import GunicornServer, ManageProcess, manage
from .config import SoakConfig
from .ledger_import import ENTERPRISE_NAME_PREFIX, WebLedgerImport, ledger_workbook
from .traffic import Pacer, Tally, kind_table, percentile_table, read_pages, record_and_correct, small_jpeg

# The demo's official records for this town (its task force's).
OFFICIAL_TOWN = "曹桥街道"
JOIN_SECONDS = 120


def check_services(config: SoakConfig) -> None:
    """Refuse to start without PostgreSQL or Redis, with a message saying which."""
    require_postgresql(config.database_url, _("The soak test runs on PostgreSQL: give --database-url postgres://…"))
    try:
        redis.Redis.from_url(config.redis_url, socket_timeout=5).ping()
    except redis.RedisError as error:
        raise BenchError(_("Cannot reach Redis at %(url)s: %(error)s") % {"url": config.redis_url, "error": error}) from None


def prepare_database(config: SoakConfig) -> None:
    """Copy the migrated demo (built once per code version, shared with the bench's way of building it) into the soak database."""
    base_url = prepare_base(BenchConfig(database_url=config.database_url, reuse_base=config.reuse_base, log=config.log))
    recreate_database(config.database_url, template=database_name(base_url))


def reading_paths(config: SoakConfig, year: int, month: int) -> list[tuple[str, str]]:
    towns = fetch(config.database_url, "SELECT id FROM clearance_town ORDER BY display_order, name")
    period = f"year={year}&month={month}"
    return [
        ("dashboard", "/"),
        ("dashboard, this month", f"/?{period}"),
        ("town page", f"/towns/{towns[0][0]}/"),
        ("town page, this month", f"/towns/{towns[-1][0]}/?{period}"),
        ("/api/summary/", "/api/summary/"),
        ("/api/summary/, this month", f"/api/summary/?{period}"),
        ("board", "/board/"),
    ]


def open_enterprises(config: SoakConfig) -> list[int]:
    """Return the enterprises of the official's town that are not closed out, in a fixed shuffle."""
    rows = fetch(
        config.database_url,
        "SELECT e.id FROM clearance_enterprise e JOIN clearance_town t ON t.id = e.town_id WHERE t.name = %s "
        "AND NOT EXISTS (SELECT 1 FROM clearance_event ev WHERE ev.enterprise_id = e.id AND ev.stage = %s) "
        "ORDER BY md5(e.id::text)",
        [OFFICIAL_TOWN, Stage.CLOSED.value],
    )
    return [row[0] for row in rows]


class Clients:
    """The soak's client threads: sign in, then loop until told to stop."""

    def __init__(self, config: SoakConfig, tally: Tally, paths: list[tuple[str, str]], workbook: bytes):
        self.config, self.tally, self.paths = config, tally, paths
        self.stop, self.import_now = threading.Event(), threading.Event()
        self.importer = WebLedgerImport(workbook)
        self.import_outcome: dict = {"imported": False, "seconds": None, "started": False}
        self.subjects: queue.Queue = queue.Queue()
        self.marker = f"soak-{secrets.token_hex(6)}"
        self.threads: list[threading.Thread] = []
        self.sign_in_errors: list[str] = []
        self.crashed: list[str] = []
        self.photos = [small_jpeg(seed) for seed in range(config.photos_per_upload)]

    def start(self, subjects: list[int]) -> None:
        for enterprise in subjects:
            self.subjects.put(enterprise)
        roles = ([("leader", self._read)] * self.config.readers + [("official", self._record)] * self.config.recorders
                 + [("official", self._photograph)] * self.config.photographers + [("admin", self._import)] * self.config.importers)
        signed_in = threading.Barrier(len(roles) + 1)
        for index, (username, loop) in enumerate(roles):
            thread = threading.Thread(target=self._run, args=(index, username, loop, signed_in), daemon=True)
            thread.start()
            self.threads.append(thread)
        signed_in.wait()
        if self.sign_in_errors:
            self.stop.set()
            raise BenchError(self.sign_in_errors[0])

    def _run(self, index: int, username: str, loop, signed_in: threading.Barrier) -> None:
        client = HttpClient(self.config.port, timeout=300)
        try:
            client.sign_in(username)
        except (BenchError, OSError) as error:
            self.sign_in_errors.append(f"signing in as {username}: {error}")
        signed_in.wait()
        if self.sign_in_errors:
            return
        try:
            loop(client, Pacer(self.stop, self.config.think_seconds, seed=index))
        except Exception as error:  # noqa: BLE001 — a client that stops early is reported, not lost with its thread
            self.crashed.append(f"{username} client {index}: {type(error).__name__}: {error}")

    def _read(self, client, pacer) -> None:
        read_pages(client, self.tally, pacer, self.paths)

    def _record(self, client, pacer) -> None:
        record_and_correct(client, self.tally, pacer, self.subjects, marker=self.marker)

    def _photograph(self, client, pacer) -> None:
        record_and_correct(client, self.tally, pacer, self.subjects, marker=self.marker, photos=self.photos)

    def _import(self, client, pacer) -> None:
        # The admin reads like a leader until it is time to import, then goes back to reading.
        read_pages(client, self.tally, pacer, self.paths, until=self.import_now)
        if self.stop.is_set():
            return
        self.import_outcome["started"] = True
        self.import_outcome.update(self.importer.run(client, self.tally))
        read_pages(client, self.tally, pacer, self.paths)

    def join(self) -> list[str]:
        """Stop every client and wait for its request in flight; return the ones that did not finish."""
        self.stop.set()
        self.import_now.set()
        deadline = time.monotonic() + JOIN_SECONDS
        for thread in self.threads:
            thread.join(max(deadline - time.monotonic(), 0.1))
        return [thread.name for thread in self.threads if thread.is_alive()]


def memory(server: GunicornServer) -> dict:
    sizes = server.worker_rss_mb()
    return {"workers": {str(pid): round(mb, 1) for pid, mb in sorted(sizes.items())},
            "sum_mb": round(sum(sizes.values()), 1), "max_mb": round(max(sizes.values(), default=0), 1)}


def figures_check(config: SoakConfig, queries: list[str]) -> dict[str, bool | None]:
    """Whether /api/summary/?QUERY serves what a recomputation of the derived tables from the events gives, per query.

    None when the API did not answer 200 (counted as an error in the report).
    """
    client = HttpClient(config.port)
    client.sign_in("leader")
    checked = {}
    for query in queries:
        response = client.get(f"/api/summary/{query}")
        if response.status != 200:
            checked[query or "(default period)"] = None
            continue
        served = json.loads(response.body)
        # Whether the month is closed, and what was published then, are not derived from the events.
        served.pop("closed", None)
        served.pop("published", None)
        output = manage(config.database_url, "summary_from_events",
                        "--year", str(served["year"]), "--month", str(served["month"])).stdout
        label = f"{served['year']}-{served['month']:02d}" + ("" if query else " (default period)")
        checked[label] = served == json.loads(output.strip().splitlines()[-1])
    return checked


def soak(config: SoakConfig) -> dict:
    """Run the soak test of CONFIG; return the raw results (report() turns them into the table)."""
    check_services(config)
    began = time.perf_counter()
    config.log("preparing the database: the migrated demo")
    prepare_database(config)
    phases = {"prepare_seconds": time.perf_counter() - began}
    today = timezone.localdate()
    media = tempfile.mkdtemp(prefix="soak-media-")
    prefix = f"soak-{secrets.token_hex(4)}"
    environment = {"MEDIA_ROOT": media, "CACHE_KEY_PREFIX": prefix}
    tally = Tally()
    paths = reading_paths(config, today.year, today.month)
    subjects = open_enterprises(config)
    if not subjects:
        raise BenchError(_("No enterprise of %(town)s is left open to record progress for.") % {"town": OFFICIAL_TOWN})
    clients = Clients(config, tally, paths, ledger_workbook(config.import_enterprises))
    results: dict = {"config": {
        "seconds": config.seconds, "warmup_seconds": config.warmup_seconds, "workers": config.workers,
        "clients": config.clients, "readers": config.readers, "recorders": config.recorders,
        "photographers": config.photographers, "importers": config.importers, "think_seconds": config.think_seconds,
        "import_enterprises": config.import_enterprises, "companions": [" ".join(each) for each in config.companions],
        "database": database_name(config.database_url), "cache": "redis", "subjects": len(subjects),
    }}
    try:
        with contextlib.ExitStack() as stack:
            config.log(f"starting gunicorn ({config.workers} workers) on port {config.port}")
            server = stack.enter_context(GunicornServer(config.database_url, config.port, config.workers,
                                                        config.redis_url, environment=environment))
            companions = [stack.enter_context(ManageProcess(config.database_url, *arguments, redis_url=config.redis_url,
                                                            environment=environment))
                          for arguments in config.companions]
            config.log(f"{config.clients} clients signing in, then {config.warmup_seconds:g} s of warm-up")
            clients.start(subjects)
            time.sleep(config.warmup_seconds)
            pids_start = sorted(server.worker_pids())
            results["memory_start"] = memory(server)
            tally.measuring = True
            measured_from = time.perf_counter()
            config.log(f"measuring for {config.seconds:g} s; workers at {results['memory_start']['sum_mb']} MB")
            import_at = measured_from + config.seconds * config.import_at
            while (now := time.perf_counter()) < measured_from + config.seconds:
                if now >= import_at and not clients.import_now.is_set():
                    config.log("the admin uploads the ledger")
                    clients.import_now.set()
                time.sleep(min(1.0, measured_from + config.seconds - now))
            tally.measuring = False
            results["measured_seconds"] = time.perf_counter() - measured_from
            config.log("stopping the clients")
            results["clients_stuck"] = clients.join()
            results["clients_crashed"] = clients.crashed
            results["memory_end"] = memory(server)
            results["workers_replaced"] = len(set(pids_start) - set(server.worker_pids()))
            results["companions_exited"] = [why for each in companions if (why := each.exited())]
            config.log("checking the figures against a recomputation from the events")
            phases["traffic_seconds"] = time.perf_counter() - began - phases["prepare_seconds"]
            results["figures_agree"] = figures_check(config, ["", f"?year={today.year}&month={today.month}"])
    finally:
        shutil.rmtree(media, ignore_errors=True)
        with contextlib.suppress(redis.RedisError):
            connection = redis.Redis.from_url(config.redis_url, socket_timeout=5)
            for key in connection.scan_iter(f"{prefix}:*"):
                connection.delete(key)
    results["rollup_agrees"] = verify_rollups(config.database_url)
    results["labels"] = percentile_table(tally)
    results["kinds"] = kind_table(tally)
    results["counts"] = dict(tally.counts)
    results["events_left"] = fetch(config.database_url, "SELECT count(*) FROM clearance_event WHERE note = %s",
                                   [clients.marker])[0][0]
    results["import"] = {
        **clients.import_outcome, "enterprises": config.import_enterprises,
        "stored": fetch(config.database_url, "SELECT count(*) FROM clearance_enterprise WHERE name LIKE %s",
                        [ENTERPRISE_NAME_PREFIX + "%"])[0][0],
    }
    results["wall_seconds"] = time.perf_counter() - began
    results["phases"] = {**phases, "checks_seconds": results["wall_seconds"] - sum(phases.values())}
    return results
