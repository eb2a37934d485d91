"""Ledger (台账) pages: admins upload, preview and confirm an import; everyone signed in downloads the template and exports."""

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from .. import permissions
from ..choices import JobKind
from ..ledger import LedgerError, ledger_sheets, ledger_template, ledger_workbook
from ..models import Town
from ..selectors.jobs import recent_jobs
from ..services.jobs import CSV_NAMES, XLSX_NAME, ledger_job_create

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class AdminRequiredMixin:
    """Refuse with 403 anyone but an admin (signing in is enforced before, by LoginRequiredMiddleware)."""

    def dispatch(self, request, *args, **kwargs):
        if not permissions.is_admin(request.user):
            raise PermissionDenied("Only administrators may do this.")
        return super().dispatch(request, *args, **kwargs)


def upload_limits() -> str:
    """Say what the upload accepts, from the settings: shown in the form's help."""
    return _(
        "At most %(size)s MB per file and %(rows)s rows per sheet. Larger ledgers are imported on the server with "
        "python manage.py import_ledger."
    ) % {"size": f"{settings.CLEARANCE_LEDGER_UPLOAD_MAX_BYTES / 1024 / 1024:g}", "rows": f"{settings.CLEARANCE_LEDGER_MAX_ROWS:,}"}


class LedgerUploadForm(forms.Form):
    """An .xlsx workbook, or the two CSV files of the template."""

    workbook = forms.FileField(label=gettext_lazy("Excel workbook (.xlsx)"), required=False)
    sites_csv = forms.FileField(label="地块.csv", required=False)
    enterprises_csv = forms.FileField(label="企业.csv", required=False)

    def clean(self):
        cleaned_data = super().clean()
        workbook, sites, enterprises = (cleaned_data.get(name) for name in ("workbook", "sites_csv", "enterprises_csv"))
        limit = settings.CLEARANCE_LEDGER_UPLOAD_MAX_BYTES
        for upload in (workbook, sites, enterprises):
            if upload is not None and upload.size > limit:
                raise forms.ValidationError(
                    _("The file is larger than the limit of %(limit)s MB.") % {"limit": f"{limit / 1024 / 1024:g}"},
                    code="ledger_too_big",
                )
        if workbook is not None and (sites or enterprises):
            raise forms.ValidationError(_("Give either the workbook or the two CSV files, not both."), code="ledger_both")
        if workbook is None and not (sites and enterprises):
            raise forms.ValidationError(
                _("Choose an .xlsx workbook, or both 地块.csv and 企业.csv."), code="ledger_missing"
            )
        return cleaned_data

    def files_by_name(self) -> dict:
        """Return the uploads under the names the job gives them (never the client's), as chunks."""
        if self.cleaned_data.get("workbook") is not None:
            return {XLSX_NAME: self.cleaned_data["workbook"].chunks()}
        return dict(zip(CSV_NAMES, (self.cleaned_data[name].chunks() for name in ("sites_csv", "enterprises_csv"))))


class JobUploadView(AdminRequiredMixin, View):
    """Upload a file for a background job: checked cheaply in the request, then the job's page shows its progress.

    FORM_CLASS gives the files under the job's own names (files_by_name); CREATE_JOB stores them and queues the
    check (a services.jobs *_job_create); KIND lists the recent jobs of the same kind below the form.
    """

    http_method_names = ["get", "post", "head", "options"]
    form_class: type[forms.Form]
    kind = ""
    template_name = ""

    def create_job(self, *, user, files, language):
        raise NotImplementedError

    def page_context(self) -> dict:
        return {}

    def get(self, request):
        return self._form_page(self.form_class())

    def post(self, request):
        form = self.form_class(request.POST, request.FILES)
        if not form.is_valid():
            return self._form_page(form)
        try:
            job = self.create_job(user=request.user, files=form.files_by_name(), language=request.LANGUAGE_CODE)
        except LedgerError as error:  # refused before it was stored: too many rows, an archive bomb …
            for problem in error.problems:
                form.add_error(None, problem.reason)
            return self._form_page(form)
        return HttpResponseRedirect(job.get_absolute_url())

    def _form_page(self, form):
        return render(self.request, self.template_name,
                      {"form": form, "jobs": recent_jobs(kind=self.kind), **self.page_context()})


class LedgerImportView(JobUploadView):
    """Upload a ledger: a background job checks it, its page shows the progress, then the preview or the bad rows."""

    form_class = LedgerUploadForm
    kind = JobKind.LEDGER_IMPORT
    template_name = "clearance/ledger_import.html"

    def create_job(self, *, user, files, language):
        return ledger_job_create(user=user, files=files, language=language)

    def page_context(self) -> dict:
        return {"limits": upload_limits(), "towns": Town.objects.order_by("display_order", "name")}


class LedgerTemplateView(View):
    """The empty ledger template: the 地块 and 企业 sheets hold their header only; examples are on the sheet 说明."""

    http_method_names = ["get", "head", "options"]

    def get(self, request):
        return xlsx_response(ledger_template(), _("ledger-template") + ".xlsx")


class LedgerExportView(View):
    """The whole ledger in the import template, or one town's with ?town=<id>; every signed-in role reads it."""

    http_method_names = ["get", "head", "options"]

    def get(self, request):
        town_id = request.GET.get("town", "")
        towns, label = None, _("all towns")
        if town_id:
            # ASCII digits only: "²".isdigit() is true, but no id.
            town = Town.objects.filter(pk=town_id).first() if town_id.isascii() and town_id.isdigit() else None
            if town is None:
                return HttpResponseBadRequest(_("Unknown town."))
            towns, label = Town.objects.filter(pk=town.pk), town.name
        filename = f"{_('ledger')}-{label}-{timezone.localdate():%Y%m%d}.xlsx"
        return xlsx_response(ledger_workbook(ledger_sheets(towns=towns)), filename)


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response
