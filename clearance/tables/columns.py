"""Columns the tables share: a number right-aligned, formatted once per value, exported as a number."""

from decimal import Decimal

import django_tables2 as tables

from ..formatting import number_formatter, number_text
from ..selectors import CENT
from .one_pass import value_cells

_NUMBER = {"td": {"class": "text-end text-nowrap"}, "th": {"class": "text-end"}}


def number_attrs() -> dict:
    """The attrs of a number's column (right-aligned, not wrapped): a fresh copy, as django-tables2 may change them."""
    return {part: dict(attrs) for part, attrs in _NUMBER.items()}


class TwoDecimalsColumn(tables.Column):
    """A figure to two decimals with grouped thousands, exported as a number.

    A float (an annotation's average, a score) is exported through its shortest repr, so 0.1 is 0.10 and not
    0.1000000000000000055…; a Decimal as it is.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("attrs", number_attrs())
        super().__init__(**kwargs)

    def render(self, value):
        return number_text(value, 2, grouped=True)

    def value(self, value):
        return None if value is None else Decimal(repr(value) if isinstance(value, float) else value).quantize(CENT)

    def cell_html(self, bound, table):
        text = number_formatter(2, grouped=True)
        return value_cells(bound, lambda value, record: text(value))
