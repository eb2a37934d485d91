"""Root URLs: the app, the admin, sign-in pages and language switching."""

import re

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path
from django.views.i18n import set_language

from clearance.api import EvaluationApiView, ReuseApiView, SummaryApiView
from clearance.views.accounts import SignInView
from pinghu.media import media_serve

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Choosing the language must work on the login page too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("api/summary/", SummaryApiView.as_view(), name="api_summary"),
    path("api/evaluation/", EvaluationApiView.as_view(), name="api_evaluation"),
    path("api/reuse/", ReuseApiView.as_view(), name="api_reuse"),
    path("", include("clearance.urls")),
]

# Photos of sites are for signed-in users only (LoginRequiredMiddleware covers this view), in production too:
# the tracker runs on a closed network with modest traffic, so Django serves them itself, from the disk or
# the object store (pinghu/media.py).
urlpatterns += [
    re_path(rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$", media_serve),
]
