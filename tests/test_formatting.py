"""Numbers formatted once per value (clearance.formatting.number_formatter) read exactly as floatformat shows them."""

from decimal import Decimal

import pytest
from django.template.defaultfilters import floatformat
from django.test import override_settings
from django.utils import translation
from hypothesis import example, given
from hypothesis import strategies as st

from clearance.formatting import number_formatter, number_text

# Every way the pages format a figure: floatformat's argument and the formatter's (places, grouped).
ARGUMENTS = {"2g": (2, True), "-2g": (-2, True), "g": (-1, True), "1": (1, False), "0": (0, False),
             "-2": (-2, False), "2": (2, False)}

numbers = st.one_of(
    st.decimals(min_value=-10**12, max_value=10**12, places=2, allow_nan=False, allow_infinity=False),
    st.decimals(min_value=-10**6, max_value=10**6, places=6, allow_nan=False, allow_infinity=False),
    st.integers(min_value=-10**12, max_value=10**12),
    # Floats as the ranking's rounded percentages are (beyond 200 digits floatformat gives the text back as is).
    st.floats(min_value=-10**9, max_value=10**9, allow_nan=False, allow_infinity=False).filter(
        lambda number: number == 0 or abs(number) > 1e-9),
)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("argument", ARGUMENTS)
@given(value=numbers)
@example(value=Decimal("-0.001"))
@example(value=Decimal("1234.565"))
@example(value=Decimal("0.05"))
@example(value=Decimal("-1234567.5"))
@example(value=66.65)
def test_a_number_reads_as_floatformat_shows_it(language, argument, value):
    places, grouped = ARGUMENTS[argument]
    with translation.override(language):
        assert number_formatter(places, grouped=grouped)(value) == floatformat(value, argument)


@override_settings(FORMAT_MODULE_PATH=None)
@pytest.mark.parametrize("argument", ARGUMENTS)
def test_separators_other_than_pythons_go_through_djangos_formats(argument):
    # German: a comma for decimals and a dot between thousands.
    places, grouped = ARGUMENTS[argument]
    with translation.override("de"):
        for value in (Decimal("1234567.891"), Decimal("-0.5"), 12, Decimal("1000")):
            assert number_text(value, places, grouped=grouped) == floatformat(value, argument)


def test_nothing_reads_as_nothing():
    assert number_text(None, 2, grouped=True) == ""
