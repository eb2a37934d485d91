"""The project list's town filter is rendered in Python (clearance.widgets.OnePassSelect) for speed; it must be what
Django's own select templates render: every option, the one selected, groups, attributes and escaping."""

import pytest
from django import forms
from django.urls import reverse

from clearance.widgets import OnePassSelect
from tests.factories import TownFactory

CHOICES = [
    ("", "全部镇街道"),
    (1, "新埭镇"),
    ("a&b", 'Quote " and <tag>'),
    ("组", [(2, "乍浦镇"), (3, "当湖街道")]),
]


@pytest.mark.parametrize("value", [None, "", 1, "1", "a&b", 3, ["1", 3]])
@pytest.mark.parametrize("attrs", [None, {"class": "form-select", "required": True, "disabled": False, "data-x": 5}])
def test_it_renders_what_djangos_select_renders(value, attrs):
    ours = OnePassSelect(choices=CHOICES, attrs=attrs).render("town", value, attrs={"id": "id_town"})
    stock = forms.Select(choices=CHOICES, attrs=attrs).render("town", value, attrs={"id": "id_town"})

    assert ours == stock


@pytest.mark.django_db
def test_the_project_lists_town_filter_is_djangos_select(client, admin_user):
    towns = [TownFactory(name=name, display_order=order) for name, order in (("乙镇", 2), ("甲镇", 1), ("<丙>", 1))]
    client.force_login(admin_user)

    response = client.get(reverse("clearance:project_list"), {"town": towns[1].pk})

    field = response.context["filter"].form["town"]
    stock = field.as_widget(widget=forms.Select(choices=field.field.choices), attrs={"class": "form-select"})
    assert stock in response.content.decode()
    assert f'<option value="{towns[1].pk}" selected>甲镇</option>' in stock
