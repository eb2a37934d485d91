"""The evaluation's admin pages: schemes, adjustments, a row corrected by hand; everyone signed in reads the schemes."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views import View

from .. import permissions
from ..choices import Grade, Indicator, INDICATOR_UNITS, JobKind, SizeClass
from ..indicators.template import indicators_template
from ..forms import VersionedModelForm, refuse_control_characters
from ..models import Adjustment, EvaluatedEnterprise, IndicatorRow, Scheme
from ..models.evaluation import DEFAULT_CAP, DEFAULT_CUTOFFS, DEFAULT_WEIGHTS
from ..rules import MAX_YEAR, MIN_YEAR
from ..selectors.history import adjustment_history, indicator_row_history, scheme_history
from ..selectors.schemes import grade_counts, scheme_lines, scoring_waiting, scoring_waits, year_has_data
from ..services import evaluation as services
from ..services.base import StaleEditError
from ..services.jobs import INDICATORS_CSV_NAME, INDICATORS_XLSX_NAME, indicators_job_create
from .ledger import AdminRequiredMixin, JobUploadView, xlsx_response
from .writing import apply_service_errors, conflict_response


def refuse_unless_admin(request) -> None:
    """Refuse with 403 a write by anyone but an admin (the evaluation's pages are read by every signed-in role)."""
    if not permissions.is_admin(request.user):
        raise PermissionDenied("Only administrators may change the evaluation.")


def class_moves(before: dict[str, int], after: dict[str, int]) -> str:
    """Say how many enterprises each class held before and after a rescoring: "A 3 → 4, B 5 → 4 …"."""
    return pgettext("list separator", ", ").join(f"{grade} {before[grade]} → {after[grade]}" for grade in Grade.values)


# Schemes ----------------------------------------------------------------------------------------------------


class SchemeForm(VersionedModelForm):
    """The cap, the three cut-offs and, per indicator, its weight and optional fixed benchmark."""

    class Meta:
        model = Scheme
        fields = ["cap", "cut_a", "cut_b", "cut_c"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = {weight.indicator: weight for weight in self.instance.weights.all()} if self.instance.pk else {}
        defaults = DEFAULT_WEIGHTS[SizeClass(self.instance.size)]
        for indicator in Indicator:
            weight = stored.get(indicator)
            self.fields[f"weight_{indicator}"] = forms.DecimalField(
                label=_("Weight of %(indicator)s") % {"indicator": indicator.label}, min_value=0, max_digits=7,
                decimal_places=2, initial=weight.weight if weight else defaults.get(indicator, 0),
            )
            self.fields[f"benchmark_{indicator}"] = forms.DecimalField(
                label=_("Fixed benchmark of %(indicator)s") % {"indicator": indicator.label}, required=False,
                max_digits=18, decimal_places=4, initial=weight.fixed_benchmark if weight else None,
            )
        for name in ("cap", "cut_a", "cut_b", "cut_c"):
            self.fields[name].widget.attrs.update(inputmode="decimal")

    def weights(self) -> dict[str, tuple]:
        """Return, per indicator, the (weight, fixed benchmark or None) given."""
        return {indicator: (self.cleaned_data[f"weight_{indicator}"], self.cleaned_data[f"benchmark_{indicator}"])
                for indicator in Indicator.values}

    def weight_rows(self) -> list[tuple]:
        """Return, per indicator, its label, unit and the two bound fields, for the page's table."""
        return [(indicator, INDICATOR_UNITS[indicator], self[f"weight_{indicator}"], self[f"benchmark_{indicator}"])
                for indicator in Indicator]


def scheme_or_default(year: int, size: str) -> Scheme:
    """Return the scheme of YEAR and SIZE, or an unsaved one with the defaults when the year has data but no scheme;
    404 for a size class that is none, a year out of range, or a year with neither."""
    if size not in SizeClass.values or not MIN_YEAR <= year <= MAX_YEAR:
        raise Http404("No such scheme.")
    scheme = Scheme.objects.filter(year=year, size=size).first()
    if scheme is None:
        if not year_has_data(year=year, size=size):
            raise Http404("No such scheme.")
        scheme = Scheme(year=year, size=size, cap=DEFAULT_CAP, **DEFAULT_CUTOFFS)
    return scheme


class SchemeListView(View):
    """Every year and size class with its cap, cut-offs, weights and the benchmarks last used; admins edit and copy."""

    http_method_names = ["get", "head", "options"]

    def get(self, request):
        return render(request, "clearance/evaluation/schemes.html", {
            "lines": scheme_lines(), "indicators": list(Indicator), "can_edit": permissions.is_admin(request.user),
            "scoring_waiting": scoring_waiting(),
        })


class SchemeUpdateView(View):
    """One year and size class's scheme: everyone reads it and its history; admins change it, which scores again."""

    http_method_names = ["get", "post", "head", "options"]
    template_name = "clearance/evaluation/scheme_form.html"

    def dispatch(self, request, year, size):
        self.scheme = scheme_or_default(year, size)
        return super().dispatch(request, year, size)

    def get(self, request, year, size):
        return self._page(SchemeForm(instance=self.scheme))

    def post(self, request, year, size):
        refuse_unless_admin(request)
        form = SchemeForm(request.POST, instance=self.scheme)
        if not form.is_valid():
            return self._page(form)
        before = grade_counts(year=year, size=size)
        fields = {name: form.cleaned_data[name] for name in ("cap", "cut_a", "cut_b", "cut_c")}
        try:
            scheme = services.scheme_ensure(year=year, size=size, user=request.user)
            scheme = services.scheme_update(
                scheme=scheme, expected_version=form.cleaned_data.get("version") or 1, user=request.user,
                weights=form.weights(), **fields,
            )
        except StaleEditError as stale:
            return conflict_response(
                request, record=stale.current, theirs=stale.current, yours=fields, fields=list(fields),
                retry_url=request.path, back_url=reverse("clearance:schemes"),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            return self._page(form)
        if scoring_waits(year, size):
            messages.success(request, _(
                "The scheme of %(scheme)s was saved. Its %(count)s enterprises are being scored again by the task "
                "worker; their classes change when it finishes."
            ) % {"scheme": scheme, "count": scheme.graded_count})
            return HttpResponseRedirect(scheme.get_absolute_url())
        after = grade_counts(year=year, size=size)
        messages.success(request, _(
            "The scheme of %(scheme)s was saved and the enterprises scored again. Enterprises per class: %(moves)s."
        ) % {"scheme": scheme, "moves": class_moves(before, after)})
        return HttpResponseRedirect(scheme.get_absolute_url())

    def _page(self, form):
        scheme = self.scheme
        can_edit = permissions.is_admin(self.request.user)
        for field in form.fields.values():
            field.disabled = not can_edit
        used = {weight.indicator: weight.benchmark_used for weight in scheme.weights.all()} if scheme.pk else {}
        return render(self.request, self.template_name, {
            "scheme": scheme, "form": form, "can_edit": can_edit,
            "counts": grade_counts(year=scheme.year, size=scheme.size),
            "weight_rows": [(*row, used.get(row[0])) for row in form.weight_rows()],
            "history": scheme_history(scheme=scheme) if scheme.pk else [],
            "scoring_waiting": scoring_waiting([scheme.year], scheme.size),
        })


class SchemeCopyView(AdminRequiredMixin, View):
    """Copy a year's schemes to the next year (asked to confirm first); the next year is scored again."""

    http_method_names = ["get", "post", "head", "options"]

    def get(self, request, year):
        if not Scheme.objects.filter(year=year).exists():
            raise Http404("No scheme to copy.")
        return render(request, "clearance/evaluation/scheme_copy.html", {
            "year": year, "next_year": year + 1, "replaces": Scheme.objects.filter(year=year + 1).exists(),
        })

    def post(self, request, year):
        if not MIN_YEAR <= year < MAX_YEAR:
            raise Http404("No scheme to copy.")
        if request.POST.get("confirm") != "1":  # a POST without the page's button confirms nothing
            return self.get(request, year)
        try:
            copied = services.scheme_copy_to_next_year(year=year, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(reverse("clearance:schemes"))
        if scoring_waits(year + 1):
            message = _("The schemes of %(year)s were copied to %(next)s: %(schemes)s; the task worker is scoring "
                        "%(next)s again, and its scores change when it finishes.")
        else:
            message = _("The schemes of %(year)s were copied to %(next)s: %(schemes)s; %(next)s was scored again.")
        messages.success(request, message % {"year": year, "next": year + 1,
                                             "schemes": pgettext("list separator", ", ").join(map(str, copied))})
        return HttpResponseRedirect(reverse("clearance:schemes"))


# Adjustments ------------------------------------------------------------------------------------------------


class AdjustmentForm(forms.ModelForm):
    """An adjustment of one of the enterprise's evaluated years: points (+ or −) and the reason."""

    class Meta:
        model = Adjustment
        fields = ["year", "points", "reason"]

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        refuse_control_characters(self)
        self.fields["year"] = forms.TypedChoiceField(
            label=_("Year"), choices=[(year, year) for year in years], coerce=int,
        )
        self.fields["reason"].required = False  # the service says why a reason is needed
        self.fields["points"].help_text = _("Positive to add points (加分), negative to take them away (减分).")
        self.fields["points"].widget.attrs.update(inputmode="decimal")

    def _post_clean(self):
        pass  # the service validates (adjustment_add): no rule written twice


class AdjustmentsView(View):
    """An enterprise's adjustments by year, with points, reason, who and when; admins add one (and score again)."""

    http_method_names = ["get", "post", "head", "options"]
    template_name = "clearance/evaluation/adjustments.html"

    def dispatch(self, request, pk):
        self.enterprise = get_object_or_404(EvaluatedEnterprise.objects.select_related("town"), pk=pk)
        self.years = list(IndicatorRow.objects.filter(enterprise=self.enterprise).order_by("-year")
                          .values_list("year", flat=True))
        return super().dispatch(request, pk)

    def get(self, request, pk):
        return self._page(AdjustmentForm(years=self.years))

    def post(self, request, pk):
        refuse_unless_admin(request)
        form = AdjustmentForm(request.POST, years=self.years)
        if not form.is_valid():
            return self._page(form)
        try:
            adjustment = services.adjustment_add(enterprise=self.enterprise, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
            return self._page(form)
        if scoring_waits(adjustment.year):
            message = _("%(points)s points for %(year)s recorded for %(name)s; the task worker is scoring %(year)s "
                        "again, and its scores change when it finishes.")
        else:
            message = _("%(points)s points for %(year)s recorded for %(name)s; %(year)s was scored again.")
        messages.success(request, message % {"points": f"{adjustment.points.quantize(Decimal('0.01')):+}",
                                             "year": adjustment.year, "name": self.enterprise.name})
        return HttpResponseRedirect(request.path)

    def _page(self, form):
        adjustments = list(self.enterprise.adjustments.select_related("created_by").order_by("-year", "-created_at", "-pk"))
        return render(self.request, self.template_name, {
            "enterprise": self.enterprise, "adjustments": adjustments, "form": form, "years": self.years,
            "can_edit": permissions.is_admin(self.request.user),
            "history": adjustment_history(enterprise=self.enterprise),
            "scoring_waiting": scoring_waiting(self.years),
        })


class AdjustmentDeleteView(AdminRequiredMixin, View):
    """Remove an adjustment, after a confirmation; its year is scored again."""

    http_method_names = ["get", "post", "head", "options"]

    def dispatch(self, request, pk):
        self.adjustment = get_object_or_404(Adjustment.objects.select_related("enterprise__town", "created_by"), pk=pk)
        return super().dispatch(request, pk)

    def get(self, request, pk):
        return render(request, "clearance/evaluation/adjustment_delete.html", {"adjustment": self.adjustment})

    def post(self, request, pk):
        if request.POST.get("confirm") != "1":  # a POST without the page's button confirms nothing
            return self.get(request, pk)
        enterprise, year = self.adjustment.enterprise, self.adjustment.year
        services.adjustment_delete(adjustment=self.adjustment, user=request.user)
        if scoring_waits(year):
            message = _("The adjustment was removed; the task worker is scoring %(year)s again, and its scores change "
                        "when it finishes.")
        else:
            message = _("The adjustment was removed; %(year)s was scored again.")
        messages.success(request, message % {"year": year})
        return HttpResponseRedirect(reverse("clearance:evaluation_adjustments", args=[enterprise.pk]))


# A row corrected by hand -------------------------------------------------------------------------------------

ROW_FIELDS = ["size", "land_mu", "tax_wan", "value_added_wan", "revenue_wan", "energy_tce", "emission_t", "rd_wan",
              "employees", "power_10k_kwh", "exempt"]


class IndicatorRowForm(VersionedModelForm):
    class Meta:
        model = IndicatorRow
        fields = ROW_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ROW_FIELDS[1:-1]:
            self.fields[name].widget.attrs.update(inputmode="decimal")


class IndicatorRowUpdateView(AdminRequiredMixin, View):
    """Correct one enterprise's evaluation data of one year; the year is scored again; the row's history below."""

    http_method_names = ["get", "post", "head", "options"]
    template_name = "clearance/evaluation/indicator_row_form.html"

    def dispatch(self, request, pk):
        self.row = get_object_or_404(IndicatorRow.objects.select_related("enterprise__town"), pk=pk)
        return super().dispatch(request, pk)

    def get(self, request, pk):
        return self._page(IndicatorRowForm(instance=self.row))

    def post(self, request, pk):
        # Read the stored row again: the form's checks write the submitted values onto its instance.
        form = IndicatorRowForm(request.POST, instance=IndicatorRow.objects.get(pk=pk))
        if not form.is_valid():
            return self._page(form)
        fields = form.changed_fields()
        try:
            row = services.indicator_row_update(row=self.row, expected_version=form.cleaned_data["version"],
                                                user=request.user, **fields)
        except StaleEditError as stale:
            return conflict_response(
                request, record=self.row, theirs=stale.current, yours=fields, fields=list(fields),
                retry_url=request.path, back_url=reverse("clearance:evaluation_adjustments", args=[self.row.enterprise_id]),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            return self._page(form)
        if scoring_waits(row.year):
            message = _("The evaluation data of %(name)s for %(year)s was saved; the task worker is scoring %(year)s "
                        "again, and its scores change when it finishes.")
        else:
            message = _("The evaluation data of %(name)s for %(year)s was saved; %(year)s was scored again.")
        messages.success(request, message % {"name": row.enterprise.name, "year": row.year})
        return HttpResponseRedirect(request.path)

    def _page(self, form):
        return render(self.request, self.template_name, {
            "row": self.row, "enterprise": self.row.enterprise, "form": form,
            "history": indicator_row_history(row=self.row), "scoring_waiting": scoring_waiting([self.row.year]),
        })



# The web import ----------------------------------------------------------------------------------------------


def indicators_upload_limits() -> str:
    """Say what the upload accepts, from the settings: shown in the form's help."""
    return _(
        "At most %(size)s MB and %(rows)s rows. Larger files are imported on the server with "
        "python manage.py import_indicators."
    ) % {"size": f"{settings.CLEARANCE_LEDGER_UPLOAD_MAX_BYTES / 1024 / 1024:g}",
         "rows": f"{settings.CLEARANCE_LEDGER_MAX_ROWS:,}"}


class IndicatorsUploadForm(forms.Form):
    """An .xlsx workbook with the sheet 亩均数据, or one .csv file of it."""

    upload = forms.FileField(label=gettext_lazy("Evaluation data (.xlsx with the sheet 亩均数据, or .csv)"))

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        limit = settings.CLEARANCE_LEDGER_UPLOAD_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than the limit of %(limit)s MB.") % {"limit": f"{limit / 1024 / 1024:g}"},
                code="upload_too_big",
            )
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Choose an .xlsx workbook or a .csv file."), code="upload_kind")
        return upload

    def files_by_name(self) -> dict:
        """Return the upload under the name the job gives it (never the client's), as chunks."""
        upload = self.cleaned_data["upload"]
        name = INDICATORS_CSV_NAME if upload.name.lower().endswith(".csv") else INDICATORS_XLSX_NAME
        return {name: upload.chunks()}


class IndicatorsImportView(JobUploadView):
    """Upload evaluation data: a background job checks it, its page shows the progress, then the preview or the bad rows."""

    form_class = IndicatorsUploadForm
    kind = JobKind.INDICATORS_IMPORT
    template_name = "clearance/evaluation/indicators_import.html"

    def create_job(self, *, user, files, language):
        return indicators_job_create(user=user, files=files, language=language)

    def page_context(self) -> dict:
        return {"limits": indicators_upload_limits()}


class IndicatorsTemplateView(AdminRequiredMixin, View):
    """The empty evaluation data template: the sheet 亩均数据 holds its header only; 说明 explains the columns."""

    http_method_names = ["get", "head", "options"]

    def get(self, request):
        return xlsx_response(indicators_template(), _("evaluation-data-template") + ".xlsx")
