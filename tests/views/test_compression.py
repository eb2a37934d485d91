"""Pages travel compressed to a browser that accepts gzip; photos and spreadsheets, compressed already, as they are."""

import gzip

from django.test import Client
from django.urls import reverse

from clearance.models import Photo

from tests.url_rules import build_admin_world

BROWSER_ENCODINGS = "gzip, deflate, br, zstd"


def test_a_page_reaches_a_browser_gzipped_and_reads_the_same(db):
    plain = Client().get("/accounts/login/")
    compressed = Client().get("/accounts/login/", HTTP_ACCEPT_ENCODING=BROWSER_ENCODINGS)

    assert "Content-Encoding" not in plain
    assert compressed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed["Vary"]
    page = gzip.decompress(compressed.content).decode()
    assert 'name="password"' in page and 'name="username"' in page
    assert len(compressed.content) < len(plain.content) / 2


def test_the_dashboard_is_sent_compressed_to_a_signed_in_leader(client, world):
    client.force_login(world.leader)

    response = client.get(reverse("clearance:home"), HTTP_ACCEPT_ENCODING=BROWSER_ENCODINGS)

    assert response["Content-Encoding"] == "gzip"
    assert world.town.name in gzip.decompress(response.content).decode()


def test_photos_and_spreadsheets_are_sent_as_they_are(client, db, media):
    world = build_admin_world()
    photo = Photo.objects.get()
    client.force_login(world.admin)

    image = client.get(photo.image.url, HTTP_ACCEPT_ENCODING=BROWSER_ENCODINGS)
    ledger = client.get(reverse("clearance:ledger_export"), HTTP_ACCEPT_ENCODING=BROWSER_ENCODINGS)

    assert image.status_code == 200 and "Content-Encoding" not in image
    with photo.image.open("rb") as stored:
        assert b"".join(image.streaming_content) == stored.read()
    assert ledger.status_code == 200 and "Content-Encoding" not in ledger
    # Still the workbook: a zip archive, as Excel expects.
    assert ledger.content[:2] == b"PK"
