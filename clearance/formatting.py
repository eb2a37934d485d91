"""One way to show a stored value in words: history, the audit page, the conflict page and the detail pages use it."""

import functools
from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.formats import get_format, number_format
from django.utils.translation import get_language
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


# Numbers as the pages show them -----------------------------------------------------------------------------------

# (decimal separator, thousands separator, digits per group) of Chinese and English: Python's own format spec.
_PYTHON_SEPARATORS = (".", ",", 3)


def number_formatter(places: int = -1, *, grouped: bool = False) -> Callable[[object], str]:
    """Return value -> VALUE as the template filter floatformat shows it with PLACES ("PLACESg" when GROUPED).

    PLACES ≥ 0: that many decimals; negative: as many, but none for a whole number. Rounded half up; "" for None.
    Why: a page of a hundred towns shows thousands of numbers, and the filter goes through the locale machinery
    for each. This reads the active language's separators once and, where they are Python's (Chinese and English
    here), formats with Python's own format spec; elsewhere it falls back to Django's number_format.
    tests/test_formatting.py holds it to the filter's output.

    The formatter is made once per language and format (reading the separators costs more than formatting a
    hundred numbers, and a dashboard asks for some forty formatters); a change of the format settings forgets them.
    """
    return _number_formatter(get_language(), places, grouped)


@functools.lru_cache(maxsize=128)
def _number_formatter(language: str | None, places: int, grouped: bool) -> Callable[[object], str]:
    separators = (get_format("DECIMAL_SEPARATOR"), get_format("THOUSAND_SEPARATOR"), get_format("NUMBER_GROUPING"))
    native = separators == _PYTHON_SEPARATORS or (not grouped and separators[0] == ".")
    spec = "," if grouped else ""
    steps = [Decimal(1).scaleb(-count) for count in range(abs(places) + 1)]

    # A whole number shown without decimals (the counts) needs none of the rounding below.
    whole_numbers_as_they_are = native and places <= 0

    def format_value(value) -> str:
        if value is None:
            return ""
        if value.__class__ is int and whole_numbers_as_they_are:
            return f"{value:{spec}d}"
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        whole = number == number.to_integral_value()
        decimals = 0 if whole and places <= 0 else abs(places)
        rounded = number if whole and not decimals else number.quantize(steps[decimals], rounding=ROUND_HALF_UP)
        if not rounded:
            rounded = abs(rounded)  # "0.00", never "-0.00"
        if native:
            return f"{rounded:{spec}.{decimals}f}"
        return number_format(f"{rounded:.{decimals}f}", decimals, force_grouping=grouped)

    return format_value


def number_text(value, places: int = -1, *, grouped: bool = False) -> str:
    """One VALUE as floatformat shows it with PLACES (see number_formatter; build that once for a column)."""
    return number_formatter(places, grouped=grouped)(value)


@receiver(setting_changed)
def _forget_formatters(*, setting, **kwargs) -> None:
    """A test that changes the language or format settings gets formatters made afresh (Django forgets its own
    format cache the same way)."""
    if setting in {"LANGUAGE_CODE", "LANGUAGES", "USE_THOUSAND_SEPARATOR", "FORMAT_MODULE_PATH"} or setting.endswith(
        ("_SEPARATOR", "NUMBER_GROUPING")
    ):
        _number_formatter.cache_clear()
