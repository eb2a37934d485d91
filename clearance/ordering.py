"""Natural order of names that carry numbers: 攻坚小组一 … 十三 and 第1组 … 第10组 as people number them."""

import re
from collections.abc import Iterable

from django.db.models import Case, IntegerField, Value, When

CHINESE_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMBER = re.compile(r"(\d+|[〇零一二两三四五六七八九十]+)")


def chinese_number(text: str) -> int | None:
    """Return the value of Chinese numerals TEXT up to 99 (十三 → 13, 二十 → 20, 二〇二二 → 2022), or None.

    Without 十 several numerals read digit by digit, as years are written; anything else is not a number.
    """
    if "十" not in text:
        if all(char in CHINESE_DIGITS for char in text):
            return int("".join(str(CHINESE_DIGITS[char]) for char in text))
        return None
    tens, _, units = text.partition("十")
    if len(tens) > 1 or len(units) > 1 or "十" in units:
        return None
    tens_value = CHINESE_DIGITS.get(tens, 1 if not tens else None)
    units_value = CHINESE_DIGITS.get(units, 0 if not units else None)
    if not tens_value or units_value is None:
        return None
    return tens_value * 10 + units_value


def natural_key(name: str) -> tuple:
    """Return a sort key of NAME that orders its numbers (Arabic or Chinese, up to 99) by value.

    攻坚小组二 before 攻坚小组十, 第2组 before 第10组; text compares as text, a number before text at the same place.
    """
    parts = []
    for index, piece in enumerate(_NUMBER.split(name)):
        if not piece:
            continue
        value = int(piece) if index % 2 and piece.isdigit() else chinese_number(piece) if index % 2 else None
        parts.append((0, value, "") if value is not None else (1, 0, piece.casefold()))
    # The name itself last: 第1组 and 第01组 keep a fixed order.
    return (tuple(parts), name)


def naturally_sorted(items: Iterable, *, key=str) -> list:
    """Return ITEMS sorted by the natural order of KEY(item) (by default its text)."""
    return sorted(items, key=lambda item: natural_key(key(item)))


def natural_rank(field: str, names: Iterable[str]) -> Case | Value:
    """Return an expression giving each row the rank of its FIELD among NAMES in natural order, for sorting in SQL.

    The database cannot read Chinese numerals, so the order is computed here and handed to it as a CASE; fine
    for the few dozen names of a town's groups. Rows whose value is not among NAMES (or is NULL) come last.
    """
    ordered = naturally_sorted(set(names))
    if not ordered:
        return Value(0, output_field=IntegerField())
    return Case(
        *(When(**{field: name}, then=Value(rank)) for rank, name in enumerate(ordered)),
        default=Value(len(ordered)),
        output_field=IntegerField(),
    )
