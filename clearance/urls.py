"""URLs of the clearance app."""

from django.urls import path

from .views import dashboard, progress

app_name = "clearance"

urlpatterns = [
    path("", dashboard.HomeView.as_view(), name="home"),
    path("sites/<int:pk>/", progress.SiteDetailView.as_view(), name="site_detail"),
    path("enterprises/<int:pk>/", progress.EnterpriseDetailView.as_view(), name="enterprise_detail"),
]
