"""The economy's pages (快中求稳): a year's months for Pinghu and Jiaxing, read by all, entered and imported by admins."""

import tempfile
from pathlib import Path

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.dates import MONTHS
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from .. import permissions, selectors
from ..choices import Region
from ..economy import economy_import, economy_template
from ..economy.columns import UPLOAD_MAX_BYTES, UPLOAD_MAX_ROWS
from ..ledger import LedgerError
from ..models import EconomyFigure
from ..rules import MAX_YEAR, MIN_YEAR
from ..selectors.economy import FIGURE_FIELDS, economy_panel, economy_year_months, economy_years
from ..services import economy as services
from ..services.base import StaleEditError
from .ledger import AdminRequiredMixin, xlsx_response
from .writing import apply_service_errors, conflict_response

MONTH_CHOICES = [(month, name) for month, name in MONTHS.items()]


def refuse_unless_admin(request) -> None:
    """Refuse with 403 a write by anyone but an admin (every signed-in role reads the economy)."""
    if not permissions.is_admin(request.user):
        raise PermissionDenied("Only administrators may change the economy's figures.")


# The dashboard's and the bulletin's section ---------------------------------------------------------------


def signed(value: int | None) -> str | None:
    """Return a change as people read it, with its sign and the thousands grouped: +3,200, −150, 0."""
    if value is None:
        return None
    text = number_format(abs(value), force_grouping=True)
    return f"+{text}" if value > 0 else f"−{text}" if value < 0 else text


def economy_section(*, year: int, month: int) -> dict | None:
    """Return the economy section of the dashboard and the bulletin as of YEAR-MONTH (selectors.economy.economy_panel,
    one query); None when the year has no figures up to MONTH."""
    panel = economy_panel(year=year, month=month)
    if panel is None:
        return None
    return {
        "panel": panel,
        "month_label": selectors.month_label(year, panel.month),
        "base_label": selectors.month_label(year, panel.base_month) if panel.base_month else None,
        "gap": panel.growth_gap_points,
        "gap_abs": None if panel.growth_gap_points is None else abs(panel.growth_gap_points),
        "changes": {region.region: signed(region.employment_change) for region in panel.regions},
        "rows": [{"figures": region, "change": signed(region.employment_change)} for region in panel.regions],
        "chart": {
            "months": [str(MONTHS[each]) for each in range(1, panel.month + 1)],
            "series": [
                {"label": region.label,
                 "values": [None if value is None else float(value) for value in panel.growth_by_month[region.region]]}
                for region in panel.regions
            ],
            "title": _("Growth of industrial value added, year to date (%)"),
        },
    }


# The year's months, entered by hand ------------------------------------------------------------------------


class EconomyFigureForm(forms.ModelForm):
    """One region's four figures of one month; every figure is optional. The service validates (no rule twice)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    class Meta:
        model = EconomyFigure
        fields = ["region", "year", "month", *FIGURE_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"] = forms.TypedChoiceField(label=_("Month"), choices=MONTH_CHOICES, coerce=int)
        self.fields["year"].widget.attrs.update(inputmode="numeric")
        for name in FIGURE_FIELDS:
            self.fields[name].widget.attrs.update(inputmode="numeric" if name == "employment" else "decimal")

    def _post_clean(self):
        pass  # the service validates (economy_figure_create / _update): no rule written twice

    def figures(self) -> dict:
        return {name: self.cleaned_data[name] for name in FIGURE_FIELDS}


class EconomyYearForm(forms.Form):
    """The month whose end the year's change in employment is counted against."""

    employment_base_month = forms.TypedChoiceField(
        label=gettext_lazy("Base month for the change in employment"), choices=MONTH_CHOICES, coerce=int)


def _year_of(request) -> int | str:
    """Return the year asked for (?year=), the default period's when absent; a message saying why when it is bad."""
    text = request.GET.get("year", "").strip()
    if not text:
        return selectors.default_period()[0]
    if not (text.isascii() and text.isdigit() and MIN_YEAR <= int(text) <= MAX_YEAR):
        return _("The year must be a year between %(min)s and %(max)s, such as 2022.") % {"min": MIN_YEAR, "max": MAX_YEAR}
    return int(text)


class EconomyView(View):
    """A year's months for Pinghu and Jiaxing and its base month; admins enter or correct a month and choose the base."""

    http_method_names = ["get", "post", "head", "options"]
    template_name = "clearance/economy.html"

    def get(self, request):
        year = _year_of(request)
        if isinstance(year, str):
            return render(request, "clearance/bad_query.html", {"error": year}, status=400)
        return self._page(year, self._editing_form(request, year), None)

    def _editing_form(self, request, year: int) -> EconomyFigureForm:
        """The form for the month ?region=&month= names (its stored figures, to correct), else an empty one."""
        region, month = request.GET.get("region"), request.GET.get("month", "")
        initial = {"year": year}
        if region in Region.values and month.isascii() and month.isdigit() and 1 <= int(month) <= 12:
            stored = EconomyFigure.objects.filter(region=region, year=year, month=int(month)).first()
            initial.update(region=region, month=int(month))
            if stored is not None:
                initial.update({name: getattr(stored, name) for name in FIGURE_FIELDS}, version=stored.version)
        return EconomyFigureForm(initial=initial)

    def post(self, request):
        refuse_unless_admin(request)
        if "employment_base_month" in request.POST:
            return self._post_base(request)
        form = EconomyFigureForm(request.POST)
        if not form.is_valid():
            return self._page(form.cleaned_data.get("year") or selectors.default_period()[0], form, None)
        data = form.cleaned_data
        key = {"region": data["region"], "year": data["year"], "month": data["month"]}
        stored = EconomyFigure.objects.filter(**key).first()
        try:
            if stored is None:
                services.economy_figure_create(user=request.user, **key, **form.figures())
            else:
                services.economy_figure_update(figure=stored, expected_version=data.get("version"), user=request.user,
                                               **form.figures())
        except StaleEditError as stale:
            return conflict_response(
                request, record=stored, theirs=stale.current, yours=form.figures(), fields=list(FIGURE_FIELDS),
                retry_url=f"{request.path}?year={data['year']}&region={data['region']}&month={data['month']}",
                back_url=f"{request.path}?year={data['year']}",
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            return self._page(data["year"], form, None)
        messages.success(request, _("The figures of %(region)s for %(month)s were saved.") % {
            "region": Region(data["region"]).label, "month": selectors.month_label(data["year"], data["month"])})
        return HttpResponseRedirect(f"{reverse('clearance:economy')}?year={data['year']}")

    def _post_base(self, request):
        year = _year_of(request)
        if isinstance(year, str):
            return render(request, "clearance/bad_query.html", {"error": year}, status=400)
        form = EconomyYearForm(request.POST)
        if not form.is_valid():
            return self._page(year, EconomyFigureForm(initial={"year": year}), form)
        try:
            services.economy_year_set(year=year, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
            return self._page(year, EconomyFigureForm(initial={"year": year}), form)
        messages.success(request, _("The change in employment of %(year)s is now counted against the end of %(month)s.")
                         % {"year": year, "month": selectors.month_label(year, form.cleaned_data["employment_base_month"])})
        return HttpResponseRedirect(f"{reverse('clearance:economy')}?year={year}")

    def _page(self, year: int, form, base_form):
        months, base_month = economy_year_months(year=year)
        years = sorted({*economy_years(), year})
        return render(self.request, self.template_name, {
            "year": year, "years": years, "months": months, "regions": list(Region),
            "base_month": base_month, "base_label": selectors.month_label(year, base_month) if base_month else None,
            "form": form, "base_form": base_form or EconomyYearForm(initial={"employment_base_month": base_month}),
            "can_edit": permissions.is_admin(self.request.user), "figure_fields": [
                EconomyFigure._meta.get_field(name).verbose_name for name in FIGURE_FIELDS],
        })


# The import ----------------------------------------------------------------------------------------------


class EconomyUploadForm(forms.Form):
    """A small .xlsx workbook with the sheet 经济数据, or one .csv file of it."""

    upload = forms.FileField(label=gettext_lazy("Economy figures (.xlsx with the sheet 经济数据, or .csv)"))
    dry_run = forms.BooleanField(label=gettext_lazy("Only check: write nothing"), required=False)

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        if upload.size > UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than the limit of %(limit)s MB.") % {"limit": f"{UPLOAD_MAX_BYTES / 1024 / 1024:g}"},
                code="upload_too_big",
            )
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Choose an .xlsx workbook or a .csv file."), code="upload_kind")
        return upload


def economy_upload_limits() -> str:
    return _("At most %(size)s MB and %(rows)s rows. Larger files are imported on the server with "
             "python manage.py import_economy.") % {"size": f"{UPLOAD_MAX_BYTES / 1024 / 1024:g}", "rows": UPLOAD_MAX_ROWS}


class EconomyImportView(AdminRequiredMixin, View):
    """Upload the economy's figures: checked and written at once (the file is small), all or nothing."""

    http_method_names = ["get", "post", "head", "options"]
    template_name = "clearance/economy_import.html"

    def get(self, request):
        return self._page(EconomyUploadForm())

    def post(self, request):
        form = EconomyUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._page(form)
        upload, dry_run = form.cleaned_data["upload"], form.cleaned_data["dry_run"]
        with tempfile.TemporaryDirectory() as folder:
            # The file is named by the page, never by the client; its kind is all that is kept.
            path = Path(folder) / ("upload.csv" if upload.name.lower().endswith(".csv") else "upload.xlsx")
            with path.open("wb") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            try:
                report = economy_import(path=path, user=request.user, dry_run=dry_run, max_rows=UPLOAD_MAX_ROWS)
            except LedgerError as error:
                return self._page(form, problems=error.problems)
        if dry_run:
            return self._page(form, report=report)
        messages.success(request, " ".join(report.lines()))
        return HttpResponseRedirect(reverse("clearance:economy"))

    def _page(self, form, *, problems=None, report=None):
        return render(self.request, self.template_name, {
            "form": form, "problems": problems or [], "report": report, "limits": economy_upload_limits(),
        })


class EconomyTemplateView(AdminRequiredMixin, View):
    """The empty economy template: the sheet 经济数据 holds its header only; 说明 explains the columns."""

    http_method_names = ["get", "head", "options"]

    def get(self, request):
        return xlsx_response(economy_template(), _("economy-template") + ".xlsx")
