"""Fuzzing the pages' forms and bodies with hypothesis: never a 500, never a partial write, HTML always escaped."""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import example, given, settings
from hypothesis import strategies as st

from clearance.choices import Disposal, PhotoPhase, Stage
from clearance.models import Enterprise, Event, Site

from tests.fuzz_helpers import (
    FUZZ,
    LYING_UPLOADS,
    MISSING,
    assert_escaped,
    assert_no_crash,
    fingerprint,
    hostile_id,
    hostile_text,
    maybe,
    page_text,
    present,
    rolled_back,
    submissions,
    upload_of,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CHINESE = re.compile(r"[\u4e00-\u9fff]")
REFUSED = {200, 400, 403, 404, 409}


def client_for(user) -> Client:
    # Exceptions reach the test with their traceback instead of becoming a bare 500.
    client = Client(raise_request_exception=True)
    client.force_login(user)
    return client


def form_errors(response, *, shown: bool = False) -> list[str]:
    """The errors of the form on the page; SHOWN: only those the page can show (a hidden field's it repeats above)."""
    context = response.context
    form = context.get("form") if context is not None else None
    if form is None:
        return []
    hidden = {field.name for field in form.hidden_fields()} if shown else set()
    return [str(message) for name, messages in form.errors.items() if name not in hidden for message in messages]


def submit(client, url: str, data: dict, *, media_root: str, then=()) -> tuple:
    """POST DATA to URL and check the answer; return it and the page it redirects to.

    On a refusal, nothing changed and the form says why, in Chinese. On success
    the page redirected to and the pages THEN (exports, the dashboard) show the
    saved values without a crash and with their markup escaped.
    """
    before = fingerprint(media_root)
    response = client.post(url, data)
    assert_no_crash(response)
    assert_escaped(page_text(response))
    if response.status_code == 302:
        page = client.get(response.url)
        assert_no_crash(page)
        assert_escaped(page_text(page))
        for other in then:
            shown = client.get(other)
            assert shown.status_code == 200, other
            if shown["Content-Type"].startswith("text/html"):
                assert_escaped(page_text(shown))
        return response, page
    assert response.status_code in REFUSED
    assert fingerprint(media_root) == before
    if response.status_code == 200:
        errors = form_errors(response)
        assert errors, "the form was shown again without saying why"
        assert all(CHINESE.search(message) for message in errors), errors
        # Said on the page too (a hidden field's error is shown nowhere unless repeated above the form).
        html = page_text(response)
        assert [message for message in form_errors(response, shown=True) if escape(message) not in html] == []
    return response, None


# What a valid submission means, decided independently of the forms ------------------------


def meant_decimal(text: str) -> Decimal | None:
    try:
        number = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def meant_date(text: str) -> date | None:
    """The date of an ISO YYYY-MM-DD text; None for anything else."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip(), flags=re.ASCII):
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def sane_date(on: date) -> bool:
    return date(2000, 1, 1) <= on <= timezone.localdate()


def exports() -> list[str]:
    """The ledger export, a workbook of every site and enterprise: no workbook can hold control characters."""
    return [reverse("clearance:ledger_export")]


def figures() -> list[str]:
    """The pages that count events: the dashboard and the JSON summary."""
    return [reverse("clearance:home"), reverse("api_summary")]


def stored_text(text) -> str:
    return "" if text is MISSING else text.strip()


# Strategies per field ------------------------------------------------------------------------

# Text a person types: any letters, digits, punctuation and spaces, no control characters.
typed = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=30)
names = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Z")), min_size=1, max_size=20)
areas = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2).map(str)
energies = st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2).map(str)
past_dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2022, 12, 31)).map(date.isoformat)
any_dates = st.one_of(hostile_text, st.dates().map(date.isoformat))
stages = st.sampled_from([str(stage.value) for stage in Stage])
photo_kinds = st.lists(st.sampled_from(sorted(LYING_UPLOADS)), max_size=3)
versions = st.one_of(st.just("1"), hostile_id)


def hostile(*names_) -> dict:
    return {name: hostile_text for name in names_}


# Sites ------------------------------------------------------------------------------------


def site_submissions(world, *, versioned: bool = False) -> st.SearchStrategy:
    valid = {
        "name": names.map(lambda name: "新" + name),
        "area_mu": areas,
        "parent": st.sampled_from(["", str(world.site.pk)]),
        "land_use": typed,
        "ownership_notes": typed,
        "deadline": st.one_of(st.just(""), past_dates),
        "notes": typed,
    }
    bad = {
        **hostile("name", "area_mu", "land_use", "ownership_notes", "notes"),
        "parent": st.one_of(st.just(str(world.other_site.pk)), hostile_id),
        "deadline": any_dates,
    }
    if versioned:
        valid["version"], bad["version"] = st.just("1"), versions
    return submissions(valid, bad)


def check_site_saved(site: Site, data: dict, world) -> None:
    assert site.town == world.town
    assert site.name == data["name"].strip()
    assert 0 < site.area_mu == meant_decimal(data["area_mu"])
    for field in ("land_use", "ownership_notes", "notes"):
        assert getattr(site, field) == stored_text(data.get(field, MISSING))
    if meant_date(data.get("deadline", "")) is not None:
        assert site.deadline == meant_date(data["deadline"])
    assert site.parent_id == (world.site.pk if data.get("parent") == str(world.site.pk) else None)


def test_fuzz_site_create(world, media):
    client = client_for(world.official)
    url = reverse("clearance:site_create", args=[world.town.pk])

    @FUZZ
    @given(data=site_submissions(world))
    # Found: a control character was saved, and then the xlsx exports failed (no workbook can hold it).
    @example(data={"name": "新\x01地块", "area_mu": "3"})
    def fuzz(data):
        with rolled_back():
            response, _page = submit(client, url, data, media_root=media, then=exports())
            if response.status_code == 302:
                check_site_saved(Site.objects.get(town=world.town, name=data["name"].strip()), data, world)

    fuzz()


def test_fuzz_site_update(world, media):
    client = client_for(world.official)
    url = reverse("clearance:site_update", args=[world.parcel.pk])

    @FUZZ
    @given(data=site_submissions(world, versioned=True))
    def fuzz(data):
        with rolled_back():
            response, _page = submit(client, url, data, media_root=media, then=exports())
            if response.status_code == 302:
                site = Site.objects.get(pk=world.parcel.pk)
                check_site_saved(site, data, world)
                assert site.version == 2

    fuzz()


# Enterprises -------------------------------------------------------------------------------


def enterprise_submissions(world, *, versioned: bool = False) -> st.SearchStrategy:
    valid = {
        "name": names.map(lambda name: "新" + name),
        "site": st.just(str(world.site.pk)),
        "credit_code": st.sampled_from(["", "91330482MA28A0AB6H", "91330482ma28a0ab6h "]),
        "is_two_high_one_low": st.sampled_from(["", "on"]),
        "is_tenant": st.sampled_from(["", "on"]),
        "disposal": st.sampled_from(["", *Disposal.values]),
        "annual_energy_tce": energies,
        "energy_freed_tce": energies,
        "plan_deadline": st.one_of(st.just(""), past_dates),
        "plan_notes": typed,
    }
    bad = {
        **hostile("name", "credit_code", "is_two_high_one_low", "is_tenant", "disposal", "annual_energy_tce",
                  "energy_freed_tce", "plan_notes"),
        "site": st.one_of(st.just(str(world.other_site.pk)), hostile_id),
        "responsible_group": hostile_id,
        "plan_deadline": any_dates,
    }
    if versioned:
        valid["version"], bad["version"] = st.just("1"), versions
    return submissions(valid, bad)


def check_enterprise_saved(enterprise: Enterprise, data: dict, world) -> None:
    assert (enterprise.town, enterprise.site) == (world.town, world.site)
    assert enterprise.name == data["name"].strip()
    assert enterprise.credit_code == (data.get("credit_code", "").strip().upper() or None)
    assert enterprise.disposal == data.get("disposal", "")
    for field in ("annual_energy_tce", "energy_freed_tce"):
        given_value = data.get(field, "")
        # An empty energy field means none: 0.
        expected = Decimal("0") if not given_value.strip() else meant_decimal(given_value)
        assert getattr(enterprise, field) == expected >= 0
    assert enterprise.plan_notes == stored_text(data.get("plan_notes", MISSING))
    if meant_date(data.get("plan_deadline", "")) is not None:
        assert enterprise.plan_deadline == meant_date(data["plan_deadline"])


def test_fuzz_enterprise_create(world, media):
    client = client_for(world.official)
    url = reverse("clearance:enterprise_create", args=[world.site.pk])

    @FUZZ
    @given(data=enterprise_submissions(world))
    def fuzz(data):
        with rolled_back():
            response, _page = submit(client, url, data, media_root=media, then=exports())
            if response.status_code == 302:
                check_enterprise_saved(Enterprise.objects.get(town=world.town, name=data["name"].strip()), data, world)

    fuzz()


def test_fuzz_enterprise_update(world, media):
    client = client_for(world.official)
    url = reverse("clearance:enterprise_update", args=[world.enterprise.pk])

    @FUZZ
    @given(data=enterprise_submissions(world, versioned=True))
    def fuzz(data):
        with rolled_back():
            response, _page = submit(client, url, data, media_root=media, then=exports())
            if response.status_code == 302:
                enterprise = Enterprise.objects.get(pk=world.enterprise.pk)
                check_enterprise_saved(enterprise, data, world)
                assert enterprise.version == 2

    fuzz()


# Events and photos ---------------------------------------------------------------------------


def check_event_saved(event: Event, data: dict, photos: list[str]) -> None:
    assert sane_date(event.occurred_on)
    if meant_date(data["occurred_on"]) is not None:
        assert event.occurred_on == meant_date(data["occurred_on"])
    assert event.note == stored_text(data.get("note", MISSING))
    # Only real photos are accepted; a PNG whose pixel data stops short is one (the missing rows show black).
    assert set(photos) <= {"good_png", "png_short_of_rows"}
    assert event.photos.count() >= len(photos)
    assert all(photo.thumbnail for photo in event.photos.all())


def with_photos(data: dict, photos: list[str]) -> dict:
    return {**data, "photos": [upload_of(kind) for kind in photos]} if photos else data


def event_submissions(valid: dict, *, prefix: str = "") -> st.SearchStrategy:
    bad = {name: (any_dates if name.endswith("occurred_on") else hostile_id if name.endswith("version") else hostile_text)
           for name in valid}
    return submissions(valid, bad)


def test_fuzz_record_stage_on_enterprise(world, media):
    client = client_for(world.official)
    url = reverse("clearance:enterprise_event_create", args=[world.enterprise.pk])
    valid = {"stage": stages, "occurred_on": past_dates, "note": typed, "phase": st.sampled_from(PhotoPhase.values)}

    @FUZZ
    @given(data=event_submissions(valid), photos=photo_kinds)
    # Found: an event dated 0001-01-01 was recorded.
    @example(data={"stage": "10", "occurred_on": "0001-01-01"}, photos=[])
    def fuzz(data, photos):
        with rolled_back():
            events_before = set(Event.objects.values_list("pk", flat=True))
            response, _page = submit(client, url, with_photos(data, photos), media_root=media, then=figures())
            if response.status_code == 302:
                event = Event.objects.exclude(pk__in=events_before).get()
                assert (event.enterprise, event.stage) == (world.enterprise, int(data["stage"]))
                check_event_saved(event, data, photos)

    fuzz()


def test_fuzz_record_stage_on_site(world, media):
    client = client_for(world.official)
    url = reverse("clearance:site_event_create", args=[world.site.pk])
    valid = {
        "subject": st.sampled_from([str(world.enterprise.pk), "site", str(world.other_enterprise.pk)]),
        "stage": stages, "occurred_on": past_dates, "note": typed,
    }

    @FUZZ
    @given(data=event_submissions(valid), photos=photo_kinds)
    def fuzz(data, photos):
        with rolled_back():
            events_before = set(Event.objects.values_list("pk", flat=True))
            response, _page = submit(client, url, with_photos(data, photos), media_root=media, then=figures())
            if response.status_code == 302:
                event = Event.objects.exclude(pk__in=events_before).get()
                on_site = data["subject"] == "site"
                assert (event.enterprise, event.site) == (None if on_site else world.enterprise, world.site if on_site else None)
                check_event_saved(event, data, photos)

    fuzz()


def test_fuzz_record_stage_in_bulk(world, media):
    second = Enterprise.objects.create(town=world.town, site=world.site, name="示例企业乙")
    client = client_for(world.official)
    url = reverse("clearance:site_events_bulk", args=[world.site.pk])
    choices = [str(world.enterprise.pk), str(second.pk), str(world.other_enterprise.pk)]
    valid = {"bulk-stage": stages, "bulk-occurred_on": past_dates, "bulk-note": typed}

    @FUZZ
    @given(
        data=event_submissions(valid),
        enterprises=st.lists(st.one_of(st.sampled_from(choices), hostile_id), max_size=4),
    )
    def fuzz(data, enterprises):
        with rolled_back():
            if enterprises:
                data = {**data, "bulk-enterprises": enterprises}
            events_before = set(Event.objects.values_list("pk", flat=True))
            response, _page = submit(client, url, data, media_root=media, then=figures())
            if response.status_code == 302:
                events = list(Event.objects.exclude(pk__in=events_before))
                assert {event.enterprise_id for event in events} == {int(pk) for pk in enterprises}
                for event in events:
                    assert event.stage == int(data["bulk-stage"])
                    check_event_saved(
                        event, {"occurred_on": data["bulk-occurred_on"], "note": data.get("bulk-note", MISSING)}, []
                    )

    fuzz()


def test_fuzz_event_edit_and_delete(world, media):
    client = client_for(world.official)
    edit_url = reverse("clearance:event_update", args=[world.event.pk])
    delete_url = reverse("clearance:event_delete", args=[world.event.pk])
    valid = {"version": st.just("1"), "occurred_on": past_dates, "note": typed, "phase": st.sampled_from(PhotoPhase.values)}

    @FUZZ
    @given(delete=st.booleans(), data=event_submissions(valid), photos=photo_kinds)
    def fuzz(delete, data, photos):
        with rolled_back():
            if delete:
                response, _page = submit(client, delete_url, {"version": data.get("version", "")}, media_root=media)
                if response.status_code == 302:
                    assert not Event.objects.filter(pk=world.event.pk).exists()
                return
            response, _page = submit(client, edit_url, with_photos(data, photos), media_root=media, then=figures())
            if response.status_code == 302:
                event = Event.objects.get(pk=world.event.pk)
                assert event.version == 2
                check_event_saved(event, data, photos)

    fuzz()


# Query strings: tests/quality/test_fuzz_query_strings.py, every page and parameter found from the URLs.


# Bodies no browser would send ----------------------------------------------------------------

RAW_BODIES = st.one_of(
    st.binary(max_size=200),
    st.sampled_from([
        b"name=%ff%fe&area_mu=1",
        b"name=\xed\xa0\x80&area_mu=12",  # a lone surrogate, as CESU-8
        b"name=%ED%A0%80&area_mu=12",
        b"name=a%00b&area_mu=1",
        b"name=%01&area_mu=1",
        b"stage=4&occurred_on=2022-01-01%00",
        b"version=1&occurred_on=%C0%AF&note=%",
        b"a=1&" * 1500,
        b"&&&===&&",
    ]),
)
RAW_TARGETS = [
    ("clearance:site_create", "town"), ("clearance:enterprise_event_create", "enterprise"),
    ("clearance:event_update", "event"), ("clearance:enterprise_update", "enterprise"),
]
CONTENT_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data; boundary=BoUnDaRy", "text/plain"]


def test_fuzz_raw_bodies(world, media):
    client = client_for(world.official)
    urls = [reverse(name, kwargs={"town_pk" if kind == "town" else "pk": getattr(world, kind).pk})
            for name, kind in RAW_TARGETS]

    @settings(FUZZ, max_examples=30)
    @given(url=st.sampled_from(urls), content_type=st.sampled_from(CONTENT_TYPES), body=RAW_BODIES)
    def fuzz(url, content_type, body):
        with rolled_back():
            before = fingerprint(media)
            if content_type.startswith("multipart"):
                body = b"--BoUnDaRy\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n" + body + b"\r\n--BoUnDaRy--\r\n"
            response = client.generic("POST", url, body, content_type=content_type)
            assert_no_crash(response)
            assert_escaped(page_text(response))
            if response.status_code == 302:
                # Bytes that are not UTF-8 arrive as U+FFFD; whatever was saved must show without a crash.
                page = client.get(response.url)
                assert_no_crash(page)
                assert_escaped(page_text(page))
            else:
                assert response.status_code in REFUSED
                assert fingerprint(media) == before

    fuzz()


# Signing in and choosing the language -----------------------------------------------------------


def test_fuzz_login_and_language(world, media):
    @FUZZ
    @given(
        username=maybe(st.one_of(st.just("official-a"), hostile_text)),
        password=maybe(st.one_of(st.just("pw-official-a"), hostile_text)),
        next_url=maybe(st.one_of(st.sampled_from(["/", "//evil.example/", "javascript:alert(1)", "/sites/1/"]), hostile_text)),
        language=maybe(st.one_of(st.sampled_from(["en", "zh-hans"]), hostile_text)),
    )
    def fuzz(username, password, next_url, language):
        with rolled_back():
            client = Client(raise_request_exception=True)
            response = client.post(reverse("login"), present({"username": username, "password": password, "next": next_url}))
            assert_no_crash(response)
            assert_escaped(page_text(response))
            signed_in = response.status_code == 302
            assert signed_in == (username == "official-a" and password == "pw-official-a")
            if signed_in:
                assert not response.url.startswith(("//", "javascript:", "http"))
            response = client.post(reverse("set_language"), present({"language": language, "next": next_url}))
            assert_no_crash(response)
            if response.status_code == 302:
                assert not response.url.startswith(("//evil", "javascript:"))

    fuzz()
