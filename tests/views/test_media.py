"""/media/ serves the photos recorded with progress, and nothing else that may lie in MEDIA_ROOT."""

import pytest

from clearance.models import photo_upload_to
from pinghu.media import SERVED_FOLDERS
from tests.url_rules import build_admin_world

pytestmark = pytest.mark.django_db


def test_a_recorded_photo_is_served_to_a_signed_in_user(client, media):
    world = build_admin_world()  # the world holding a photo
    client.force_login(world.leader)
    response = client.get(world.photo.image.url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == world.photo.image.open("rb").read()


def test_every_name_a_photo_is_stored_under_is_served():
    # If photos moved to another folder, /media/ would stop serving them: the two must change together.
    assert photo_upload_to(None, "IMG_0001.JPG").startswith(SERVED_FOLDERS)


@pytest.mark.parametrize("name", [
    "ledger-uploads/0123456789abcdef0123456789abcdef/ledger.xlsx",
    "ledger-uploads/0123456789abcdef0123456789abcdef/企业.csv",
    "backup.tar.gz",
    "photos/../ledger-uploads/0123456789abcdef0123456789abcdef/ledger.xlsx",
])
def test_nothing_but_photos_is_served_even_to_an_admin(client, media, world, name):
    for stored in ("ledger-uploads/0123456789abcdef0123456789abcdef/ledger.xlsx",
                   "ledger-uploads/0123456789abcdef0123456789abcdef/企业.csv", "backup.tar.gz"):
        (media / stored).parent.mkdir(parents=True, exist_ok=True)
        (media / stored).write_bytes(b"PK\x03\x04 a ledger of every enterprise")
    client.force_login(world.admin)
    response = client.get("/media/" + name)
    assert response.status_code == 404
    assert b"a ledger of every enterprise" not in response.content
