"""The web upload refuses, in the request and before anything is stored or queued, ledgers over the limits."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from clearance.models import BackgroundJob, Enterprise, Site
from tests.ledger.test_read_bounds import ROW_LIMIT_MESSAGE, forged_workbook, write_csv_folder
from tests.views.test_ledger_pages import IMPORT_URL

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


@pytest.fixture
def admin_client(client):
    client.force_login(get_user_model().objects.create_superuser("limits-admin", "a@example.org", "pw-admin-1"))
    return client


def test_an_850000_row_csv_from_the_web_gets_the_row_limit_message_in_under_two_seconds(admin_client, tmp_path, settings,
                                                                                           ledger_towns):
    folder = write_csv_folder(tmp_path, 850_000)
    files = {
        "sites_csv": SimpleUploadedFile("地块.csv", (folder / "地块.csv").read_bytes()),
        "enterprises_csv": SimpleUploadedFile("企业.csv", (folder / "企业.csv").read_bytes()),
    }
    started = time.perf_counter()
    response = admin_client.post(IMPORT_URL, files)
    elapsed = time.perf_counter() - started

    assert response.status_code == 200  # the upload page again, with the message
    page = response.content.decode()
    assert ROW_LIMIT_MESSAGE.format(file="地块.csv", limit=settings.CLEARANCE_LEDGER_MAX_ROWS) in page
    assert elapsed < 2, f"the refusal took {elapsed:.2f} s"
    assert not BackgroundJob.objects.exists()  # nothing stored, nothing queued
    assert not Site.objects.exists()


def test_a_workbook_lying_about_its_size_is_refused_on_the_upload_page(admin_client, tmp_path, ledger_towns):
    forged = forged_workbook(tmp_path)
    response = admin_client.post(IMPORT_URL, {"workbook": SimpleUploadedFile("台账.xlsx", forged.read_bytes())})

    assert response.status_code == 200
    assert "alert-danger" in response.content.decode()
    assert not BackgroundJob.objects.exists()
    assert not (Site.objects.exists() or Enterprise.objects.exists())


def test_the_upload_form_names_the_limits(admin_client, settings):
    settings.CLEARANCE_LEDGER_MAX_ROWS = 1234
    page = admin_client.get(IMPORT_URL).content.decode()
    assert "1,234" in page and "import_ledger" in page
