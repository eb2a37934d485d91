"""Background jobs: long work (a ledger import) run by a task worker, with its uploaded files and its outcome."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..choices import JobKind, JobPhase, JobStatus

# The pages of a job of each kind: its own page, and its progress bar polled by htmx.
JOB_PAGES = {
    JobKind.LEDGER_IMPORT: ("clearance:ledger_job", "clearance:ledger_job_progress"),
    JobKind.INDICATORS_IMPORT: ("clearance:indicators_job", "clearance:indicators_job_progress"),
}
# Where a running job's progress lives in the "progress" cache (see pinghu/settings.py for why not the database).
PROGRESS_KEY = "job-progress:{pk}"


class BackgroundJob(models.Model):
    """One run of long work for a user: queued, running, (previewed,) then succeeded or failed.

    The row holds the outcome; while the job runs, rows done and the phase are in
    the progress cache, which other processes see at once. RESULT is the job's
    JSON answer (for a ledger: the preview's counts and towns, or the report
    lines); ERROR and PROBLEMS say why it failed.
    """

    kind = models.CharField(_("kind"), max_length=32, choices=JobKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="background_jobs",
        verbose_name=_("created by"),
    )
    # Who confirmed the import: the rows it writes are attributed to them.
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="confirmed_jobs",
        verbose_name=_("confirmed by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    status = models.CharField(_("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    phase = models.CharField(_("phase"), max_length=16, choices=JobPhase.choices, blank=True)
    # Whether the running or last task writes (the import) or only checks (the dry run before the preview).
    writes = models.BooleanField(_("writes"), default=False)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    rows_total = models.PositiveIntegerField(_("rows in all"), default=0)
    # The language the user asked in: the worker answers in it.
    language = models.CharField(_("language"), max_length=16, default=settings.LANGUAGE_CODE)
    result = models.JSONField(_("result"), default=dict, blank=True)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    task_result_id = models.CharField(_("task id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="clearance_job_status_created")]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    def get_absolute_url(self):
        return reverse(JOB_PAGES[self.kind][0], args=[self.pk])

    def get_progress_url(self) -> str:
        return reverse(JOB_PAGES[self.kind][1], args=[self.pk])

    @property
    def progress_key(self) -> str:
        return PROGRESS_KEY.format(pk=self.pk)

    @property
    def is_active(self) -> bool:
        """Whether a worker has the job, or will: its page keeps polling."""
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)


class JobFile(models.Model):
    """A file uploaded for a job, kept in the database (never under /media/) so that any worker host reads it.

    Removed when the job's last task ends, or after CLEARANCE_JOB_UPLOAD_MAX_AGE_HOURS.
    """

    job = models.ForeignKey(BackgroundJob, models.CASCADE, related_name="files", verbose_name=_("job"))
    # The name the job gives the file (ledger.xlsx, 地块.csv …), never the client's.
    name = models.CharField(_("name"), max_length=64)
    content = models.BinaryField(_("content"))

    class Meta:
        verbose_name = _("uploaded file")
        verbose_name_plural = _("uploaded files")
        constraints = [models.UniqueConstraint(fields=["job", "name"], name="clearance_jobfile_unique_name")]

    def __str__(self):
        return self.name
