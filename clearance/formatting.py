"""One way to show a stored value in words: history, the audit page, the conflict page and the detail pages use it."""

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _
from simple_history.models import DeletedObject

EMPTY = "—"


def display_value(value, field=None) -> str:
    """Show VALUE as the pages do: a choice's label (given its model FIELD), a related row's name, 是/否, — for nothing.

    Dates as YYYY-MM-DD; decimals to the places their field keeps (two by default), so 20.4 and 20.40 read alike.
    """
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, DeletedObject):
        return _("(deleted)")
    if field is not None and getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.{getattr(field, 'decimal_places', None) or 2}f}"
    return str(value)
