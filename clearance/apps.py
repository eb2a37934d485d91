"""The clearance app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClearanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "clearance"
    verbose_name = _("Clearance campaign")
