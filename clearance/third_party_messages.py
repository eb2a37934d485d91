"""Other projects' words translated in our catalogue: django-axes ships no Chinese, and Django 5.2 and
django-simple-history have words their Chinese catalogues lack.

Django looks a library's strings up in every catalogue, ours first (LOCALE_PATHS),
so their Chinese lives in locale/zh_Hans with the rest. Listed here only so that
`make messages` (makemessages) sees them in our code and keeps them instead of
marking them obsolete. Nothing calls these functions. (The admin scripts' words
are in locale/zh_Hans/LC_MESSAGES/djangojs.po, which makemessages leaves alone.)
"""

from django.utils.translation import gettext, pgettext


def _axes_admin_and_messages() -> None:  # pragma: no cover - never called
    gettext("access attempt")
    gettext("access attempts")
    gettext("Access Attempt")
    gettext("access attempt expiration")
    gettext("access attempt expirations")
    gettext("access log")
    gettext("access logs")
    gettext("access failure")
    gettext("access failures")
    gettext("User Agent")
    gettext("IP Address")
    gettext("Username")
    gettext("HTTP Accept")
    gettext("Path")
    gettext("Attempt Time")
    gettext("Access lock out")
    gettext("GET Data")
    gettext("POST Data")
    gettext("Failed Logins")
    gettext("Expires At")
    gettext("The time when access attempt expires and is no longer valid.")
    gettext("Logout Time")
    gettext("Session key hash (sha256)")
    gettext("Locked Out")
    gettext("Form Data")
    gettext("Meta Data")
    gettext("Clean up expired attempts")
    gettext("Not set")
    gettext("Attempt Remaining")


def _django_admin() -> None:  # pragma: no cover - never called
    gettext("Model name")
    gettext("Add link")
    gettext("Change or view list link")
    gettext("After you’ve created a user, you’ll be able to edit more user options.")
    gettext("Error:")
    gettext("Forgotten your login credentials?")
    gettext("In case you’ve forgotten, you are:")
    gettext("%(model)s instance with %(field)s %(value)r is not a valid choice.")


def _simple_history() -> None:  # pragma: no cover - never called
    gettext("Changes")
    gettext("Deleted %(type_name)s")


def _tasks_admin() -> None:  # pragma: no cover - never called
    gettext("Task Result")
    gettext("Task Results")
    gettext("enqueued at")
    gettext("started at")
    gettext("finished at")
    gettext("args kwargs")
    gettext("priority")
    gettext("task path")
    gettext("worker id")
    gettext("queue name")
    gettext("backend name")
    gettext("run after")
    gettext("return value")
    gettext("exception class path")
    gettext("traceback")
    pgettext("Task", "Ready")
    pgettext("Task", "Running")
    pgettext("Task", "Failed")
    pgettext("Task", "Successful")
