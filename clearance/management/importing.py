"""What the import commands share: the options and the user the history is attributed to."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils.translation import gettext as _


def add_import_arguments(parser, *, file_help: str) -> None:
    """Add FILE, --dry-run and --user, the options every import command takes."""
    parser.add_argument("file", type=Path, help=file_help)
    parser.add_argument("--dry-run", action="store_true", help="check and report, but write nothing")
    parser.add_argument("--user", help="username the changes are attributed to in the history")


def importing_user(username: str | None):
    """Return the user named USERNAME (None when not given); a CommandError when there is none."""
    if not username:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(_("There is no user %(user)s.") % {"user": username})
    return user
