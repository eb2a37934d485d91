"""A worker killed mid-import: nothing half-written, and the job shows as failed with a clear message."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches

from clearance.choices import JobPhase, JobStatus
from clearance.models import BackgroundJob
from clearance.services.jobs import job_confirm, ledger_job_create

from tests.factories import TownFactory
from tests.job_worker import HEARTBEAT_SECONDS, wait_for
from tests.ledger.test_import import enterprise_row, row_counts, site_row, write_xlsx

pytestmark = [pytest.mark.slow]

ROWS = 12_000


def large_ledger(tmp_path):
    sites = [site_row(name=f"地块{number:05d}", area="5", vacated="2022-04-01") for number in range(ROWS // 2)]
    enterprises = [enterprise_row(name=f"企业{number:05d}", site=f"地块{number:05d}", closed="2022-03-28")
                   for number in range(ROWS // 2)]
    return write_xlsx(tmp_path, sites, enterprises)


def test_a_worker_killed_while_writing_leaves_nothing_written_and_the_job_failed(worker, tmp_path, client):
    TownFactory(name="曹桥街道")
    admin = get_user_model().objects.create_superuser("kill-admin", "k@example.org", "pw-admin-1")
    job = ledger_job_create(user=admin, files={"ledger.xlsx": [large_ledger(tmp_path).read_bytes()]})
    wait_for(lambda: BackgroundJob.objects.get(pk=job.pk).status == JobStatus.PREVIEWED, timeout=120,
             what="the check", worker=worker)
    before = row_counts()

    job_confirm(job=job, user=admin)
    progress = caches["progress"]
    seen = wait_for(lambda: (progress.get(job.progress_key) or {}).get("phase") == JobPhase.WRITING and progress.get(job.progress_key),
                    timeout=120, what="the writing phase", worker=worker, interval=0.005)
    worker.kill()

    assert seen["done"] == seen["total"] == ROWS
    assert BackgroundJob.objects.get(pk=job.pk).status == JobStatus.RUNNING  # nobody has noticed yet
    assert row_counts() == before
    client.force_login(admin)
    wait_for(lambda: client.get(job.get_absolute_url()) and BackgroundJob.objects.get(pk=job.pk).status == JobStatus.FAILED,
             timeout=HEARTBEAT_SECONDS * 4, what="the job failing", worker=worker, interval=0.5)
    html = client.get(job.get_absolute_url()).content.decode()
    assert "导入中断：后台任务进程已停止，未写入任何数据，请重新上传文件。" in html
    assert row_counts() == before
    assert BackgroundJob.objects.get(pk=job.pk).files.count() == 0
