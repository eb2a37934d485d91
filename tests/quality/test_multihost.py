"""Beyond one machine: reads routed to a replica, photos in object storage, two app servers sharing one state."""

import http.client
import io
import json
import os
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections, router
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from clearance import services
from clearance.choices import Metric, PhotoPhase, Stage
from clearance.models import Enterprise, Event, Photo

from tests import ports
from tests.errors import error_codes
from tests.url_rules import build_world

ROOT = Path(__file__).resolve().parents[2]
REDIS_TEST_URL = "redis://127.0.0.1:6379/3"
# This file's own ports (the servers and the object store), so parallel work on the machine cannot collide.
PORTS = range(8201, 8221)


def free_port(taken=()) -> int:
    return ports.free_port(PORTS, taken)


def image_bytes(fmt: str = "PNG", size=(64, 48), color="teal") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    return buffer.getvalue()


def tables_read(queries) -> set[str]:
    """Return the tables the SELECTs among QUERIES read."""
    return {
        table
        for query in queries
        if query["sql"].lstrip().upper().startswith("SELECT")
        for table in re.findall(r'(?:FROM|JOIN) "(\w+)"', query["sql"])
    }


def campaign_tables(tables: set[str]) -> set[str]:
    return {table for table in tables if table.startswith("clearance_")}


# Reads routed to the replica ------------------------------------------------------------------------------
# The test settings declare a `replica` alias mirroring the test database; these tests install the router
# DATABASE_REPLICA_URL installs, and look at which connection each query went through.

# Committed rows, since the replica is a connection of its own; one world per test keeps the flushes few.
replica_db = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def replica_routing(settings):
    settings.DATABASE_ROUTERS = ["pinghu.routers.ReplicaRouter"]


def capturing(client, method: str, url: str, data=None):
    """Return the response to METHOD URL and the queries sent through the primary and through the replica."""
    with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(connections["replica"]) as replica:
        response = client.get(url) if method == "GET" else client.post(url, data)
    return response, primary.captured_queries, replica.captured_queries


@replica_db
def test_dashboard_pages_read_the_campaign_from_the_replica(client, replica_routing):
    world = build_world()
    client.force_login(world.leader)
    pages = [
        reverse("clearance:home") + "?year=2022&month=4",
        reverse("clearance:board"),
        reverse("clearance:bulletin") + "?year=2022&month=4",
        reverse("api_summary") + "?year=2022&month=4",
        reverse("clearance:town_detail", args=[world.town.pk]),
        reverse("clearance:town_board", args=[world.town.pk]),
    ]

    for url in pages:
        response, primary, replica = capturing(client, "GET", url)

        assert response.status_code == 200, url
        assert world.town.name in response.content.decode(), url
        assert campaign_tables(tables_read(replica)) >= {"clearance_town"}, url
        # The session and the user still come from the primary, so a fresh sign-in works on a lagging replica.
        assert campaign_tables(tables_read(primary)) == set(), url
        assert "django_session" in tables_read(primary), url


@replica_db
def test_recording_progress_reads_and_writes_the_primary_only(client, replica_routing):
    world = build_world()
    client.force_login(world.official)
    # First the dashboard, which reads the replica: a sync worker serves its next request in the same thread,
    # so nothing of that may carry over to the requests below.
    client.get(reverse("clearance:home"))

    page, page_primary, page_replica = capturing(client, "GET", world.enterprise.get_absolute_url())
    saved, primary, replica = capturing(
        client, "POST", reverse("clearance:enterprise_event_create", args=[world.enterprise.pk]),
        {"stage": Stage.VACATED, "occurred_on": "2022-04-01", "note": "主库写入"},
    )

    assert world.enterprise.name in page.content.decode()
    assert page_replica == []
    assert "clearance_enterprise" in tables_read(page_primary)
    assert saved.status_code == 302
    assert Event.objects.get(enterprise=world.enterprise, stage=Stage.VACATED).note == "主库写入"
    assert replica == []
    assert {"clearance_enterprise", "clearance_event"} <= tables_read(primary)
    assert any(query["sql"].startswith('INSERT INTO "clearance_event"') for query in primary)
    assert router.db_for_read(Enterprise) == "default"


def test_router_writes_and_migrates_on_the_primary_only():
    from pinghu.routers import ReplicaRouter

    replica_router = ReplicaRouter()

    assert replica_router.db_for_write(Enterprise) == "default"
    assert replica_router.db_for_read(Enterprise) == "default"
    assert replica_router.allow_migrate("default", "clearance") is True
    assert replica_router.allow_migrate("replica", "clearance") is False


# Photos in S3-compatible object storage ----------------------------------------------------------------------


@dataclass
class ObjectStore:
    endpoint: str
    bucket: str
    client: object

    def keys(self) -> set[str]:
        listing = self.client.list_objects_v2(Bucket=self.bucket)
        return {item["Key"] for item in listing.get("Contents", [])}


@pytest.fixture
def object_store():
    """An S3-compatible server in this process (moto) with an empty private bucket."""
    boto3 = pytest.importorskip("boto3")
    server_module = pytest.importorskip("moto.server", reason="moto[server] is needed for the object-storage tests")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    bucket = f"pinghu-photos-{uuid.uuid4().hex[:8]}"
    client.create_bucket(Bucket=bucket)
    try:
        yield ObjectStore(endpoint=endpoint, bucket=bucket, client=client)
    finally:
        server.stop()


def s3_environment(store: ObjectStore) -> dict[str, str]:
    """Return the environment variables that put photos in STORE, as a deployment sets them."""
    return {
        "AWS_STORAGE_BUCKET_NAME": store.bucket,
        "AWS_S3_ENDPOINT_URL": store.endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_S3_ADDRESSING_STYLE": "path",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


@pytest.fixture
def photos_in_object_store(settings, object_store, tmp_path):
    """Store photos in the bucket through the settings AWS_STORAGE_BUCKET_NAME selects; MEDIA_ROOT stays empty."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "pinghu.object_storage.PrivateS3Storage"}}
    settings.AWS_STORAGE_BUCKET_NAME = object_store.bucket
    settings.AWS_S3_ENDPOINT_URL = object_store.endpoint
    settings.AWS_S3_REGION_NAME = "us-east-1"
    settings.AWS_S3_ADDRESSING_STYLE = "path"
    settings.AWS_ACCESS_KEY_ID = "testing"
    settings.AWS_SECRET_ACCESS_KEY = "testing"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return object_store


@pytest.mark.django_db
def test_photo_goes_to_the_object_store_and_reads_back(photos_in_object_store, tmp_path):
    world = build_world()
    content = image_bytes("PNG", size=(900, 600))

    photo = services.photo_add(
        event=world.event, upload=SimpleUploadedFile("现场.png", content, "image/png"), phase=PhotoPhase.AFTER,
        user=world.official,
    )

    assert photos_in_object_store.keys() == {photo.image.name, photo.thumbnail.name}
    with default_storage.open(photo.image.name) as stored:
        assert stored.read() == content
    with Image.open(default_storage.open(photo.thumbnail.name)) as thumbnail:
        assert max(thumbnail.size) == 480
    # Nothing lands on the app server's own disk.
    assert not (tmp_path / "media").exists()


@pytest.mark.django_db
def test_photos_in_the_object_store_stay_private(photos_in_object_store):
    world = build_world()
    photo = services.photo_add(
        event=world.event, upload=SimpleUploadedFile("a.png", image_bytes(), "image/png"), phase=PhotoPhase.DURING,
        user=world.official,
    )

    grants = photos_in_object_store.client.get_object_acl(Bucket=photos_in_object_store.bucket, Key=photo.image.name)["Grants"]

    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]
    assert grants[0]["Grantee"]["Type"] == "CanonicalUser"
    # Pages link to the app, which checks the sign-in, never to the object store.
    assert photo.image.url == f"/media/{photo.image.name}"


@pytest.mark.django_db
def test_photos_in_the_object_store_are_served_to_signed_in_users_only(client, photos_in_object_store):
    world = build_world()
    content = image_bytes("PNG", color="navy")
    photo = services.photo_add(
        event=world.event, upload=SimpleUploadedFile("a.png", content, "image/png"), phase=PhotoPhase.DURING,
        user=world.official,
    )

    anonymous = client.get(photo.image.url)
    client.force_login(world.leader)
    signed_in = client.get(photo.image.url)
    missing = client.get("/media/photos/2022/04/" + "0" * 32 + ".png")

    assert anonymous.status_code == 302
    assert anonymous.url.startswith("/accounts/login/")
    assert signed_in["Content-Type"] == "image/png"
    assert b"".join(signed_in.streaming_content) == content
    assert missing.status_code == 404


@pytest.mark.django_db
def test_page_shows_photos_from_the_object_store_through_the_app(client, photos_in_object_store):
    world = build_world()
    photo = services.photo_add(
        event=world.event, upload=SimpleUploadedFile("a.png", image_bytes(), "image/png"), phase=PhotoPhase.DURING,
        user=world.official,
    )
    client.force_login(world.leader)

    html = client.get(world.enterprise.get_absolute_url()).content.decode()

    assert f'src="/media/{photo.thumbnail.name}"' in html
    assert photos_in_object_store.endpoint not in html


@pytest.mark.django_db
def test_refused_photo_leaves_no_object_behind(photos_in_object_store):
    world = build_world()
    good = SimpleUploadedFile("a.png", image_bytes(), "image/png")
    bad = SimpleUploadedFile("b.jpg", b"not a photo", "image/jpeg")

    with pytest.raises(ValidationError) as refused:
        services.photos_add(event=world.event, uploads=[good, bad], phase=PhotoPhase.DURING, user=world.official)

    assert refused.value.messages == ["“b.jpg”不是 JPEG、PNG、WebP 或 HEIC 格式的照片。"]
    assert error_codes(refused.value) == ["photo_not_image"]
    assert photos_in_object_store.keys() == set()
    assert Photo.objects.count() == 0


# Two app servers, one state ----------------------------------------------------------------------------------

PASSWORD = "two-servers-2022"
SECRET_KEY = "multihost-test-" + "k" * 40


@pytest.fixture
def postgres_and_redis():
    """Skip, saying why, where the two-server test cannot run; else return the shared Redis, emptied."""
    problem = postgres_and_redis_problem()
    if problem:
        pytest.skip(problem)
    shared_cache = redis.Redis.from_url(REDIS_TEST_URL)
    shared_cache.flushdb()
    yield shared_cache
    shared_cache.flushdb()


def postgres_and_redis_problem() -> str | None:
    """Return why the two-server test cannot run here, or None."""
    if connection.vendor != "postgresql":
        return "needs PostgreSQL (set DATABASE_URL): two servers cannot share an in-memory SQLite test database"
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"needs Redis on 127.0.0.1:6379 ({error})"
    return None


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()


class Visitor:
    """A browser of its own: a cookie jar, plain HTTP to whichever server it is sent to, redirects not followed."""

    def __init__(self, cookies: dict[str, str] | None = None):
        self.cookies = dict(cookies or {})

    def request(self, port: int, method: str, path: str, *, body: bytes | None = None, content_type: str = "") -> Reply:
        headers = {"Host": f"127.0.0.1:{port}", "Accept-Language": "zh-hans"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if content_type:
            headers["Content-Type"] = content_type
        server = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            server.request(method, path, body=body, headers=headers)
            response = server.getresponse()
            reply = Reply(response.status, response.headers, response.read())
        finally:
            server.close()
        for header in reply.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return reply

    def get(self, port: int, path: str) -> Reply:
        return self.request(port, "GET", path)

    def post_form(self, port: int, path: str, fields: dict) -> Reply:
        return self.request(port, "POST", path, body=urlencode(fields).encode(), content_type="application/x-www-form-urlencoded")

    def post_multipart(self, port: int, path: str, fields: dict, files: dict[str, tuple[str, bytes, str]]) -> Reply:
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, content, content_type) in files.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n"
            )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(port, "POST", path, body=b"".join(parts), content_type=f"multipart/form-data; boundary={boundary}")


def form_token(html: str) -> str:
    """Return the CSRF token of the first form in HTML, as a browser would post it."""
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def city_figure(html: str, metric: str) -> str:
    """Return the actual figure of METRIC's card on the dashboard HTML."""
    match = re.search(rf'data-figure="{metric}".*?class="figure-value">([^<]*)<', html, re.DOTALL)
    assert match, f"the dashboard shows no card for {metric}"
    return match.group(1)


class AppServer:
    """One gunicorn host: its own process, its own empty MEDIA_ROOT, the shared database, cache and object store."""

    def __init__(self, port: int, environment: dict[str, str], folder: Path):
        self.port = port
        self.media_root = folder / "media"
        self.media_root.mkdir(parents=True)
        self.log = folder / "gunicorn.log"
        self._log_file = self.log.open("wb")
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.process = subprocess.Popen(
            [str(gunicorn), "pinghu.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}", "--graceful-timeout", "5"],
            cwd=ROOT, env={**environment, "MEDIA_ROOT": str(self.media_root)},
            stdout=self._log_file, stderr=subprocess.STDOUT,
        )

    def wait_until_serving(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn on {self.port} exited:\n{self.log.read_text(errors='replace')[-3000:]}")
            try:
                if Visitor().get(self.port, "/accounts/login/").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        pytest.fail(f"gunicorn on {self.port} did not serve in time:\n{self.log.read_text(errors='replace')[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log_file.close()

    def stored_files(self) -> list[Path]:
        return [path for path in self.media_root.rglob("*") if path.is_file()]


def server_environment(store: ObjectStore) -> dict[str, str]:
    """Return a production-like environment for the servers: DEBUG off, one key, the test database, Redis DB 3."""
    database = connection.settings_dict
    credentials = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
    environment = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "AWS_", "REDIS_", "CACHE_"))
        and key not in {"DEBUG", "SECRET_KEY", "MEDIA_ROOT"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="pinghu.settings",
        DATABASE_URL=f"postgres://{credentials}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}",
        CONN_MAX_AGE="0",
        REDIS_URL=REDIS_TEST_URL,
        SECRET_KEY=SECRET_KEY,
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1",
        # Plain HTTP on the loopback: no HTTPS redirect, cookies without the Secure flag; no collectstatic.
        HTTPS_ONLY="0",
        SECURE_COOKIES="0",
        PLAIN_STATIC_STORAGE="1",
        **s3_environment(store),
    )
    return environment


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_servers_share_sign_in_figures_photos_and_cache(postgres_and_redis, settings, object_store, tmp_path):
    shared_cache = postgres_and_redis
    world = build_world()
    # The servers check passwords with the production hasher, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    world.official.set_password(PASSWORD)
    world.official.save()
    services.target_set(year=2022, metric=Metric.ENTERPRISES_RECTIFIED, value=Decimal("2"))
    services.event_record(enterprise=world.enterprise, stage=Stage.VACATED, on=date(2022, 3, 15), user=world.official)
    summary_path = "/api/summary/?year=2022&month=4"
    dashboard_path = "/?year=2022&month=4"

    started = time.monotonic()
    environment = server_environment(object_store)
    port_a = free_port()
    port_b = free_port(taken={port_a})
    server_a = AppServer(port_a, environment, tmp_path / "host-a")
    server_b = AppServer(port_b, environment, tmp_path / "host-b")
    try:
        # Four workers boot Django at once: about 5 s on an idle 2-core machine, much more on a busy one.
        server_a.wait_until_serving(started + 120)
        server_b.wait_until_serving(started + 120)

        # Signing in on A…
        official = Visitor()
        login_page = official.get(port_a, "/accounts/login/")
        signed_in = official.post_form(port_a, "/accounts/login/", {
            "csrfmiddlewaretoken": form_token(login_page.text), "username": world.official.username, "password": PASSWORD,
        })
        assert signed_in.status == 302, signed_in.text
        # An official lands on the workspace of their town.
        assert signed_in.headers["Location"] == f"/workspace/{world.town.pk}/sites/"

        # …signs in on B: a browser that only carries A's session cookie is let in.
        on_b = Visitor({"sessionid": official.cookies["sessionid"]})
        assert Visitor().get(port_b, "/").status == 302
        dashboard_before = on_b.get(port_b, dashboard_path)
        assert dashboard_before.status == 200
        assert world.official.username in dashboard_before.text
        summary_before = on_b.get(port_b, summary_path)
        assert summary_before.status == 200
        figures_before = json.loads(summary_before.text)
        assert figures_before["metrics"]["enterprises_rectified"]["actual"] == 0
        assert city_figure(dashboard_before.text, "enterprises_rectified") == "0"

        # Closing the enterprise out on A, through the page's own form, with a photo.
        record_url = reverse("clearance:enterprise_event_create", args=[world.enterprise.pk])
        form_page = official.get(port_a, record_url)
        assert form_page.status == 200
        photo = image_bytes("PNG", size=(800, 600), color="olive")
        recorded = official.post_multipart(
            port_a, record_url,
            {"csrfmiddlewaretoken": form_token(form_page.text), "stage": Stage.CLOSED, "occurred_on": "2022-04-01",
             "note": "在服务器A上登记", "phase": PhotoPhase.AFTER},
            {"photos": ("现场.png", photo, "image/png")},
        )
        assert recorded.status == 302, recorded.text[-2000:]

        # B shows the new figure at once: in the JSON, on the dashboard, and the enterprise's timeline and photo.
        figures_after = json.loads(on_b.get(port_b, summary_path).text)
        assert figures_after["metrics"]["enterprises_rectified"]["actual"] == 1
        assert figures_after["metrics"]["enterprises_rectified"]["completion_pct"] == 50.0
        [town] = [row for row in figures_after["towns"] if row["name"] == world.town.name]
        assert town["metrics"]["enterprises_rectified"]["actual"] == 1
        assert city_figure(on_b.get(port_b, dashboard_path).text, "enterprises_rectified") == "1"
        enterprise_page = on_b.get(port_b, world.enterprise.get_absolute_url()).text
        assert "在服务器A上登记" in enterprise_page
        stored = Photo.objects.get(event__enterprise=world.enterprise, event__stage=Stage.CLOSED)
        assert f'href="/media/{stored.image.name}"' in enterprise_page
        served = on_b.get(port_b, f"/media/{stored.image.name}")
        assert served.status == 200
        assert served.body == photo
        assert Visitor().get(port_b, f"/media/{stored.image.name}").status == 302
        # Neither server kept a file of its own: the photo lives in the object store only.
        assert server_a.stored_files() == server_b.stored_files() == []
        assert object_store.keys() == {stored.image.name, stored.thumbnail.name}

        # The session A wrote sits in the shared cache, and B reads it from there: with its database row
        # gone, B still knows the official.
        session_key = official.cookies["sessionid"]
        assert shared_cache.exists(f"pinghu:1:django.contrib.sessions.cached_db{session_key}")
        Session.objects.filter(session_key=session_key).delete()
        still_signed_in = on_b.get(port_b, dashboard_path)
        assert still_signed_in.status == 200
        assert world.official.username in still_signed_in.text
    finally:
        server_a.stop()
        server_b.stop()
