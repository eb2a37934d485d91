"""Ledger (台账) pages: admins upload, preview and confirm an import; everyone signed in downloads the template and exports."""

import re
import secrets
import shutil
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from .. import permissions
from ..ledger import (
    ENTERPRISES_SHEET,
    SITES_SHEET,
    LedgerError,
    ledger_import,
    ledger_sheets,
    ledger_template,
    ledger_workbook,
    read_ledger,
)
from ..models import Town

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SESSION_KEY = "ledger_upload"
TOKEN = re.compile(r"^[0-9a-f]{32}$")
UPLOAD_MAX_BYTES = 20 * 1024 * 1024
# An upload nobody confirmed is removed with the next upload after this many seconds.
UPLOAD_MAX_AGE = 24 * 3600
XLSX_NAME = "ledger.xlsx"
# The preview lists at most this many rows created or changed per town, then says how many more there are.
PREVIEW_ROWS_PER_TOWN = 200


def upload_root() -> Path:
    """Return the folder holding uploaded ledgers between preview and confirmation."""
    return Path(settings.MEDIA_ROOT) / "ledger-uploads"


class AdminRequiredMixin:
    """Refuse with 403 anyone but an admin (signing in is enforced before, by LoginRequiredMiddleware)."""

    def dispatch(self, request, *args, **kwargs):
        if not permissions.is_admin(request.user):
            raise PermissionDenied("Only administrators may import ledgers.")
        return super().dispatch(request, *args, **kwargs)


class LedgerUploadForm(forms.Form):
    """An .xlsx workbook, or the two CSV files of the template."""

    workbook = forms.FileField(label=gettext_lazy("Excel workbook (.xlsx)"), required=False)
    sites_csv = forms.FileField(label="地块.csv", required=False)
    enterprises_csv = forms.FileField(label="企业.csv", required=False)

    def clean(self):
        cleaned_data = super().clean()
        workbook, sites, enterprises = (cleaned_data.get(name) for name in ("workbook", "sites_csv", "enterprises_csv"))
        for upload in (workbook, sites, enterprises):
            if upload is not None and upload.size > UPLOAD_MAX_BYTES:
                raise forms.ValidationError(
                    _("The file is larger than the limit of %(limit)s MB.") % {"limit": UPLOAD_MAX_BYTES // 1024 // 1024},
                    code="ledger_too_big",
                )
        if workbook is not None and (sites or enterprises):
            raise forms.ValidationError(_("Give either the workbook or the two CSV files, not both."), code="ledger_both")
        if workbook is None and not (sites and enterprises):
            raise forms.ValidationError(
                _("Choose an .xlsx workbook, or both 地块.csv and 企业.csv."), code="ledger_missing"
            )
        return cleaned_data


def _store(form: LedgerUploadForm) -> tuple[str, Path]:
    """Write the upload under a random token; the client's file names never become paths."""
    _remove_stale_uploads()
    token = secrets.token_hex(16)
    folder = upload_root() / token
    folder.mkdir(parents=True)
    if form.cleaned_data.get("workbook") is not None:
        files = {XLSX_NAME: form.cleaned_data["workbook"]}
    else:
        files = {f"{SITES_SHEET}.csv": form.cleaned_data["sites_csv"], f"{ENTERPRISES_SHEET}.csv": form.cleaned_data["enterprises_csv"]}
    for name, upload in files.items():
        with (folder / name).open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
    return token, _ledger_path(folder)


def _ledger_path(folder: Path) -> Path:
    """Return what read_ledger reads for FOLDER: the workbook in it, or the folder of CSV files."""
    workbook = folder / XLSX_NAME
    return workbook if workbook.exists() else folder


def _stored_path(token: str | None) -> Path | None:
    if not token or not TOKEN.match(token):
        return None
    folder = upload_root() / token
    return _ledger_path(folder) if folder.is_dir() else None


def _discard(token: str | None) -> None:
    if token and TOKEN.match(token):
        shutil.rmtree(upload_root() / token, ignore_errors=True)


def _remove_stale_uploads() -> None:
    root = upload_root()
    if not root.is_dir():
        return
    oldest = time.time() - UPLOAD_MAX_AGE
    for folder in root.iterdir():
        if folder.is_dir() and TOKEN.match(folder.name) and folder.stat().st_mtime < oldest:
            shutil.rmtree(folder, ignore_errors=True)


def _problem_rows(error: LedgerError) -> list[dict]:
    return [
        {"sheet": problem.sheet, "row": problem.row, "column": problem.column, "reason": problem.reason}
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
            "rows": [{"kind": entry.kind, "name": entry.name, "created": entry.created, "changes": entry.shown()}
                     for entry in shown],
            "more": len(entries) - len(shown),
        })
    return towns


class LedgerImportView(AdminRequiredMixin, View):
    """Upload a ledger → preview what it would create, change and leave alone, or its bad rows → confirm to import."""

    http_method_names = ["get", "post", "head", "options"]
    template_name = "clearance/ledger_import.html"
    preview_template_name = "clearance/ledger_preview.html"

    def get(self, request):
        return self._form_page(LedgerUploadForm())

    def post(self, request):
        if "confirm" in request.POST:
            return self._confirm()
        form = LedgerUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._form_page(form)
        _discard(request.session.pop(SESSION_KEY, None))
        token, path = _store(form)
        try:
            report = ledger_import(sheets=read_ledger(path), user=request.user, dry_run=True, describe=True)
        except LedgerError as error:
            _discard(token)
            return self._form_page(form, problems=_problem_rows(error))
        request.session[SESSION_KEY] = token
        return render(request, self.preview_template_name, {
            "report": _report_rows(report), "towns": _change_rows(report),
            "examples": report.examples_line() if report.examples_skipped else "",
        })

    def _confirm(self):
        request = self.request
        token = request.session.get(SESSION_KEY)
        path = _stored_path(token)
        if path is None:
            messages.error(request, _("There is no uploaded ledger to import; upload it again."))
            return HttpResponseRedirect(reverse("clearance:ledger_import"))
        try:
            report = ledger_import(sheets=read_ledger(path), user=request.user)
        except LedgerError as error:
            # The database changed since the preview; nothing was written.
            request.session.pop(SESSION_KEY, None)
            _discard(token)
            return self._form_page(LedgerUploadForm(), problems=_problem_rows(error))
        request.session.pop(SESSION_KEY, None)
        _discard(token)
        messages.success(request, _("The ledger was imported.") + " " + "；".join(report.lines()))
        return HttpResponseRedirect(reverse("clearance:home"))

    def _form_page(self, form, *, problems=None):
        context = {"form": form, "problems": problems or [], "towns": Town.objects.order_by("display_order", "name")}
        return render(self.request, self.template_name, context)


class LedgerTemplateView(View):
    """The empty ledger template: the 地块 and 企业 sheets hold their header only; examples are on the sheet 说明."""

    http_method_names = ["get", "head", "options"]

    def get(self, request):
        return _xlsx_response(ledger_template(), _("ledger-template") + ".xlsx")


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
        return _xlsx_response(ledger_workbook(ledger_sheets(towns=towns)), filename)


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response
