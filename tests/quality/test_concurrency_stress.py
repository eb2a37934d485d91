"""32 threads recording, correcting and deleting events, editing enterprises and re-pairing towns at once (PostgreSQL).

Afterwards every figure equals a recomputation from the events, no successful
change is lost, every one is in the history with its user, and every refusal
was a ValidationError (the form message a user sees), never a database error.
"""

import random
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from clearance import selectors, services
from clearance.api import summary_json
from clearance.derived import rollup
from clearance.choices import Disposal, Stage, TownKind
from clearance.models import Enterprise, Event, Pairing, Site, Town
from clearance.rules import stage_prerequisites

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL (SQLite serialises the whole file)"
    ),
    pytest.mark.slow,
]

THREADS = 32
SECONDS = 15
TOWNS = 4
SITES_PER_TOWN = 2  # an area and a parcel inside it
ENTERPRISES_PER_SITE = 10
SPARE_HEADS = 6
FIRST_DAY, LAST_DAY = date(2022, 1, 1), date(2023, 12, 31)
YEARS = (2022, 2023)
STAGES = [Stage(value) for value in sorted(Stage.values)]


@dataclass
class Ledger:
    """What the threads did: successes with their users, refusals by code, anything else that went wrong."""

    recorded: list = field(default_factory=list)  # (event id, user id)
    corrected: list = field(default_factory=list)  # (event id, version after, date, user id)
    deleted: list = field(default_factory=list)  # (event id, user id)
    edited: list = field(default_factory=list)  # (enterprise id, version after, energy, user id)
    repaired: list = field(default_factory=list)  # (town id, new pairing id, old pairing id, user id)
    refusals: Counter = field(default_factory=Counter)
    unexpected: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, entry) -> None:
        with self.lock:
            getattr(self, kind).append(entry)


def build_campaign():
    """TOWNS paired towns, each an area with a parcel inside, enterprises on both, spare bureau heads."""
    towns = []
    for number in range(TOWNS):
        town = services.town_upsert(name=f"压测镇{number}", kind=TownKind.TOWN, display_order=number).obj
        head = services.bureau_head_upsert(bureau_name=f"压测局{number}", head_name=f"局长{number}")
        services.pairing_start(town=town, head=head, started_on=date(2022, 1, 1))
        area = services.site_create(town=town, name=f"区域{number}", area_mu=Decimal("100.5"), user=None)
        parcel = services.site_create(town=town, name=f"地块{number}", area_mu=Decimal("12.25"), parent=area, user=None)
        for site in (area, parcel):
            for index in range(ENTERPRISES_PER_SITE):
                services.enterprise_create(
                    site=site, name=f"{site.name}企业{index}", user=None,
                    disposal=Disposal.UPGRADE if index % 3 == 0 else Disposal.VACATE,
                    energy_freed_tce=Decimal(10 + index),
                )
        towns.append(town)
    heads = [services.bureau_head_upsert(bureau_name=f"备用局{number}", head_name=f"备用局长{number}")
             for number in range(SPARE_HEADS)]
    users = [get_user_model().objects.create_user(f"stress{number:02d}", password="pw-stress-1") for number in range(THREADS)]
    return towns, heads, users


# One thread's moves: read the state (possibly stale by the time it writes), then write through a service --


def record(rng: random.Random, user, ledger: Ledger) -> None:
    """Record the next stage of a random enterprise, dated between its neighbours; now and then a site's 腾退."""
    if rng.random() < 0.1:
        site = Site.objects.order_by("?").first()
        event = services.event_record(site=site, stage=Stage.VACATED, on=_day(rng, FIRST_DAY + timedelta(days=300)),
                                      user=user)
        ledger.add("recorded", (event.pk, user.pk))
        return
    enterprise = Enterprise.objects.order_by("?").first()
    recorded = dict(Event.objects.filter(enterprise=enterprise).values_list("stage", "occurred_on"))
    open_stages = [stage for stage in STAGES if stage not in recorded
                   and all(required in recorded for required in stage_prerequisites(stage, enterprise.disposal))]
    if not open_stages:
        return
    stage = rng.choice(open_stages)
    floor = max([on for other, on in recorded.items() if other < stage], default=FIRST_DAY)
    ceiling = min([on for other, on in recorded.items() if other > stage], default=LAST_DAY)
    if ceiling < floor:
        return
    on = floor + timedelta(days=rng.randint(0, min(40, (ceiling - floor).days)))
    event = services.event_record(enterprise=enterprise, stage=stage, on=on, user=user)
    ledger.add("recorded", (event.pk, user.pk))


def correct(rng: random.Random, user, ledger: Ledger) -> None:
    """Move a random event by up to a fortnight (it may cross a month, moving its figures)."""
    event = Event.objects.order_by("?").first()
    if event is None:
        return
    on = min(max(event.occurred_on + timedelta(days=rng.randint(-15, 15)), FIRST_DAY), LAST_DAY)
    corrected = services.event_correct(event=event, expected_version=event.version, on=on, user=user)
    ledger.add("corrected", (corrected.pk, corrected.version, corrected.occurred_on, user.pk))


def delete(rng: random.Random, user, ledger: Ledger) -> None:
    """Delete a random event; the rules refuse one a later stage or the site's 腾退 depends on."""
    event = Event.objects.order_by("?").first()
    if event is None:
        return
    services.event_delete(event=event, expected_version=event.version, user=user)
    ledger.add("deleted", (event.pk, user.pk))


def edit(rng: random.Random, user, ledger: Ledger) -> None:
    """Change a random enterprise's energy freed, as loaded: its figures move with it."""
    enterprise = Enterprise.objects.order_by("?").first()
    energy = Decimal(rng.randint(0, 400)) / 4
    edited = services.enterprise_update(
        enterprise=enterprise, expected_version=enterprise.version, user=user, energy_freed_tce=energy
    )
    ledger.add("edited", (edited.pk, edited.version, edited.energy_freed_tce, user.pk))


def repair(rng: random.Random, user, ledger: Ledger, heads) -> None:
    """Pair a random town with a random head from today."""
    town = Town.objects.order_by("?").first()
    # Which pairing this change ends is only known under the town's lock: read outside it, two threads
    # can both see the same active pairing while only the first ends it.
    with transaction.atomic():
        Town.objects.select_for_update().get(pk=town.pk)
        old = Pairing.objects.active().filter(town=town).values_list("pk", flat=True).first()
        pairing = services.pairing_change(town=town, new_head=rng.choice(heads), on=timezone.localdate(), user=user)
    ledger.add("repaired", (town.pk, pairing.pk, old, user.pk))


MOVES = [(record, 40), (correct, 20), (delete, 15), (edit, 15), (repair, 10)]


def work(index: int, user, heads, barrier: threading.Barrier, ledger: Ledger) -> None:
    """Make random moves for SECONDS from the moment every thread is ready; count what came of each."""
    rng = random.Random(index)
    moves, weights = zip(*MOVES)
    try:
        barrier.wait()
        stop_at = time.monotonic() + SECONDS
        while time.monotonic() < stop_at:
            move = rng.choices(moves, weights)[0]
            try:
                move(rng, user, ledger, heads) if move is repair else move(rng, user, ledger)
            except ValidationError as refusal:
                with ledger.lock:
                    ledger.refusals[(move.__name__, type(refusal).__name__, codes_of(refusal))] += 1
            except Exception as error:  # a database error leaking: the user would get a 500
                ledger.add("unexpected", (move.__name__, type(error).__name__, str(error)[:300]))
    finally:
        connection.close()


def codes_of(refusal: ValidationError) -> str:
    errors = [error for errors in refusal.error_dict.values() for error in errors] if hasattr(
        refusal, "error_dict") else refusal.error_list
    return ",".join(sorted({str(error.code) for error in errors}))


def _day(rng: random.Random, floor: date) -> date:
    return floor + timedelta(days=rng.randint(0, (LAST_DAY - floor).days))


# Recomputing the figures from the events, by hand ---------------------------------------------------------

RAW_FIGURES = """
    SELECT COALESCE(enterprise.town_id, site.town_id),
           COUNT(*) FILTER (WHERE event.enterprise_id IS NOT NULL AND event.stage = %(closed)s),
           COALESCE(SUM(site.area_mu) FILTER (WHERE event.site_id IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM clearance_site child WHERE child.parent_id = site.id)), 0),
           COALESCE(SUM(enterprise.energy_freed_tce) FILTER (
               WHERE event.enterprise_id IS NOT NULL AND event.stage = %(closed)s), 0),
           COUNT(*) FILTER (WHERE event.enterprise_id IS NOT NULL AND event.stage = %(signed)s),
           COUNT(*) FILTER (WHERE event.enterprise_id IS NOT NULL AND event.stage = %(vacated)s)
    FROM clearance_event event
    LEFT JOIN clearance_enterprise enterprise ON enterprise.id = event.enterprise_id
    LEFT JOIN clearance_site site ON site.id = event.site_id
    WHERE event.occurred_on BETWEEN %(first)s AND %(last)s
    GROUP BY 1
"""
KEYS = ("enterprises_rectified", "land_vacated_mu", "energy_freed_tce", "signed", "vacated")


def raw_town_figures(year: int, month: int) -> dict[int, dict]:
    first, last = selectors.period_bounds(year=year, month=month)
    with connection.cursor() as cursor:
        cursor.execute(RAW_FIGURES, {"closed": Stage.CLOSED, "signed": Stage.SIGNED, "vacated": Stage.VACATED,
                                     "first": first, "last": last})
        return {row[0]: dict(zip(KEYS, row[1:])) for row in cursor.fetchall()}


def nonzero(figures: dict[int, dict]) -> dict[int, dict]:
    """Leave out towns whose figures are all zero (a rollup row emptied by deletions), numbers as Decimal."""
    return {
        town: {key: Decimal(value) for key, value in values.items()}
        for town, values in figures.items() if any(values.values())
    }


def city_of(towns: dict[int, dict]) -> dict[str, Decimal]:
    return {key: sum((values[key] for values in towns.values()), Decimal(0)) for key in KEYS}


# The test ---------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_32_threads_writing_at_once_lose_nothing_and_every_figure_equals_the_events():
    towns, heads, users = build_campaign()
    initial_events = set(Event.objects.values_list("pk", flat=True))
    initial_versions = dict(Enterprise.objects.values_list("pk", "version"))
    started = timezone.now()
    ledger = Ledger()
    barrier = threading.Barrier(THREADS)
    threads = [threading.Thread(target=work, args=(index, users[index], heads, barrier, ledger))
               for index in range(THREADS)]

    clock = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    seconds = time.monotonic() - clock

    successes = {kind: len(getattr(ledger, kind)) for kind in ("recorded", "corrected", "deleted", "edited", "repaired")}
    print(f"\n{THREADS} threads, {SECONDS} s of moves each, {seconds:.1f} s in all: {successes}, "
          f"{sum(ledger.refusals.values())} refusals")
    for (move, kind, codes), count in sorted(ledger.refusals.items()):
        print(f"  {move}: {kind} {codes} × {count}")
    assert not any(thread.is_alive() for thread in threads)
    # Every refusal was a ValidationError (a form message); no database error leaked out.
    assert ledger.unexpected == [], Counter((move, kind) for move, kind, _message in ledger.unexpected)
    assert min(successes.values()) > 0, successes
    # Every refusal says why in the user's words: none is the database's constraint error passed through.
    assert [key for key in ledger.refusals if key[2] in ("", "None", "conflict")] == []

    # Every figure, every month of both years: the rollup the pages read, the summary the API returns and
    # a plain SQL recomputation from the events agree.
    assert rollup.differences() == []
    for year in YEARS:
        for month in range(1, 13):
            raw = nonzero(raw_town_figures(year, month))
            assert nonzero(selectors.town_figures(year=year, month=month)) == raw, (year, month)
            summary = summary_json(selectors.campaign_summary(year=year, month=month))
            city = city_of(raw)
            assert {key: Decimal(str(summary["metrics"][key]["actual"])) for key in KEYS[:3]} == {
                key: city[key] for key in KEYS[:3]
            }, (year, month)
            assert (summary["signed"], summary["vacated"]) == (city["signed"], city["vacated"]), (year, month)
    client = Client()
    client.force_login(users[0])
    api = client.get("/api/summary/", {"year": 2023, "month": 12}).json()
    assert api["metrics"]["enterprises_rectified"]["actual"] == city_of(nonzero(raw_town_figures(2023, 12)))[
        "enterprises_rectified"]

    # No lost update: the events are exactly those recorded and not deleted; every version counts every edit.
    recorded = {pk for pk, _user in ledger.recorded}
    deleted = {pk for pk, _user in ledger.deleted}
    assert set(Event.objects.values_list("pk", flat=True)) == (initial_events | recorded) - deleted
    corrections = defaultdict(list)
    for pk, version, on, _user in ledger.corrected:
        corrections[pk].append((version, on))
    for event in Event.objects.filter(pk__in=corrections):
        assert (event.version, event.occurred_on) == max(corrections[event.pk]), event.pk
        assert event.version == 1 + len(corrections[event.pk])
    assert Event.objects.exclude(pk__in=corrections).exclude(version=1).count() == 0
    edits = defaultdict(list)
    for pk, version, energy, _user in ledger.edited:
        edits[pk].append((version, energy))
    for enterprise in Enterprise.objects.all():
        assert enterprise.version == initial_versions[enterprise.pk] + len(edits[enterprise.pk]), enterprise.pk
        if edits[enterprise.pk]:
            assert enterprise.energy_freed_tce == max(edits[enterprise.pk])[1]
    repairs = defaultdict(list)
    for town, new, old, _user in ledger.repaired:
        repairs[town].append((new, old))
    for town in towns:
        pairings = list(Pairing.objects.filter(town=town).order_by("pk"))
        assert len(pairings) == 1 + len(repairs[town.pk])
        assert [pairing.pk for pairing in pairings if pairing.ended_on is None] == [pairings[-1].pk]
        # Each change ended the pairing active when it committed: the chain has no fork.
        assert sorted(old for _new, old in repairs[town.pk]) == [pairing.pk for pairing in pairings[:-1]]

    # Every successful change is in the history with its user, and nothing else is.
    event_history = set(Event.history.filter(history_date__gte=started).values_list(
        "id", "history_type", "version", "history_user_id"))
    expected_event_history = (
        {(pk, "+", 1, user) for pk, user in ledger.recorded}
        | {(pk, "~", version, user) for pk, version, _on, user in ledger.corrected}
    )
    assert {entry for entry in event_history if entry[1] != "-"} == expected_event_history
    assert {(pk, user) for pk, kind, _version, user in event_history if kind == "-"} == set(ledger.deleted)
    assert set(Enterprise.history.filter(history_date__gte=started).values_list(
        "id", "history_type", "version", "history_user_id")) == {
        (pk, "~", version, user) for pk, version, _energy, user in ledger.edited
    }
    pairing_history = set(Pairing.history.filter(history_date__gte=started).values_list(
        "id", "history_type", "history_user_id"))
    assert pairing_history == (
        {(new, "+", user) for _town, new, _old, user in ledger.repaired}
        | {(old, "~", user) for _town, _new, old, user in ledger.repaired}
    )
