"""Background ledger jobs: phases and progress, the heartbeat, removing uploads, the result equal to import_ledger's."""

import io
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.utils import timezone

from clearance.choices import JobPhase, JobStatus
from clearance.ledger import ledger_import
from clearance.models import BackgroundJob, Enterprise, Event, JobFile, Site
from clearance.selectors.jobs import job_progress
from clearance.services.jobs import (
    JobStateError,
    job_confirm,
    ledger_job_create,
    job_run,
    worker_lost_message,
)

from tests.ledger.test_import import enterprise_row, row_counts, site_row, write_xlsx

pytestmark = pytest.mark.django_db


def ledger_file(tmp_path, sites: int = 3):
    return write_xlsx(
        tmp_path,
        [site_row(name=f"地块{number}", area="5") for number in range(sites)],
        [enterprise_row(site="地块0", closed="2022-03-28")],
    )


def upload(path) -> dict:
    return {"ledger.xlsx": [path.read_bytes()]}


def records() -> dict:
    return {
        "sites": sorted(Site.objects.values_list("town__name", "name", "area_mu"), key=repr),
        "enterprises": sorted(Enterprise.objects.values_list("name", "site__name", "disposal"), key=repr),
        "events": sorted(Event.objects.values_list("enterprise__name", "site__name", "stage", "occurred_on"), key=repr),
    }


def test_a_job_reports_each_phase_and_the_rows_checked(tmp_path, ledger_towns, admin_user, monkeypatch):
    seen = []
    monkeypatch.setattr("clearance.services.jobs.PROGRESS_INTERVAL", 0)
    original_set = caches["progress"].set

    def recording_set(key, value, *args, **kwargs):
        seen.append((value["phase"], value["done"], value["total"]))
        return original_set(key, value, *args, **kwargs)

    monkeypatch.setattr(caches["progress"], "set", recording_set)
    job = ledger_job_create(user=admin_user, files=upload(ledger_file(tmp_path, sites=4)))
    job_confirm(job=job, user=admin_user)

    phases = [phase for phase, _done, _total in seen]
    checking = [(done, total) for phase, done, total in seen if phase == "checking" and total]
    # The check, then the import: reading → checking (rows 1…5 of 5) for each, and writing for the import only.
    assert [phase for index, phase in enumerate(phases) if index == 0 or phases[index - 1] != phase] == [
        "reading", "checking", "reading", "checking", "writing",
    ]
    assert checking == [(done, 5) for done in range(1, 6)] * 2
    job.refresh_from_db()
    assert (job.status, job.phase, job.rows_done, job.rows_total) == (JobStatus.SUCCEEDED, JobPhase.WRITING, 5, 5)
    assert job_progress(job).percent == 100


def test_the_web_import_gives_the_result_and_the_records_of_import_ledger(tmp_path, ledger_towns, admin_user):
    path = ledger_file(tmp_path)
    job = ledger_job_create(user=admin_user, files=upload(path))
    job_confirm(job=job, user=admin_user)
    job.refresh_from_db()
    through_the_web = records()
    Event.objects.all().delete()
    Enterprise.objects.all().delete()
    Site.objects.all().delete()

    report = ledger_import(path=path, user=admin_user)

    assert job.result == {"lines": report.lines()}
    assert records() == through_the_web
    assert JobFile.objects.count() == 0


def test_a_confirmation_of_a_job_not_previewed_is_refused_and_changes_nothing(tmp_path, ledger_towns, admin_user):
    job = ledger_job_create(user=admin_user, files=upload(write_xlsx(tmp_path, [site_row(area="-1")], [])))
    before = row_counts()

    with pytest.raises(JobStateError) as refused:
        job_confirm(job=job, user=admin_user)

    assert str(refused.value) == "这份上传的文件已不在等待导入（已导入、已失败或已删除），请重新上传。"
    assert row_counts() == before
    job.refresh_from_db()
    assert (job.status, job.problems[0]["reason"]) == (JobStatus.FAILED, "面积必须是大于 0 的亩数。")


def test_a_running_job_without_heartbeat_is_failed_on_its_page_with_the_message(client, tmp_path, ledger_towns,
                                                                                 admin_user, settings):
    settings.CLEARANCE_JOB_HEARTBEAT_SECONDS = 30
    job = ledger_job_create(user=admin_user, files=upload(ledger_file(tmp_path)))
    # As a worker killed mid-import leaves it: running, its last heartbeat a minute old, the file still stored.
    BackgroundJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    caches["progress"].set(job.progress_key, {"phase": "checking", "done": 2, "total": 4,
                                              "beat": timezone.now().timestamp() - 60})
    client.force_login(admin_user)

    html = client.get(job.get_absolute_url()).content.decode()

    job.refresh_from_db()
    assert (job.status, job.error) == (JobStatus.FAILED, "导入中断：后台任务进程已停止，未写入任何数据，请重新上传文件。")
    assert worker_lost_message() in html
    assert JobFile.objects.filter(job=job).count() == 0


def test_a_running_job_with_a_fresh_heartbeat_keeps_running(client, tmp_path, ledger_towns, admin_user):
    job = ledger_job_create(user=admin_user, files=upload(ledger_file(tmp_path)))
    BackgroundJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    caches["progress"].set(job.progress_key, {"phase": "checking", "done": 2, "total": 4,
                                              "beat": timezone.now().timestamp()})
    client.force_login(admin_user)

    html = client.get(job.get_absolute_url()).content.decode()

    assert BackgroundJob.objects.get(pk=job.pk).status == JobStatus.RUNNING
    assert 'data-rows-done="2" data-rows-total="4"' in html
    assert "检查" in html and 'style="width: 50%"' in html


def test_the_progress_answer_tells_htmx_to_reload_once_the_job_has_ended(client, tmp_path, ledger_towns, admin_user):
    job = ledger_job_create(user=admin_user, files=upload(ledger_file(tmp_path)))
    client.force_login(admin_user)

    response = client.get(f"{job.get_absolute_url()}progress/")

    assert response["HX-Refresh"] == "true"
    assert 'data-job-status="previewed"' in response.content.decode()


def test_uploads_older_than_a_day_are_removed_by_the_next_upload_and_by_prune_jobs(tmp_path, ledger_towns, admin_user):
    old = ledger_job_create(user=admin_user, files=upload(ledger_file(tmp_path)))
    recent = ledger_job_create(user=admin_user, files=upload(ledger_file(tmp_path)))
    BackgroundJob.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(hours=25))

    ledger_job_create(user=admin_user, files=upload(ledger_file(tmp_path)))

    old.refresh_from_db()
    assert (old.status, old.error) == (JobStatus.FAILED, "上传的文件超过 24 小时未导入，已删除，请重新上传。")
    assert sorted(JobFile.objects.values_list("job_id", flat=True)) == [recent.pk, recent.pk + 1]
    BackgroundJob.objects.filter(pk=recent.pk).update(updated_at=timezone.now() - timedelta(hours=25))
    output = io.StringIO()
    call_command("prune_jobs", stdout=output)
    assert output.getvalue() == "已结束的后台任务：1 个\n"
    assert list(JobFile.objects.values_list("job_id", flat=True)) == [recent.pk + 1]


def test_a_job_already_run_is_not_run_twice(tmp_path, ledger_towns, admin_user):
    job = ledger_job_create(user=admin_user, files=upload(ledger_file(tmp_path)))
    job_confirm(job=job, user=admin_user)
    counts = row_counts()

    assert job_run(job_id=job.pk) == JobStatus.SUCCEEDED
    assert row_counts() == counts


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("job-admin", "j@example.org", "pw-admin-1")
