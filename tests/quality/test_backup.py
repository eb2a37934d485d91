"""make backup / make restore: an archive restored into an empty database gives the same figures, history and photos."""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from PIL import Image

from clearance import backups, selectors, services
from clearance.api import summary_json
from clearance.derived import rollup
from clearance.choices import Metric, PhotoPhase, Stage
from clearance.models import Enterprise, Event, Photo

from tests.factories import close_out
from tests.url_rules import build_world

ROOT = Path(settings.BASE_DIR)
YEARS = (2022, 2023)
# Installing requirements is not what these tests are about: make is told the venv is up to date.
MAKE = ["make", "--no-print-directory", "-o", ".venv/.requirements-installed", f"VPY={sys.executable}"]


# The data: a little of everything a backup must keep ---------------------------------------------


def photo_upload(name: str, fmt: str, color: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), color).save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def build_campaign():
    """Towns, pairings, targets, a bulletin, events over two years, photos, corrections, a deletion, a re-pairing."""
    world = build_world()
    admin, official = world.admin, world.official
    for metric, value in ((Metric.ENTERPRISES_RECTIFIED, 4), (Metric.LAND_VACATED_MU, 50), (Metric.ENERGY_FREED_TCE, 100)):
        services.target_set(year=2022, metric=metric, value=Decimal(value), user=admin)
        services.target_set(year=2022, metric=metric, value=Decimal(value) / 2, town=world.town, user=admin)
    services.county_upsert(name="平湖市", is_home=True, display_order=1, user=admin)
    haining = services.county_upsert(name="海宁市", display_order=2, user=admin).obj
    services.bulletin_figure_set(county=haining, year=2022, month=6, metric=Metric.ENTERPRISES_RECTIFIED,
                                 actual=Decimal(3), target=Decimal(5), user=admin)
    tenants = []
    for number, month in enumerate((2, 5, 8)):
        tenant = services.enterprise_create(site=world.parcel, name=f"备份企业{number}", user=admin,
                                            energy_freed_tce=Decimal("12.5"))
        close_out(tenant, signed=date(2022, month, 1), vacated=date(2022, month, 10), closed=date(2022, month, 20),
                  user=official)
        tenants.append(tenant)
    services.event_record(site=world.parcel, stage=Stage.VACATED, on=date(2022, 9, 1), user=official)
    later = services.enterprise_create(site=world.other_site, name="备份企业2023", user=admin,
                                       energy_freed_tce=Decimal("7.25"))
    close_out(later, signed=date(2023, 1, 5), vacated=date(2023, 2, 5), closed=date(2023, 3, 5), user=admin)
    services.event_record(
        enterprise=world.enterprise, stage=Stage.VACATED, on=date(2022, 4, 2), user=official, note="腾退现场",
        photos=[photo_upload("现场.png", "PNG", "orange"), photo_upload("IMG_0001.jpg", "JPEG", "teal")],
        phase=PhotoPhase.AFTER,
    )
    services.event_correct(event=world.event, expected_version=1, on=date(2022, 2, 15), user=official)
    fresh = Enterprise.objects.get(pk=tenants[0].pk)
    services.enterprise_update(enterprise=fresh, expected_version=fresh.version, energy_freed_tce=Decimal("20"),
                               user=official)
    surveyed = services.event_record(enterprise=tenants[1], stage=Stage.SURVEYED, on=date(2022, 1, 3), user=official)
    services.event_delete(event=surveyed, expected_version=1, user=official)
    new_head = services.bureau_head_upsert(bureau_name="市经信局", head_name="新局长", user=admin)
    services.pairing_change(town=world.town, new_head=new_head, on=date(2022, 7, 1), user=admin)
    return world


def fingerprint() -> dict:
    """What a restore must bring back: every month's summary, every row of every table, the photos' bytes."""
    summaries = {
        f"{year}-{month:02d}": summary_json(selectors.campaign_summary(year=year, month=month))
        for year in YEARS for month in range(1, 13)
    }
    tables = {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in apps.get_models(include_auto_created=True)
    }
    media = Path(settings.MEDIA_ROOT)
    photos = {
        name: hashlib.sha256((media / name).read_bytes()).hexdigest()
        for photo in Photo.objects.order_by("pk")
        for name in (photo.image.name, photo.thumbnail.name)
    }
    fingerprint = {"summaries": summaries, "tables": tables, "photos": photos, "rollup_differences": rollup.differences()}
    return json.loads(json.dumps(fingerprint, cls=DjangoJSONEncoder))


# Running the commands as an operator would: another process, configured by the environment --------


def database_url(name: str | None = None) -> str:
    """The URL of the test database (or of NAME on the same PostgreSQL server)."""
    database = connection.settings_dict
    credentials = quote(database["USER"] or "") + (f":{quote(database['PASSWORD'])}" if database["PASSWORD"] else "")
    return f"postgres://{credentials}@{database['HOST'] or 'localhost'}:{database['PORT'] or 5432}/{name or database['NAME']}"


def environment(url: str, media: Path) -> dict:
    return {
        **os.environ, "DATABASE_URL": url, "MEDIA_ROOT": str(media), "DJANGO_SETTINGS_MODULE": "pinghu.settings",
        "SECRET_KEY": "backup-test-key", "CONN_MAX_AGE": "0",
    }


def run(command: list[str], url: str, media: Path) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, env=environment(url, media), capture_output=True, text=True, timeout=300)


def fingerprint_of(url: str, media: Path) -> dict:
    script = (
        "import django, json; django.setup(); from django.core.serializers.json import DjangoJSONEncoder; "
        "from tests.quality.test_backup import fingerprint; print(json.dumps(fingerprint(), cls=DjangoJSONEncoder))"
    )
    finished = run([sys.executable, "-c", script], url, media)
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout)


@pytest.fixture
def source(tmp_path, settings):
    """The test database with the campaign committed, as a URL another process can open; its media folder."""
    media = tmp_path / "source-media"
    media.mkdir()
    settings.MEDIA_ROOT = str(media)
    world = build_campaign()
    if connection.vendor == "postgresql":
        return database_url(), media, world
    # The SQLite test database lives in memory: give the other process a copy in a file.
    import sqlite3

    copy = sqlite3.connect(tmp_path / "source.sqlite3")
    connection.ensure_connection()
    connection.connection.backup(copy)
    copy.close()
    return f"sqlite:///{tmp_path / 'source.sqlite3'}", media, world


@pytest.fixture
def empty_database(tmp_path):
    """A database with nothing in it, not even tables: another on the PostgreSQL server, or a new SQLite file."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"{connection.settings_dict['NAME']}_restored_{uuid.uuid4().hex[:8]}"
    database = connection.settings_dict
    server = psycopg2.connect(dbname="postgres", host=database["HOST"], port=database["PORT"], user=database["USER"],
                              password=database["PASSWORD"])
    server.autocommit = True
    try:
        with server.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield database_url(name)
    finally:
        with server.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.close()


# The round trip -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_restore_into_an_empty_database_gives_identical_figures_history_and_photos(source, empty_database, tmp_path):
    source_url, source_media, world = source
    archive = tmp_path / "备份" / "pinghu.tar.gz"
    restored_media = tmp_path / "restored-media"
    expected = fingerprint()

    backed_up = run([*MAKE, "backup", f"BACKUP={archive}"], source_url, source_media)
    restored = run([*MAKE, "restore", f"BACKUP={archive}"], empty_database, restored_media)
    after_restore = fingerprint_of(empty_database, restored_media)
    # A second restore finds data there: refused, and nothing changes; FORCE=1 replaces it all.
    refused = run([*MAKE, "restore", f"BACKUP={archive}"], empty_database, restored_media)
    forced = run([*MAKE, "restore", f"BACKUP={archive}", "FORCE=1"], empty_database, restored_media)
    after_forced = fingerprint_of(empty_database, restored_media)

    assert backed_up.returncode == 0, backed_up.stderr
    assert restored.returncode == 0, restored.stderr
    # The comparison means something: the figures, the history and the photos are there to compare.
    december = expected["summaries"]["2022-12"]["metrics"]
    assert (december["enterprises_rectified"]["actual"], december["land_vacated_mu"]["actual"],
            december["energy_freed_tce"]["actual"]) == (3, 20.43, 45.0)
    assert expected["summaries"]["2023-12"]["metrics"]["energy_freed_tce"]["actual"] == 7.25
    history = expected["tables"]["clearance.HistoricalEvent"]
    assert sorted({row["history_type"] for row in history}) == ["+", "-", "~"]
    assert [row["history_user_id"] for row in history if row["history_type"] == "-"] == [world.official.pk]
    assert len(expected["photos"]) == 4
    assert expected["rollup_differences"] == []
    # The restored database and media are the source, row for row and byte for byte.
    assert after_restore["summaries"] == expected["summaries"]
    assert after_restore["tables"] == expected["tables"]
    assert after_restore["photos"] == expected["photos"]
    assert after_restore["rollup_differences"] == []
    assert refused.returncode != 0
    assert "已有数据" in refused.stderr and "FORCE=1" in refused.stderr
    assert forced.returncode == 0, forced.stderr
    assert after_forced == expected


# Refusals: a clear message, and nothing changed ------------------------------------------------


@pytest.fixture
def archive(tmp_path, settings):
    """A backup of the test database holding the little world of the permission matrix, made in this process."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    world = build_world()
    path = tmp_path / "backup.tar.gz"
    call_command("backup", output=path, stdout=io.StringIO())
    return path, world


def rewritten(path: Path, **manifest_changes) -> Path:
    """Return a copy of the archive PATH with MANIFEST_CHANGES made to its manifest."""
    copy = path.with_name("changed-" + path.name)
    with tarfile.open(path, "r:gz") as original, tarfile.open(copy, "w:gz") as changed:
        for member in original.getmembers():
            content = original.extractfile(member) if member.isfile() else None
            if member.name == backups.MANIFEST:
                manifest = {**json.loads(content.read()), **manifest_changes}
                data = json.dumps(manifest).encode()
                member.size, content = len(data), io.BytesIO(data)
            changed.addfile(member, content)
    return copy


@pytest.mark.django_db(transaction=True)
def test_backup_manifest_names_the_database_its_migrations_and_every_table(archive):
    path, _world = archive

    with tarfile.open(path, "r:gz") as opened:
        names = opened.getnames()
        manifest = json.loads(opened.extractfile(backups.MANIFEST).read())

    database_file = backups.POSTGRES_DUMP if connection.vendor == "postgresql" else backups.SQLITE_COPY
    assert names == [backups.MANIFEST, database_file]  # no photos yet, so no media
    assert manifest["database"]["vendor"] == connection.vendor
    assert ["clearance", "0001_initial"] in manifest["migrations"]
    assert manifest["tables"]["clearance_event"] == Event.objects.count() == 1
    assert manifest["tables"]["clearance_enterprise"] == 2
    assert manifest["media"] == {"files": 0, "bytes": 0}


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_holding_data_and_changes_nothing(archive):
    path, world = archive
    services.event_record(enterprise=world.other_enterprise, stage=Stage.SIGNED, on=date(2022, 5, 1), user=world.admin)

    with pytest.raises(CommandError) as refused:
        call_command("restore", path, stdout=io.StringIO())

    assert str(refused.value).startswith(f"数据库 {connection.settings_dict['NAME']} 中已有数据（")
    assert "FORCE=1" in str(refused.value)
    assert Event.objects.count() == 2  # the event recorded after the backup is still there


@pytest.mark.django_db(transaction=True)
def test_restore_with_force_replaces_what_the_database_holds(archive):
    path, world = archive
    services.event_record(enterprise=world.other_enterprise, stage=Stage.SIGNED, on=date(2022, 5, 1), user=world.admin)

    out = io.StringIO()
    call_command("restore", path, force=True, stdout=out)

    assert list(Event.objects.values_list("enterprise__name", "stage")) == [("示例企业甲", Stage.SIGNED)]
    assert out.getvalue().startswith(f"已从 {path} 恢复（备份于 ")


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    not_a_backup = tmp_path / "notes.tar.gz"
    not_a_backup.write_bytes(b"just some bytes")

    with pytest.raises(CommandError) as refused:
        call_command("restore", not_a_backup, force=True, stdout=io.StringIO())

    assert str(refused.value) == f"{not_a_backup} 不是由 `make backup`（manage.py backup）生成的备份。"


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_backup_of_the_other_database_vendor(archive):
    path, _world = archive
    other = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

    with pytest.raises(CommandError) as refused:
        call_command("restore", rewritten(path, database={"vendor": other, "file": "x", "name": "x"}), force=True)

    assert str(refused.value) == (
        f"这是 {names[other]} 数据库的备份，不能恢复到 {names[connection.vendor]} 数据库中。"
    )
    assert Event.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_backup_made_by_a_newer_version(archive):
    path, _world = archive
    with tarfile.open(path, "r:gz") as opened:
        migrations = json.loads(opened.extractfile(backups.MANIFEST).read())["migrations"]

    with pytest.raises(CommandError) as refused:
        call_command("restore", rewritten(path, migrations=[*migrations, ["clearance", "9999_from_the_future"]]),
                     force=True)

    assert str(refused.value).startswith("该备份由更新版本的系统生成（本版本不认识这些迁移：clearance.9999_from_the_future）")
    assert Event.objects.count() == 1


def test_make_restore_without_an_archive_says_how_to_use_it():
    finished = subprocess.run([*MAKE, "restore"], cwd=ROOT, capture_output=True, text=True, timeout=60)

    assert finished.returncode == 2
    assert "usage: make restore BACKUP=file.tar.gz [FORCE=1]" in finished.stderr


@pytest.mark.django_db(transaction=True)
def test_backup_warns_when_the_photos_live_in_object_storage(tmp_path, settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    err = io.StringIO()

    call_command("backup", output=tmp_path / "backup.tar.gz", stdout=io.StringIO(), stderr=err, no_color=True)

    assert err.getvalue() == (
        "照片保存在对象存储（django.core.files.storage.memory.InMemoryStorage）中，而不在 MEDIA_ROOT："
        "备份和恢复都不包含照片，请使用存储桶自身的版本控制或复制功能。\n"
    )
