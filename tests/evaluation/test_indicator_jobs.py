"""Evaluation data uploaded on the web: checked then imported by a background job, with the ledger's guarantees."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from clearance.choices import JobKind, JobStatus
from clearance.indicators import COLUMNS, SHEET
from clearance.models import BackgroundJob, EvaluatedEnterprise, IndicatorRow, JobFile
from clearance.services.jobs import JobStateError, indicators_job_create, job_confirm

from tests.factories import TownFactory

pytestmark = pytest.mark.django_db

FIGURES = ["10", "100", "200", "1000", "50", "5", "20", "40", "100"]


def csv_bytes(*rows) -> bytes:
    lines = [",".join(COLUMNS)] + [",".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def line(name, *, year="2022", town="试点镇", size="规上", figures=FIGURES, exempt=""):
    return [year, name, "", town, size, *figures, exempt]


@pytest.fixture
def town(db):
    return TownFactory(name="试点镇")


def upload(admin_client, content: bytes, name: str = "亩均.csv"):
    return admin_client.post(reverse("clearance:indicators_import"),
                             {"upload": io.BytesIO(content) | _named(name)}, follow=True)


class _named:
    """`io.BytesIO(...) | _named("x.csv")`: a file object with the name the client sends."""

    def __init__(self, name):
        self.name = name

    def __ror__(self, handle):
        handle.name = self.name
        return handle


def test_an_upload_is_checked_previewed_then_imported_once(town, admin_client, admin_user):
    response = upload(admin_client, csv_bytes(line("甲"), line("乙", figures=["20", *FIGURES[1:]])))

    job = BackgroundJob.objects.get(kind=JobKind.INDICATORS_IMPORT)
    assert response.redirect_chain[-1][0] == reverse("clearance:indicators_job", args=[job.pk])
    assert (job.status, job.rows_done, job.rows_total) == (JobStatus.PREVIEWED, 2, 2)
    page = response.content.decode()
    assert "文件没有错误行" in page and 'data-change="created"' in page and "用地面积(亩)：20" in page
    assert job.result["report"][1]["created"] == 2
    assert not IndicatorRow.objects.exists()

    done = admin_client.post(job.get_absolute_url(), {"confirm": "1"}, follow=True)
    again = admin_client.post(job.get_absolute_url(), {"confirm": "1"}, follow=True)

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.confirmed_by == admin_user
    assert "亩均数据已导入。" in done.content.decode()
    assert "这份上传的文件已不在等待导入" in again.content.decode()
    assert IndicatorRow.objects.count() == 2 and EvaluatedEnterprise.objects.count() == 2
    assert set(IndicatorRow.objects.values_list("grade", flat=True)) <= {"A", "B", "C", "D"}
    assert IndicatorRow.history.filter(history_user=admin_user).count() == 2
    assert not JobFile.objects.exists()


def test_bad_rows_are_listed_and_nothing_is_written(town, admin_client):
    response = upload(admin_client, csv_bytes(line("甲", size="中型"), line("乙", town="无此镇"), line("丙")))

    job = BackgroundJob.objects.get()
    page = response.content.decode()
    assert job.status == JobStatus.FAILED and len(job.problems) == 2
    assert [problem["row"] for problem in job.problems] == [2, 3]
    assert "亩均数据未导入，发现 2 处问题，未做任何更改。" in page and page.count("data-problem") == 2
    assert not IndicatorRow.objects.exists() and not EvaluatedEnterprise.objects.exists()
    with pytest.raises(JobStateError):
        job_confirm(job=job, user=job.created_by)


def test_the_same_file_again_changes_nothing_and_a_correction_shows_old_and_new(town, admin_client, admin_user):
    content = csv_bytes(line("甲"))
    job = indicators_job_create(user=admin_user, files={"亩均数据.csv": [content]})
    job_confirm(job=job, user=admin_user)

    same = upload(admin_client, content)
    assert "导入该文件不会产生任何变化。" in same.content.decode()
    corrected = upload(admin_client, csv_bytes(line("甲", figures=["12", *FIGURES[1:]])))
    assert "用地面积(亩)：10 → 12" in corrected.content.decode()


def test_an_upload_over_the_row_limit_is_refused_naming_import_indicators(town, admin_client, settings):
    settings.CLEARANCE_LEDGER_MAX_ROWS = 1

    response = upload(admin_client, csv_bytes(line("甲"), line("乙")))

    assert "python manage.py import_indicators 导入" in response.content.decode()
    assert not BackgroundJob.objects.exists()


def test_a_file_of_another_kind_is_refused(town, admin_client):
    response = upload(admin_client, b"not a spreadsheet", name="data.pdf")

    assert "请选择 .xlsx 工作簿或 .csv 文件。" in response.content.decode()
    assert not BackgroundJob.objects.exists()


def test_the_template_has_the_exact_columns_and_imported_unchanged_creates_nothing(town, admin_client, admin_user, tmp_path):
    response = admin_client.get(reverse("clearance:indicators_template"))
    workbook = load_workbook(io.BytesIO(response.content))

    assert workbook.sheetnames == [SHEET, "说明"]
    assert [cell.value for cell in next(workbook[SHEET].iter_rows())] == list(COLUMNS)
    job = indicators_job_create(user=admin_user, files={"indicators.xlsx": [response.content]})
    job.refresh_from_db()
    assert job.status == JobStatus.PREVIEWED and job.result["report"][1]["created"] == 0
    job_confirm(job=job, user=admin_user)
    assert not IndicatorRow.objects.exists() and not EvaluatedEnterprise.objects.exists()


def test_a_job_of_one_kind_is_not_found_at_the_other_kinds_page(town, admin_client, admin_user):
    job = indicators_job_create(user=admin_user, files={"亩均数据.csv": [csv_bytes(line("甲"))]})

    assert admin_client.get(reverse("clearance:ledger_job", args=[job.pk])).status_code == 404
    assert admin_client.get(reverse("clearance:indicators_job_progress", args=[job.pk]))["HX-Refresh"] == "true"


def test_only_admins_upload_and_see_jobs(town, client, leader, official, admin_user):
    job = indicators_job_create(user=admin_user, files={"亩均数据.csv": [csv_bytes(line("甲"))]})
    for user in (leader, official):
        client.force_login(user)
        refused = client.post(reverse("clearance:indicators_import"),
                              {"upload": io.BytesIO(csv_bytes(line("乙"))) | _named("x.csv")})
        assert refused.status_code == 403
        assert client.post(job.get_absolute_url(), {"confirm": "1"}).status_code == 403
    assert BackgroundJob.objects.count() == 1 and not IndicatorRow.objects.exists()
