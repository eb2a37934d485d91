"""A background job's pages, whatever its kind (a ledger, evaluation data): its progress, then the preview or the result."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.views import View

from ..choices import JobStatus
from ..models import BackgroundJob
from ..selectors.jobs import job_progress
from ..services.jobs import JobStateError, job_confirm, job_fail_if_silent
from .ledger import AdminRequiredMixin


def job_or_404(pk: int, kind: str) -> BackgroundJob:
    return get_object_or_404(BackgroundJob, pk=pk, kind=kind)


class JobView(AdminRequiredMixin, View):
    """A job's page: its progress while a worker has it, then the preview to confirm, the bad rows or the result.

    KIND is the kind of job the URL serves, TEMPLATE_NAME the page showing its preview and result.
    """

    http_method_names = ["get", "post", "head", "options"]
    kind = ""
    template_name = ""

    def get(self, request, pk):
        job = job_fail_if_silent(job_or_404(pk, self.kind))
        return render(request, self.template_name, {"job": job, "progress": job_progress(job)})

    def post(self, request, pk):
        job = job_or_404(pk, self.kind)
        try:
            job_confirm(job=job, user=request.user)
        except JobStateError as error:
            messages.error(request, str(error))
        return HttpResponseRedirect(job.get_absolute_url())


class JobProgressView(AdminRequiredMixin, View):
    """The progress bar alone, polled by htmx; once the job has ended, htmx is told to reload the whole page."""

    http_method_names = ["get", "head", "options"]
    kind = ""

    def get(self, request, pk):
        job = job_fail_if_silent(job_or_404(pk, self.kind))
        response = render(request, "clearance/includes/_job_progress.html", {"job": job, "progress": job_progress(job)})
        if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
            response["HX-Refresh"] = "true"
        return response
