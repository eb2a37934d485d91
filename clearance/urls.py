"""URLs of the clearance app."""

from django.urls import path

from . import views

app_name = "clearance"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("sites/<int:pk>/", views.SiteDetailView.as_view(), name="site_detail"),
    path("enterprises/<int:pk>/", views.EnterpriseDetailView.as_view(), name="enterprise_detail"),
]
