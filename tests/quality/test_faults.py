"""Faults: a full disk while storing photos, the database connection lost mid-import, the server killed mid-request."""

import contextlib
import errno
import http.client
import io
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import psycopg2
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse
from django.utils.crypto import get_random_string
from PIL import Image

from clearance import selectors, services
from clearance.derived import rollup
from clearance.choices import PhotoPhase, Stage
from clearance.ledger import ledger_import
from perf.management.commands.bench_import import TOWNS, write_bench_ledger
from clearance.models import Enterprise, Event, MonthlyFigure, Photo, Site

from tests import ports
from tests.errors import error_code_dict, form_error_codes
from tests.url_rules import build_world

ROOT = Path(settings.BASE_DIR)
DISK_FULL = "“{name}”未能保存：服务器磁盘已满。本次提交的内容均未保存，请联系管理员。"


# A full disk while storing photos -----------------------------------------------------------------


def png(size=(800, 600)) -> bytes:
    """A photo of noise: PNG cannot compress it, so its size (about 1.4 MB) is known in advance."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


def files_under(root: Path) -> set[Path]:
    return {path for path in root.rglob("*") if path.is_file()}


class FullDisk:
    """The media disk with FREE bytes left, as FileSystemStorage meets it.

    The write that overflows it stops part-way with ENOSPC and leaves its
    partial file behind, as a real full disk does; later writes get nothing.
    """

    def __init__(self, free: int):
        self.free = free

    def chunks(self, content):
        for chunk in content.chunks():
            if len(chunk) > self.free:
                part, self.free = chunk[: self.free], 0
                if part:
                    yield part
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            self.free -= len(chunk)
            yield chunk


@pytest.fixture
def full_disk(monkeypatch, media):
    """Return a function that leaves FREE bytes on the media disk from then on."""
    real_save = FileSystemStorage._save

    def leave(free: int) -> FullDisk:
        disk = FullDisk(free)

        class Metered:
            def __init__(self, content):
                self.content, self.name = content, content.name

            def chunks(self, chunk_size=None):
                return disk.chunks(self.content)

        monkeypatch.setattr(FileSystemStorage, "_save", lambda storage, name, content: real_save(storage, name, Metered(content)))
        return disk

    return leave


def record_vacated(world, *photos):
    return services.event_record(
        enterprise=world.enterprise, stage=Stage.VACATED, on=world.event.occurred_on, user=world.official,
        photos=list(photos), phase=PhotoPhase.AFTER,
    )


@pytest.mark.parametrize(
    "free",
    [
        pytest.param(0, id="nothing-left"),
        pytest.param(1000, id="photo-cut-short"),
    ],
)
def test_full_disk_while_storing_a_photo_saves_no_event_no_photo_and_no_file(world, media, full_disk, free):
    full_disk(free)
    events_before = Event.objects.count()

    with pytest.raises(ValidationError) as refused:
        record_vacated(world, upload("现场.png", png()))

    assert refused.value.message_dict == {"photos": [DISK_FULL.format(name="现场.png")]}
    assert error_code_dict(refused.value) == {"photos": ["photo_not_stored"]}
    assert Event.objects.count() == events_before
    assert Photo.objects.count() == 0
    assert files_under(media) == set()


def test_full_disk_on_the_thumbnail_removes_the_photo_already_stored(world, media, full_disk):
    content = png()
    full_disk(len(content) + 100)  # room for the photo, not for its thumbnail

    with pytest.raises(ValidationError) as refused:
        record_vacated(world, upload("现场.png", content))

    assert refused.value.message_dict == {"photos": [DISK_FULL.format(name="现场.png")]}
    assert error_code_dict(refused.value) == {"photos": ["photo_not_stored"]}
    assert not Event.objects.filter(enterprise=world.enterprise, stage=Stage.VACATED).exists()
    assert files_under(media) == set()


def test_full_disk_on_the_second_photo_removes_the_first(world, media, full_disk):
    first, second = png(), png()
    # The first photo and its thumbnail (a JPEG of at most 480 px, well under 400 kB) fit; the second does not.
    full_disk(len(first) + 400_000 + len(second) // 2)

    with pytest.raises(ValidationError) as refused:
        record_vacated(world, upload("一.png", first), upload("二.png", second))

    assert refused.value.message_dict == {"photos": [DISK_FULL.format(name="二.png")]}
    assert error_code_dict(refused.value) == {"photos": ["photo_not_stored"]}
    assert Photo.objects.count() == 0
    assert files_under(media) == set()


def test_full_disk_through_the_page_shows_the_message_and_saves_nothing(client, world, media, full_disk):
    full_disk(1000)
    client.force_login(world.official)
    events_before = Event.objects.count()

    response = client.post(
        reverse("clearance:enterprise_event_create", args=[world.enterprise.pk]),
        {"stage": Stage.VACATED, "occurred_on": "2022-04-01", "photos": [upload("现场.png", png())],
         "phase": PhotoPhase.AFTER},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["photos"] == [DISK_FULL.format(name="现场.png")]
    assert form_error_codes(response.context["form"]) == {"photos": ["photo_not_stored"]}
    assert DISK_FULL.format(name="现场.png") in response.content.decode()
    assert Event.objects.count() == events_before
    assert Photo.objects.count() == 0
    assert files_under(media) == set()


def test_full_disk_while_correcting_an_event_with_a_photo_keeps_the_event_as_it_was(client, world, media, full_disk):
    full_disk(0)
    client.force_login(world.official)

    response = client.post(
        reverse("clearance:event_update", args=[world.event.pk]),
        {"version": 1, "occurred_on": "2022-03-05", "note": "改了日期", "photos": [upload("签约.png", png())],
         "phase": PhotoPhase.DURING},
    )

    event = Event.objects.get(pk=world.event.pk)
    assert response.status_code == 200
    assert response.context["form"].errors["photos"] == [DISK_FULL.format(name="签约.png")]
    assert form_error_codes(response.context["form"]) == {"photos": ["photo_not_stored"]}
    assert (event.occurred_on.isoformat(), event.note, event.version) == ("2022-03-01", "", 1)
    assert files_under(media) == set()


# The database connection lost in the middle of an import -----------------------------------------

LEDGER_ENTERPRISES = 400
# What the import's error says: psycopg2 reports the server's notice, or only the closed socket when it read no notice.
CUT_REASONS = {
    "terminating connection due to administrator command", "server closed the connection unexpectedly", "disk I/O error",
}


class ConnectionCut:
    """Cut this thread's database connection at the first statement after the import has written enterprises.

    PostgreSQL: another connection terminates the backend (pg_terminate_backend),
    so the statement meets a real dropped connection. SQLite has no server to
    lose: the statement fails with the I/O error a lost disk would give.
    """

    def __init__(self):
        self.cut = False

    def __call__(self, execute, sql, params, many, context):
        if not self.cut and self._enterprises_written():
            self.cut = True
            if connection.vendor == "postgresql":
                self._terminate(connection.connection.info.backend_pid)
            else:
                raise OperationalError("disk I/O error")
        return execute(sql, params, many, context)

    @staticmethod
    def _enterprises_written() -> bool:
        # The raw DB-API cursor: it sees this transaction's own rows and does not come back through this wrapper.
        cursor = connection.connection.cursor()
        cursor.execute("SELECT COUNT(*) FROM clearance_enterprise")
        written = cursor.fetchone()[0] > 0
        cursor.close()
        return written

    @staticmethod
    def _terminate(pid: int) -> None:
        database = connection.settings_dict
        with psycopg2.connect(dbname=database["NAME"], host=database["HOST"], port=database["PORT"],
                              user=database["USER"], password=database["PASSWORD"]) as other:
            other.autocommit = True
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
                for _ in range(500):
                    cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
                    if cursor.fetchone() is None:
                        break
                    time.sleep(0.01)
        other.close()


@pytest.fixture
def bench_ledger(tmp_path):
    """A generated ledger of LEDGER_ENTERPRISES enterprises on eight towns; the towns exist."""
    for order, (name, kind) in enumerate(TOWNS, start=1):
        services.town_upsert(name=name, kind=kind, display_order=order)
    path = tmp_path / "台账.xlsx"
    write_bench_ledger(path, LEDGER_ENTERPRISES)
    return path


def imported_rows() -> dict[str, int]:
    return {
        "sites": Site.objects.count(), "enterprises": Enterprise.objects.count(), "events": Event.objects.count(),
        "enterprise history": Enterprise.history.count(), "event history": Event.history.count(),
        "rollup rows": MonthlyFigure.objects.count(),
    }


@pytest.mark.django_db(transaction=True)
def test_connection_lost_mid_import_writes_nothing_and_the_retry_imports_everything(bench_ledger):
    cut = ConnectionCut()

    with pytest.raises(OperationalError) as lost, connection.execute_wrapper(cut):
        ledger_import(path=bench_ledger)

    assert cut.cut
    assert str(lost.value).split("\n")[0] in CUT_REASONS
    assert imported_rows() == {
        "sites": 0, "enterprises": 0, "events": 0, "enterprise history": 0, "event history": 0, "rollup rows": 0
    }
    report = ledger_import(path=bench_ledger)
    sites, events = LEDGER_ENTERPRISES // 8, LEDGER_ENTERPRISES * 2 + LEDGER_ENTERPRISES // 2
    assert (report.sites.created, report.enterprises.created, report.events.created) == (
        sites, LEDGER_ENTERPRISES, events
    )
    assert imported_rows() == {
        "sites": sites, "enterprises": LEDGER_ENTERPRISES, "events": events,
        "enterprise history": LEDGER_ENTERPRISES, "event history": events,
        "rollup rows": MonthlyFigure.objects.count(),
    }
    assert rollup.differences() == []
    assert selectors.city_figures(year=2021, month=12)["enterprises_rectified"] == LEDGER_ENTERPRISES // 2


@pytest.mark.django_db(transaction=True)
def test_import_command_says_the_database_failed_and_that_importing_again_is_safe(bench_ledger):
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(SystemExit) as exit_, connection.execute_wrapper(ConnectionCut()):
        call_command("import_ledger", str(bench_ledger), stdout=out, stderr=err)

    assert exit_.value.code == 1
    assert err.getvalue() in {
        f"导入时数据库出错（{reason}）。导入要么全部写入、要么全部不写，重复导入同一文件是安全的：请重新导入。\n"
        for reason in CUT_REASONS
    }
    assert Enterprise.objects.count() == 0
    assert call_command("import_ledger", str(bench_ledger), stdout=out) is None
    assert Enterprise.objects.count() == LEDGER_ENTERPRISES


# The server killed in the middle of a request ---------------------------------------------------

BULK_ENTERPRISES = 300
PORTS = range(8301, 8321)


def free_port() -> int:
    return ports.free_port(PORTS)


class Server:
    """gunicorn serving the project from another process, as in production, on DATABASE_URL."""

    def __init__(self, database_url: str, log: Path):
        self.port = free_port()
        env = {
            **os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "pinghu.settings",
            # The test's key: the session the test signs in with is checked against it.
            "SECRET_KEY": settings.SECRET_KEY, "ALLOWED_HOSTS": "127.0.0.1", "HTTPS_ONLY": "0",
            "PLAIN_STATIC_STORAGE": "1", "CONN_MAX_AGE": "0", "MEDIA_ROOT": str(log.parent / "media"),
        }
        env.pop("DEBUG", None)
        self.log = log
        with log.open("ab") as output:
            # A session of its own, so that killing its process group kills the master and its worker, and nothing else.
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "pinghu.wsgi", "--bind", f"127.0.0.1:{self.port}", "--workers", "1",
                 "--timeout", "300"],
                cwd=ROOT, env=env, stdout=output, stderr=output, start_new_session=True,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, log.read_text()
            try:
                status, _ = self.request("GET", "/accounts/login/", timeout=5)
            except OSError:
                time.sleep(0.2)
                continue
            assert status == 200, log.read_text()
            return
        raise AssertionError(f"gunicorn did not start:\n{log.read_text()}")

    def request(self, method: str, path: str, *, body: str = "", cookies: dict | None = None, timeout=300):
        client = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        try:
            client.request(method, path, body=body.encode(), headers=headers)
            response = client.getresponse()
            response.read()
            return response.status, response.getheader("Location")
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL master and worker at once: no handler runs, no transaction is finished."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


def served_database_url(tmp_path: Path) -> str:
    """A URL another process can open the test database by: the database itself, or a file copy of SQLite's."""
    if connection.vendor == "postgresql":
        database = connection.settings_dict
        return (f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST'] or 'localhost'}:"
                f"{database['PORT'] or 5432}/{database['NAME']}")
    copy = sqlite3.connect(tmp_path / "served.sqlite3")
    connection.ensure_connection()
    connection.connection.backup(copy)
    copy.close()
    return f"sqlite:///{tmp_path / 'served.sqlite3'}"


def take_back_what_the_server_wrote(tmp_path: Path) -> None:
    """SQLite: read the served file back into the test database (opening it rolls back what a killed writer left)."""
    if connection.vendor == "postgresql":
        return
    served = sqlite3.connect(tmp_path / "served.sqlite3")
    served.backup(connection.connection)
    served.close()


def writing_transaction_open(tmp_path: Path) -> bool:
    """Whether another process is inside a transaction that has written events (and not yet committed)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_locks WHERE relation = 'clearance_event'::regclass AND mode = 'RowExclusiveLock' "
                "AND granted AND pid <> pg_backend_pid() "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
            return cursor.fetchone() is not None
    probe = sqlite3.connect(tmp_path / "served.sqlite3", timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")  # refused while a writer holds the file's write lock
        probe.rollback()
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_server_killed_during_a_bulk_recording_leaves_no_partial_rows(tmp_path):
    world = build_world()
    bulk = Enterprise.objects.bulk_create(
        Enterprise(town=world.town, site=world.parcel, name=f"批量企业{number:03d}") for number in range(BULK_ENTERPRISES)
    )
    signed_in = Client()
    signed_in.force_login(world.official)
    csrf = get_random_string(32)
    cookies = {"sessionid": signed_in.cookies["sessionid"].value, "csrftoken": csrf}
    body = urlencode(
        [("csrfmiddlewaretoken", csrf), ("bulk-stage", Stage.SIGNED), ("bulk-occurred_on", "2022-06-01"),
         ("bulk-note", "批量签约")] + [("bulk-enterprises", enterprise.pk) for enterprise in bulk]
    )
    path = reverse("clearance:site_events_bulk", args=[world.parcel.pk])
    url = served_database_url(tmp_path)
    server = Server(url, tmp_path / "gunicorn.log")
    outcome: list = []
    posting = threading.Thread(target=lambda: outcome.append(_attempt(server, path, body, cookies)))

    try:
        posting.start()
        deadline = time.monotonic() + 120
        while not writing_transaction_open(tmp_path):
            assert time.monotonic() < deadline and posting.is_alive(), f"no write seen: {outcome}"
            time.sleep(0.02)
        server.kill()
        posting.join(timeout=60)
    finally:
        server.kill()
    # The killed worker's transaction ends with its connection (PostgreSQL) or with the next opening (SQLite).
    deadline = time.monotonic() + 60
    while connection.vendor == "postgresql" and writing_transaction_open(tmp_path):
        assert time.monotonic() < deadline, "the killed worker's transaction is still open"
        time.sleep(0.1)
    take_back_what_the_server_wrote(tmp_path)

    assert len(outcome) == 1 and isinstance(outcome[0], (ConnectionError, http.client.HTTPException)), outcome
    assert Event.objects.filter(enterprise__in=bulk).count() == 0
    assert Event.history.filter(enterprise__in=bulk).count() == 0
    assert rollup.differences() == []

    # Restarted, the server takes the same request whole.
    restarted = Server(url, tmp_path / "gunicorn.log")
    try:
        status, location = restarted.request("POST", path, body=body, cookies=cookies)
    finally:
        restarted.kill()
    take_back_what_the_server_wrote(tmp_path)

    assert (status, location) == (302, world.parcel.get_absolute_url() + "#timeline")
    assert Event.objects.filter(enterprise__in=bulk, stage=Stage.SIGNED, note="批量签约").count() == BULK_ENTERPRISES
    assert Event.history.filter(enterprise__in=bulk, history_user=world.official).count() == BULK_ENTERPRISES
    assert selectors.city_figures(year=2022, month=6)["signed"] == BULK_ENTERPRISES + 1  # and the world's own
    assert rollup.differences() == []


def _attempt(server: Server, path: str, body: str, cookies: dict):
    """POST and return the status, or the exception met when the server died under the request."""
    try:
        return server.request("POST", path, body=body, cookies=cookies)[0]
    except (ConnectionError, http.client.HTTPException) as error:
        return error
