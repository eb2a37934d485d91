"""Reads of background jobs: the recent ones, and a running job's progress from the progress cache."""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches

from ..choices import JobPhase, JobStatus
from ..models import BackgroundJob

# How long a job's progress stays in the cache (seconds); the job row keeps the final figures.
PROGRESS_TIMEOUT = 24 * 3600


@dataclass(frozen=True)
class JobProgress:
    """Where a job stands: its phase, rows done of rows in all, and when its worker last gave a sign of life."""

    phase: str
    done: int
    total: int
    beat: float | None

    @property
    def phase_label(self) -> str:
        return JobPhase(self.phase).label if self.phase in JobPhase.values else ""

    @property
    def percent(self) -> int:
        """Return the share of rows done, 0–100; 100 once writing (the rows are all checked)."""
        if self.phase == JobPhase.WRITING:
            return 100
        return 100 * self.done // self.total if self.total else 0


def job_progress(job: BackgroundJob) -> JobProgress:
    """Return JOB's progress: the cache's while it runs, else the figures recorded on the job."""
    state = caches["progress"].get(job.progress_key) if job.status == JobStatus.RUNNING else None
    if state:
        return JobProgress(phase=state["phase"], done=state["done"], total=state["total"], beat=state["beat"])
    return JobProgress(phase=job.phase, done=job.rows_done, total=job.rows_total, beat=None)


def job_is_silent(job: BackgroundJob, *, now: float | None = None) -> bool:
    """Return whether JOB is running but its worker gave no heartbeat for CLEARANCE_JOB_HEARTBEAT_SECONDS."""
    if job.status != JobStatus.RUNNING:
        return False
    state = caches["progress"].get(job.progress_key)
    last_sign = state["beat"] if state else job.updated_at.timestamp()
    return (now or time.time()) - last_sign > settings.CLEARANCE_JOB_HEARTBEAT_SECONDS


def recent_jobs(*, kind: str, limit: int = 20) -> list[BackgroundJob]:
    """Return the LIMIT latest jobs of KIND, newest first, with who created them."""
    return list(BackgroundJob.objects.filter(kind=kind).select_related("created_by").order_by("-created_at", "-pk")[:limit])
