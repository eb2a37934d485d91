"""Thin views: each asks a selector for its data and a template to show it."""

from django.views.generic import DetailView, TemplateView

from . import selectors
from .models import Enterprise, Site


class HomeView(TemplateView):
    template_name = "clearance/home.html"


class SiteDetailView(DetailView):
    model = Site
    template_name = "clearance/site_detail.html"


class EnterpriseDetailView(DetailView):
    model = Enterprise
    template_name = "clearance/enterprise_detail.html"
