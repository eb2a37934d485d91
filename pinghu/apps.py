"""Third-party apps under names of our own, which our catalogue translates."""

from axes.apps import AppConfig as AxesAppConfig
from django_tasks_db.apps import TasksAppConfig
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def _when(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT") if moment else ""


def _access_attempt_str(self) -> str:
    return gettext("Failed sign-ins of %(username)s, last at %(time)s") % {
        "username": self.username, "time": _when(self.attempt_time)
    }


def _access_failure_str(self) -> str:
    return gettext("Failed sign-in of %(username)s at %(time)s from %(address)s") % {
        "username": self.username, "time": _when(self.attempt_time), "address": self.ip_address
    }


def _access_log_str(self) -> str:
    return gettext("Sign-in of %(username)s at %(time)s") % {"username": self.username, "time": _when(self.attempt_time)}


class AxesConfig(AxesAppConfig):
    """django-axes, named in the admin by what it keeps rather than as "Axes", its records named in words we translate."""

    verbose_name = _("Sign-in records")

    def ready(self):
        super().ready()
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        # axes names its records with English f-strings ("Attempted Access: …"), which no catalogue can
        # translate, and the admin shows that name in its titles and breadcrumbs: name them ourselves.
        AccessAttempt.__str__ = _access_attempt_str
        AccessFailureLog.__str__ = _access_failure_str
        AccessLog.__str__ = _access_log_str


class TasksDatabaseConfig(TasksAppConfig):
    """The task worker's results (django-tasks-db), named in the admin in words our catalogue translates."""

    verbose_name = _("Background tasks")

    def ready(self):
        super().ready()
        from django.contrib import admin
        from django_tasks_db.models import DBTaskResult

        # Its admin speaks English (ids, task paths, queue names) and edits nothing: the admins follow their
        # jobs on the import pages (/ledger/import/), operators in the worker's log (docs/operations.md).
        if admin.site.is_registered(DBTaskResult):
            admin.site.unregister(DBTaskResult)
