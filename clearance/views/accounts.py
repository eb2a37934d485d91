"""Signing in: each role lands where its work is."""

from django.contrib.auth.views import LoginView
from django.urls import reverse

from .. import permissions


def landing_url(user) -> str:
    """Return the page USER starts on after signing in.

    An official with an active task-force membership lands on the workspace: the
    one town's page when they work for exactly one town, else the list of their
    towns. Leaders, admins and officials without a town land on the dashboard.
    """
    if permissions.is_official(user):
        towns = sorted(permissions.writable_town_ids(user))
        if len(towns) == 1:
            return reverse("clearance:workspace_sites", args=[towns[0]])
        if towns:
            return reverse("clearance:workspace")
    return reverse("clearance:home")


class SignInView(LoginView):
    """Django's sign-in page (django-axes still wraps the authentication); without ?next= each role lands on its page."""

    def get_default_redirect_url(self):
        return landing_url(self.request.user)
