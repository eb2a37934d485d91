"""The natural order of names that carry numbers: 攻坚小组一 … 十三, 第1组 … 第10组."""

import random

import pytest

from clearance.ordering import chinese_number, natural_key, naturally_sorted

LINDAI = [f"攻坚小组{n}" for n in "一 二 三 四 五 六 七 八 九 十 十一 十二 十三".split()]


def test_chinese_group_names_sort_as_people_number_them():
    shuffled = random.Random(12).sample(LINDAI, len(LINDAI))

    assert naturally_sorted(shuffled) == LINDAI
    # What the characters' order gives, and the issue complained of.
    assert sorted(LINDAI)[:5] == ["攻坚小组一", "攻坚小组七", "攻坚小组三", "攻坚小组九", "攻坚小组二"]


def test_arabic_group_names_sort_by_value():
    assert naturally_sorted(["第10组", "第2组", "第1组", "第11组"]) == ["第1组", "第2组", "第10组", "第11组"]


def test_numbers_inside_names_sort_by_value_before_the_text_after_them():
    names = ["第十攻坚小组", "第二攻坚小组", "第一攻坚小组", "第二十一攻坚小组"]

    assert naturally_sorted(names) == ["第一攻坚小组", "第二攻坚小组", "第十攻坚小组", "第二十一攻坚小组"]


@pytest.mark.parametrize(
    ("text", "value"),
    [("一", 1), ("两", 2), ("十", 10), ("十三", 13), ("二十", 20), ("二十一", 21), ("九十九", 99), ("二〇二二", 2022),
     ("十十", None), ("三十十", None), ("一二十", None)],
)
def test_chinese_number_reads_numerals_up_to_99(text, value):
    assert chinese_number(text) == value


def test_names_without_numbers_sort_as_text_and_equal_values_keep_a_fixed_order():
    assert naturally_sorted(["乙组", "甲组", "第01组", "第1组"]) == ["乙组", "甲组", "第01组", "第1组"]
    assert natural_key("第1组") != natural_key("第01组")
