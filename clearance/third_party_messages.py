"""django-axes' words, translated in our catalogue: axes ships no Chinese.

Django looks a library's strings up in every catalogue, ours first (LOCALE_PATHS),
so their Chinese lives in locale/zh_Hans with the rest. Listed here only so that
`make messages` (makemessages) sees them in our code and keeps them instead of
marking them obsolete. Nothing calls this function.
"""

from django.utils.translation import gettext


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
