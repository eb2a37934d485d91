"""Sign-in throttling for django-axes: the address a sign-in came from, and the page a locked-out account sees."""

import math

from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _


def client_address(request: HttpRequest) -> str | None:
    """Return the address a request came from: the one the HTTPS proxy saw, when behind one."""
    if settings.SECURE_PROXY_SSL_HEADER:
        # The proxy appends the address it saw; any entry before it the client could have sent itself.
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR")


def lockout_message(request: HttpRequest) -> str:
    """Return the sentence telling a locked-out user for how long, in whole minutes rounded up."""
    cool_off = get_cool_off(request)
    if not cool_off:
        return _("Too many failed sign-in attempts: this account is locked. Ask an admin to unlock it.")
    minutes = math.ceil(cool_off.total_seconds() / 60)
    return _(
        "Too many failed sign-in attempts: this account is locked for %(minutes)s minutes. "
        "Try again later, or ask an admin to unlock it."
    ) % {"minutes": minutes}


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """Return the sign-in page again with the lockout message, as HTTP 429 (axes' AXES_LOCKOUT_CALLABLE)."""
    redirect_to = request.POST.get("next", request.GET.get("next", ""))
    if not url_has_allowed_host_and_scheme(redirect_to, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        redirect_to = ""
    context = {
        "form": AuthenticationForm(request, initial={"username": get_client_username(request, credentials) or ""}),
        "next": redirect_to,
        "lockout_message": lockout_message(request),
    }
    return render(request, "registration/login.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
