"""The clearance app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClearanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "clearance"
    verbose_name = _("Clearance campaign")

    def ready(self):
        from django.contrib.auth.models import Group

        from .permissions import group_label

        # The roles' groups are stored under English names that clearance/permissions.py looks up; wherever a
        # group is shown (the admin's user form, its filters and breadcrumbs, the people page) it is read
        # in the reader's language instead. The stored name is unchanged.
        Group.__str__ = lambda group: group_label(group.name)
