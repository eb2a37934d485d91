"""The register's forms fuzzed: recording, editing and resolving never crash, refuse in Chinese with nothing written,
and save exactly what was meant."""

import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from clearance.models import AttackGroup, RegisterItem

from tests.fuzz_helpers import (
    FUZZ,
    assert_escaped,
    assert_no_crash,
    fingerprint,
    hostile_id,
    hostile_text,
    page_text,
    rolled_back,
    submissions,
    watched_models,
)
from tests.stability.helpers import raise_item

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CHINESE = re.compile(r"[\u4e00-\u9fff]")
typed = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=30)
words = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Z")), min_size=1, max_size=20)
past_dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2022, 12, 31)).map(date.isoformat)
kinds = st.sampled_from(["dispute", "petition", "hazard"])


def client_for(user) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(user)
    return client


def item_submissions(world, *, versioned: bool = False, resolving: bool = False):
    group = AttackGroup.objects.get(task_force__pairing__town=world.town)
    other = AttackGroup.objects.get(task_force__pairing__town=world.other_town)
    if resolving:
        valid = {"resolve": st.just("1"), "resolved_on": past_dates.filter(lambda on: on >= "2022-03-10"),
                 "resolution": words}
        bad = {"resolved_on": st.one_of(hostile_text, st.dates().map(date.isoformat)), "resolution": hostile_text}
    else:
        valid = {"kind": kinds, "raised_on": past_dates, "description": words, "responsible_group": st.sampled_from(
            ["", str(group.pk)]), "resolved_on": st.just(""), "resolution": st.just(""), "note": typed}
        bad = {"kind": hostile_text, "raised_on": st.one_of(hostile_text, st.dates().map(date.isoformat)),
               "description": hostile_text, "responsible_group": st.one_of(st.just(str(other.pk)), hostile_id),
               "resolved_on": st.one_of(hostile_text, past_dates), "resolution": hostile_text}
    if versioned:
        valid["version"], bad["version"] = st.just("1"), st.one_of(st.just("1"), hostile_id)
    return submissions(valid, bad)


def submit(client, url: str, data: dict):
    """POST DATA: a crash never; a refusal writes nothing and says why in Chinese; return the response."""
    before = fingerprint(models=watched_models(("RegisterItem",)))
    response = client.post(url, data)
    assert_no_crash(response)
    assert_escaped(page_text(response))
    if response.status_code != 302:
        assert response.status_code in {200, 409}
        assert fingerprint(models=watched_models(("RegisterItem",))) == before
        if response.status_code == 200:
            assert CHINESE.search(page_text(response))
    return response


def test_fuzz_record_an_item(world):
    client = client_for(world.official)
    url = f"/register/new/?site={world.site.pk}"

    @FUZZ
    @given(data=item_submissions(world))
    def fuzz(data):
        with rolled_back():
            response = submit(client, url, data)
            if response.status_code == 302:
                item = RegisterItem.objects.get()
                assert (item.town, item.site, item.kind) == (world.town, world.site, data["kind"])
                assert item.description == data["description"].strip()
                assert item.raised_on == date.fromisoformat(data["raised_on"]) <= timezone.localdate()

    fuzz()


@pytest.mark.parametrize("resolving", [False, True])
def test_fuzz_edit_or_resolve_an_item(world, resolving):
    item = raise_item(world)
    client = client_for(world.official)
    url = reverse("clearance:register_item_update", args=[item.pk])

    @FUZZ
    @given(data=item_submissions(world, versioned=True, resolving=resolving))
    def fuzz(data):
        with rolled_back():
            response = submit(client, url, data)
            if response.status_code == 302:
                saved = RegisterItem.objects.get()
                assert saved.version == 2
                assert saved.resolved_on is None or saved.resolved_on >= saved.raised_on
                if resolving:
                    assert saved.resolution == data["resolution"].strip() and saved.resolution

    fuzz()


