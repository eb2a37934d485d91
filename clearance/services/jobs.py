"""Background jobs: a ledger or evaluation data uploaded on the web is checked, then imported, by a task worker with
its progress shown."""

import logging
import tempfile
import threading
import time
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..background import task
from ..choices import JobKind, JobPhase, JobStatus
from ..indicators import SHEET as INDICATORS_SHEET
from ..indicators import indicators_import
from ..ledger import ENTERPRISES_SHEET, SITES_SHEET, LedgerError, inspect_ledger, inspect_sheet, ledger_import
from ..models import BackgroundJob, JobFile
from ..selectors.jobs import PROGRESS_TIMEOUT, job_is_silent

logger = logging.getLogger(__name__)

XLSX_NAME = "ledger.xlsx"
CSV_NAMES = (f"{SITES_SHEET}.csv", f"{ENTERPRISES_SHEET}.csv")
# Evaluation data: one sheet, as a workbook or one CSV file.
INDICATORS_XLSX_NAME, INDICATORS_CSV_NAME = "indicators.xlsx", f"{INDICATORS_SHEET}.csv"
# The names a job gives its files, per kind (never the client's).
JOB_FILE_NAMES = {
    JobKind.LEDGER_IMPORT: (XLSX_NAME, *CSV_NAMES),
    JobKind.INDICATORS_IMPORT: (INDICATORS_XLSX_NAME, INDICATORS_CSV_NAME),
}
# The preview lists at most this many rows created or changed per town, then says how many more there are.
PREVIEW_ROWS_PER_TOWN = 200
# Progress is written at most this often (seconds), and on every change of phase: a ledger has 200,000 rows.
PROGRESS_INTERVAL = 0.25


class JobStateError(Exception):
    """Raised when a job is asked for a step its state does not allow (a confirmation of a job not previewed)."""


def worker_lost_message() -> str:
    return _("The import was interrupted: the background task process stopped. Nothing was written; upload the file again.")


def ledger_job_create(*, user, files: dict[str, Iterable[bytes]], language: str = "") -> BackgroundJob:
    """Store an uploaded ledger in the database (FILES: ledger.xlsx, or 地块.csv and 企业.csv, as chunks) and queue its check.

    The upload is inspected first, in the request and cheaply (inspect_ledger: its size, an archive that
    unpacks to too much or lies about its sizes, more rows than CLEARANCE_LEDGER_MAX_ROWS): a refused one
    raises LedgerError and nothing is stored or queued. Uploads left unconfirmed past
    CLEARANCE_JOB_UPLOAD_MAX_AGE_HOURS are removed first.
    """
    return _job_create(kind=JobKind.LEDGER_IMPORT, user=user, files=files, language=language,
                       inspect=lambda folder: inspect_ledger(_ledger_path_in(folder)))


def indicators_job_create(*, user, files: dict[str, Iterable[bytes]], language: str = "") -> BackgroundJob:
    """Store uploaded evaluation data (FILES: indicators.xlsx with the sheet 亩均数据, or 亩均数据.csv, as chunks) and
    queue its check; refused as ledger_job_create refuses (LedgerError naming import_indicators), nothing stored."""
    return _job_create(kind=JobKind.INDICATORS_IMPORT, user=user, files=files, language=language,
                       inspect=lambda folder: inspect_sheet(_indicators_path_in(folder), INDICATORS_SHEET,
                                                            command="import_indicators"))


def _job_create(*, kind: JobKind, user, files: dict[str, Iterable[bytes]], language: str, inspect) -> BackgroundJob:
    """Write FILES (under the kind's own names) to a folder, INSPECT it, store them with a job of KIND; queue its check."""
    jobs_prune()
    with tempfile.TemporaryDirectory(prefix="job-upload-") as folder:
        for name, chunks in files.items():
            if name in JOB_FILE_NAMES[kind]:  # the job's own names, never the client's
                with (Path(folder) / name).open("wb") as handle:
                    for chunk in chunks:
                        handle.write(chunk)
        inspect(Path(folder))
        contents = {path.name: path.read_bytes() for path in Path(folder).iterdir()}
    with transaction.atomic():
        job = BackgroundJob.objects.create(kind=kind, created_by=user, language=language or settings.LANGUAGE_CODE)
        JobFile.objects.bulk_create(JobFile(job=job, name=name, content=content) for name, content in contents.items())
    _enqueue(job)
    return job


def job_confirm(*, job: BackgroundJob, user) -> BackgroundJob:
    """Queue the import of a previewed upload, attributed to USER; raise JobStateError when JOB is not waiting for one."""
    # One update, conditional on the state: of two confirmations of one preview, only the first queues an import.
    with transaction.atomic():
        if not BackgroundJob.objects.filter(pk=job.pk, status=JobStatus.PREVIEWED).update(
            status=JobStatus.QUEUED, writes=True, phase="", rows_done=0, confirmed_by=user, updated_at=timezone.now(),
        ):
            raise JobStateError(_("This upload is no longer waiting to be imported (it was imported, failed or was "
                                  "removed). Upload it again."))
    job.refresh_from_db()
    _enqueue(job)
    return job


def _enqueue(job: BackgroundJob) -> None:
    """Hand JOB to the task worker (committed first: the worker reads it), and keep the task's id."""
    result = job_task.enqueue(job.pk)
    BackgroundJob.objects.filter(pk=job.pk).update(task_result_id=str(result.id))
    job.task_result_id = str(result.id)


@task()
def job_task(job_id: int) -> str:
    """The task the worker runs: the check (dry run) or the import of the job JOB_ID, whatever its kind; return its status."""
    return job_run(job_id=job_id)


def job_run(*, job_id: int) -> str:
    """Check or import the upload of job JOB_ID, with progress; record the outcome on the job and return its status.

    A job not queued (already run, or failed meanwhile) is left alone. Bad rows
    fail the job with the rows listed; the check ends previewed, the import
    succeeded; the uploaded files are removed whenever nothing is left to confirm.
    """
    if not BackgroundJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, phase=JobPhase.READING, updated_at=timezone.now()
    ):
        return BackgroundJob.objects.filter(pk=job_id).values_list("status", flat=True).first() or ""
    job = BackgroundJob.objects.get(pk=job_id)
    reporter = ProgressReporter(job)
    run = RUNNERS[job.kind]
    with translation.override(job.language), reporter.beating(), tempfile.TemporaryDirectory(prefix="job-") as folder:
        try:
            result = run(job, Path(folder), reporter)
        except LedgerError as error:
            _finish(job, reporter, JobStatus.FAILED, problems=_problem_rows(error),
                    error=_failed_message(job) % {"number": len(error.problems)})
        except Exception as error:
            logger.exception("Background job %s failed", job_id)
            _finish(job, reporter, JobStatus.FAILED, error=_(
                "The import failed (%(error)s). Nothing was written; upload the file again."
            ) % {"error": str(error).strip().split("\n")[0][:300]})
            raise
        else:
            _finish(job, reporter, JobStatus.SUCCEEDED if job.writes else JobStatus.PREVIEWED, result=result)
    return job.status


def _failed_message(job: BackgroundJob) -> str:
    if job.kind == JobKind.INDICATORS_IMPORT:
        return _("The evaluation data was not imported. Problems found: %(number)s. Nothing was changed; fix the rows "
                 "below and upload the file again.")
    return _("The ledger was not imported. Problems found: %(number)s. Nothing was changed; fix the rows below "
             "and upload the file again.")


def _run_ledger(job: BackgroundJob, folder: Path, reporter: "ProgressReporter") -> dict:
    """Check or import a ledger job's files; return the preview (counts, towns) or the report's lines."""
    report = ledger_import(path=_ledger_path(job, folder), user=job.confirmed_by or job.created_by, dry_run=not job.writes,
                           describe=not job.writes, progress=reporter.rows, phase=reporter.phase,
                           max_rows=settings.CLEARANCE_LEDGER_MAX_ROWS)
    if job.writes:
        return {"lines": report.lines()}
    return {"report": _report_rows(report), "towns": _change_rows(report),
            "examples": report.examples_line() if report.examples_skipped else ""}


def _run_indicators(job: BackgroundJob, folder: Path, reporter: "ProgressReporter") -> dict:
    """Check or import an evaluation data job's file; return the preview (counts, changes) or the report's lines."""
    report = indicators_import(path=_job_files(job, folder), user=job.confirmed_by or job.created_by,
                               dry_run=not job.writes, progress=reporter.rows, phase=reporter.phase,
                               max_rows=settings.CLEARANCE_LEDGER_MAX_ROWS)
    if job.writes:
        return {"lines": report.lines()}
    return {
        "report": [
            {"kind": kind, "created": counts.created, "changed": counts.changed, "unchanged": counts.unchanged}
            for kind, counts in ((_("Evaluated enterprises"), report.enterprises), (_("Evaluation data rows"), report.rows))
        ],
        "changes": [{"town": town, "name": name, "year": year, "created": created,
                     "changes": [[str(part) for part in change] for change in changes]}
                    for town, name, year, created, changes in report.changes],
        "more": max(0, report.rows.created + report.rows.changed - len(report.changes)),
    }


RUNNERS = {JobKind.LEDGER_IMPORT: _run_ledger, JobKind.INDICATORS_IMPORT: _run_indicators}


def _job_files(job: BackgroundJob, folder: Path) -> Path | None:
    """Write JOB's files (under its kind's own names) into FOLDER; return the evaluation data's file."""
    for name, content in job.files.values_list("name", "content"):
        if name in JOB_FILE_NAMES[job.kind]:
            (folder / name).write_bytes(bytes(content))
    return _indicators_path_in(folder)


def _indicators_path_in(folder: Path) -> Path:
    """Return the evaluation data's file in FOLDER: the workbook, else the CSV file."""
    workbook = folder / INDICATORS_XLSX_NAME
    return workbook if workbook.exists() else folder / INDICATORS_CSV_NAME


def _ledger_path(job: BackgroundJob, folder: Path) -> Path:
    """Write JOB's files into FOLDER; return what read_ledger reads: the workbook, or the folder of CSV files."""
    for name, content in job.files.values_list("name", "content"):
        if name in (XLSX_NAME, *CSV_NAMES):  # the job's own names, never the client's
            (folder / name).write_bytes(bytes(content))
    return _ledger_path_in(folder)


def _ledger_path_in(folder: Path) -> Path:
    """Return what read_ledger reads in FOLDER: the workbook, or the folder of CSV files."""
    workbook = folder / XLSX_NAME
    return workbook if workbook.exists() else folder


def _finish(job: BackgroundJob, reporter: "ProgressReporter", status: JobStatus, *, result=None, problems=None,
            error: str = "") -> None:
    """Record JOB's outcome (after the import's transaction: others see it at once); drop its files unless previewed."""
    job.status, job.result, job.problems, job.error = status, result or {}, problems or [], error
    job.phase, job.rows_done, job.rows_total = reporter.state["phase"], reporter.state["done"], reporter.state["total"]
    with transaction.atomic():
        # Unless the job was failed meanwhile (its worker was taken for lost): that outcome stands.
        BackgroundJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
            status=status, result=job.result, problems=job.problems, error=error, phase=job.phase,
            rows_done=job.rows_done, rows_total=job.rows_total, updated_at=timezone.now(),
        )
        if status != JobStatus.PREVIEWED:
            JobFile.objects.filter(job=job).delete()
    caches["progress"].delete(job.progress_key)


def job_fail_if_silent(job: BackgroundJob) -> BackgroundJob:
    """Fail JOB, running with no heartbeat for CLEARANCE_JOB_HEARTBEAT_SECONDS (its worker was killed); return it fresh.

    The import's transaction died with the worker: nothing was written.
    """
    if job_is_silent(job):
        with transaction.atomic():
            BackgroundJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
                status=JobStatus.FAILED, error=worker_lost_message(), updated_at=timezone.now()
            )
            JobFile.objects.filter(job=job).delete()
        job.refresh_from_db()
    return job


def jobs_prune(*, now=None) -> int:
    """Fail jobs whose worker was lost and jobs left unfinished past the upload age; remove their files. Return how many."""
    now = now or timezone.now()
    pruned = 0
    for job in BackgroundJob.objects.filter(status=JobStatus.RUNNING):
        pruned += job_fail_if_silent(job).status == JobStatus.FAILED
    cutoff = now - timedelta(hours=settings.CLEARANCE_JOB_UPLOAD_MAX_AGE_HOURS)
    with transaction.atomic():
        pruned += BackgroundJob.objects.filter(
            status__in=(JobStatus.QUEUED, JobStatus.PREVIEWED), updated_at__lt=cutoff
        ).update(status=JobStatus.FAILED, updated_at=now, error=_(
            "The upload waited more than %(hours)s hours without being imported and was removed; upload the file again."
        ) % {"hours": f"{settings.CLEARANCE_JOB_UPLOAD_MAX_AGE_HOURS:g}"})
        JobFile.objects.exclude(job__status__in=(JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.PREVIEWED)).delete()
    return pruned


class ProgressReporter:
    """Write a job's phase, rows done and heartbeat to the progress cache, which other processes read at once.

    A thread refreshes the heartbeat while the job runs, also through the long
    steps that count no rows (reading a workbook, the bulk writes).
    """

    def __init__(self, job: BackgroundJob):
        self.key = job.progress_key
        self.state = {"phase": JobPhase.READING.value, "done": 0, "total": 0, "beat": time.time()}
        self._written = 0.0
        self._lock = threading.Lock()
        self._write()

    def phase(self, phase: JobPhase) -> None:
        with self._lock:
            self.state["phase"] = phase.value
            if phase == JobPhase.WRITING:
                self.state["done"] = self.state["total"]
        self._write()

    def rows(self, done: int, total: int) -> None:
        with self._lock:
            self.state["done"], self.state["total"] = done, total
        if done == total or time.monotonic() - self._written >= PROGRESS_INTERVAL:
            self._write()

    def _write(self) -> None:
        with self._lock:
            self.state["beat"] = time.time()
            state = dict(self.state)
            self._written = time.monotonic()
        caches["progress"].set(self.key, state, PROGRESS_TIMEOUT)

    def beating(self):
        """Return a context manager that refreshes the heartbeat from a thread while the job runs."""
        return _Heartbeat(self, interval=max(0.5, min(5.0, settings.CLEARANCE_JOB_HEARTBEAT_SECONDS / 4)))


class _Heartbeat:
    def __init__(self, reporter: ProgressReporter, *, interval: float):
        self.reporter, self.interval = reporter, interval
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="job-heartbeat", daemon=True)

    def _run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                self.reporter._write()
            except Exception:  # a cache that fails now and then must not stop the job
                logger.warning("Could not write the heartbeat of %s", self.reporter.key, exc_info=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopped.set()
        self.thread.join()


def _problem_rows(error: LedgerError) -> list[dict]:
    return [
        {"sheet": problem.sheet, "row": problem.row, "column": problem.column, "reason": str(problem.reason)}
        for problem in error.problems
    ]


def _report_rows(report) -> list[dict]:
    return [
        {"kind": kind, "created": counts.created, "changed": counts.changed, "unchanged": counts.unchanged}
        for kind, counts in ((_("Sites"), report.sites), (_("Enterprises"), report.enterprises), (_("Events"), report.events))
    ]


def _change_rows(report) -> list[dict]:
    """Return the preview's towns: per town its counts and the first PREVIEW_ROWS_PER_TOWN rows created or changed."""
    towns = []
    for town, entries, unchanged in report.changes.by_town():
        shown = entries[:PREVIEW_ROWS_PER_TOWN]
        towns.append({
            "name": town.name,
            "created": sum(entry.created for entry in entries),
            "changed": sum(not entry.created for entry in entries),
            "unchanged": unchanged,
            "rows": [{"kind": entry.kind, "name": entry.name, "created": entry.created,
                      "changes": [[str(part) for part in change] for change in entry.shown()]} for entry in shown],
            "more": len(entries) - len(shown),
        })
    return towns
