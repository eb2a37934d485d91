"""The reporting periods page (通报期): admins close the next month and reopen the latest, through the services."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from .. import permissions, selectors, services
from ..forms import PeriodCloseForm, PeriodReopenForm
from .writing import apply_service_errors


class PeriodsView(TemplateView):
    """The last twelve months, closed or open; a form closing the next month and one reopening the latest, with a reason."""

    http_method_names = ["get", "post", "head", "options"]
    template_name = "clearance/periods.html"

    def dispatch(self, request, *args, **kwargs):
        if not permissions.is_admin(request.user):
            raise PermissionDenied("Only administrators may close or reopen reporting periods.")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        months = selectors.period_months()
        latest, following = months["latest"], months["next"]
        close_month = following or selectors.last_complete_month()
        context.update(
            months=months["rows"],
            latest=latest,
            latest_label=selectors.month_label(latest.year, latest.month) if latest else None,
            close_label=selectors.month_label(*close_month),
            first_close=latest is None,
            close_ready=selectors.month_is_over(year=close_month[0], month=close_month[1]),
        )
        context.setdefault("close_form", PeriodCloseForm(initial={"year": close_month[0], "month": close_month[1]}))
        if latest is not None:
            context.setdefault("reopen_form", PeriodReopenForm(initial={"year": latest.year, "month": latest.month}))
        return context

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") == "reopen":
            form = PeriodReopenForm(request.POST)
            if form.is_valid():
                try:
                    period = services.period_reopen(
                        year=form.cleaned_data["year"], month=form.cleaned_data["month"],
                        reason=form.cleaned_data["reason"], user=request.user,
                    )
                except ValidationError as error:
                    apply_service_errors(form, error)
                else:
                    messages.success(
                        request, _("%(month)s is open again.") % {"month": selectors.month_label(period.year, period.month)}
                    )
                    return HttpResponseRedirect(reverse("clearance:periods"))
            return self.render_to_response(self.get_context_data(reopen_form=form))
        form = PeriodCloseForm(request.POST)
        if form.is_valid():
            try:
                period = services.period_close(
                    year=form.cleaned_data["year"], month=form.cleaned_data["month"], user=request.user
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("%(month)s is closed; its figures are kept as published.")
                    % {"month": selectors.month_label(period.year, period.month)},
                )
                return HttpResponseRedirect(reverse("clearance:periods"))
        return self.render_to_response(self.get_context_data(close_form=form))
