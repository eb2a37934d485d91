"""Root URLs: the app, the admin, sign-in pages and language switching."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from clearance.api import SummaryApiView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Choosing the language must work on the login page too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("api/summary/", SummaryApiView.as_view(), name="api_summary"),
    path("", include("clearance.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
