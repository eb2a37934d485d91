"""No update is lost: stale edits get the conflict page (409), and concurrent recording on PostgreSQL loses nothing."""

import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from clearance import services
from clearance.choices import Disposal, Stage
from clearance.derived import site_progress
from clearance.models import Enterprise, Event, Site, SiteProgress

from tests.url_rules import build_world

CONFLICT_MESSAGE = "您打开此页面后，他人已保存了此记录。请查看对方的版本后重新修改。"


def enterprise_form_data(enterprise: Enterprise, **changes) -> dict:
    """The enterprise form as the page shows it (at the enterprise's version), with CHANGES typed in."""
    data = {
        "version": enterprise.version,
        "name": enterprise.name,
        "site": enterprise.site_id,
        "credit_code": enterprise.credit_code or "",
        "disposal": enterprise.disposal,
        "annual_energy_tce": str(enterprise.annual_energy_tce),
        "energy_freed_tce": str(enterprise.energy_freed_tce),
        "responsible_group": enterprise.responsible_group_id or "",
        "plan_deadline": enterprise.plan_deadline.isoformat() if enterprise.plan_deadline else "",
        "plan_notes": enterprise.plan_notes,
    }
    if enterprise.is_tenant:
        data["is_tenant"] = "on"
    return {**data, **changes}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_two_saves_of_one_enterprise_from_the_same_version_one_wins_the_other_gets_the_conflict_page():
    world = build_world()
    url = reverse("clearance:enterprise_update", args=[world.enterprise.pk])
    first, second = signed_in(world.official), signed_in(world.admin)
    # Both open the form at the same version.
    loaded = [client.get(url).context["form"]["version"].value() for client in (first, second)]

    won = first.post(url, enterprise_form_data(world.enterprise, disposal=Disposal.UPGRADE, plan_notes="原地改造"))
    lost = second.post(url, enterprise_form_data(world.enterprise, disposal=Disposal.SHUT_DOWN, plan_notes="关停"))

    stored = Enterprise.objects.get(pk=world.enterprise.pk)
    html = lost.content.decode()
    assert loaded == [1, 1]
    assert won.status_code == 302
    assert lost.status_code == 409
    assert (stored.disposal, stored.plan_notes, stored.version) == (Disposal.UPGRADE, "原地改造", 2)
    assert CONFLICT_MESSAGE in html
    # Both versions side by side: theirs (saved) and yours (not saved).
    assert '<td class="text-break-cjk" data-theirs>改造提升</td>' in html
    assert '<td class="text-break-cjk" data-yours>关停淘汰</td>' in html
    assert '<td class="text-break-cjk" data-theirs>原地改造</td>' in html
    assert '<td class="text-break-cjk" data-yours>关停</td>' in html
    assert "official-a 于" in html
    assert Enterprise.history.filter(id=world.enterprise.pk).count() == 2  # created, then the winner's change


@pytest.mark.django_db
def test_stale_site_edit_gets_the_conflict_page_and_saves_nothing():
    world = build_world()
    url = reverse("clearance:site_update", args=[world.site.pk])
    form = {"version": 1, "name": "六店区域", "area_mu": "100", "land_use": "", "ownership_notes": "", "notes": ""}

    won = signed_in(world.official).post(url, {**form, "area_mu": "110"})
    lost = signed_in(world.admin).post(url, {**form, "area_mu": "90", "notes": "别人的备注"})

    stored = Site.objects.get(pk=world.site.pk)
    assert (won.status_code, lost.status_code) == (302, 409)
    assert (stored.area_mu, stored.notes, stored.version) == (Decimal("110"), "", 2)
    html = lost.content.decode()
    assert '<td class="text-break-cjk" data-theirs>110.00</td>' in html
    assert '<td class="text-break-cjk" data-yours>90.00</td>' in html


@pytest.mark.django_db
def test_stale_event_correction_and_deletion_get_the_conflict_page():
    world = build_world()
    edit_url = reverse("clearance:event_update", args=[world.event.pk])
    delete_url = reverse("clearance:event_delete", args=[world.event.pk])
    official = signed_in(world.official)

    won = official.post(edit_url, {"version": 1, "occurred_on": "2022-03-02", "note": ""})
    stale_edit = signed_in(world.admin).post(edit_url, {"version": 1, "occurred_on": "2022-03-03", "note": ""})
    stale_delete = signed_in(world.admin).post(delete_url, {"version": 1})

    event = Event.objects.get(pk=world.event.pk)
    assert (won.status_code, stale_edit.status_code, stale_delete.status_code) == (302, 409, 409)
    assert (event.occurred_on, event.version) == (date(2022, 3, 2), 2)
    assert '<td class="text-break-cjk" data-yours>2022-03-03</td>' in stale_edit.content.decode()


# PostgreSQL: real concurrency, each thread with its own connection ---------------------------

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL (SQLite serialises the whole file)"
)
THREADS = 8


def run_together(count: int, work) -> tuple[list, float]:
    """Run WORK(i) in COUNT threads released at once; return their results (or exceptions) and the seconds taken."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(index):
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as error:  # reported to the test, which asserts on it
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(index,)) for index in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, time.perf_counter() - started


@on_postgresql
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_threads_recording_on_one_site_end_with_exactly_one_event_each():
    world = build_world()
    enterprises = [services.enterprise_create(site=world.site, name=f"并发企业{n}", user=world.admin) for n in range(THREADS)]
    before = Event.objects.count()

    def record(index):
        client = signed_in(world.official)
        return client.post(
            reverse("clearance:site_event_create", args=[world.site.pk]),
            {"subject": enterprises[index].pk, "stage": Stage.SIGNED, "occurred_on": "2022-06-01"},
        ).status_code

    statuses, seconds = run_together(THREADS, record)

    print(f"\n{THREADS} threads recorded on one site in {seconds:.2f} s")
    assert statuses == [302] * THREADS
    assert Event.objects.count() - before == THREADS
    assert Event.objects.filter(enterprise__in=enterprises, stage=Stage.SIGNED).count() == THREADS
    # Each writer recomputed the site's progress after the others before it had committed: the last one counts all.
    assert SiteProgress.objects.get(site=world.site).signed_count == Event.objects.filter(
        enterprise__site=world.site, stage=Stage.SIGNED).count()
    assert site_progress.differences() == []


@on_postgresql
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_threads_recording_the_same_stage_of_one_enterprise_make_one_event():
    world = build_world()
    fresh = services.enterprise_create(site=world.site, name="抢记企业", user=world.admin)

    def record(index):
        return services.event_record(enterprise=fresh, stage=Stage.SIGNED, on=date(2022, 6, index + 1), user=world.official)

    results, seconds = run_together(THREADS, record)

    print(f"\n{THREADS} threads raced on one stage in {seconds:.2f} s")
    assert sum(isinstance(result, Event) for result in results) == 1
    refusals = [result for result in results if not isinstance(result, Event)]
    assert [[error.code for error in refusal.error_dict["stage"]] for refusal in refusals] == [
        ["stage_already_recorded"]
    ] * (THREADS - 1)
    assert Event.objects.filter(enterprise=fresh).count() == 1


@on_postgresql
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_threads_saving_one_enterprise_from_the_same_version_one_wins():
    world = build_world()

    def save(index):
        return services.enterprise_update(
            enterprise=world.enterprise, expected_version=1, user=world.official, plan_notes=f"版本{index}"
        )

    results, seconds = run_together(THREADS, save)

    print(f"\n{THREADS} threads saved one enterprise in {seconds:.2f} s")
    winners = [result for result in results if isinstance(result, Enterprise)]
    assert len(winners) == 1
    assert all(isinstance(result, services.StaleEditError) for result in results if result not in winners)
    stored = Enterprise.objects.get(pk=world.enterprise.pk)
    assert (stored.plan_notes, stored.version) == (winners[0].plan_notes, 2)
