"""Reporting periods (通报期): closing in order with a snapshot, reopening with a reason, late changes with a note."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from clearance import selectors, services
from clearance.api import summary_json
from clearance.choices import Stage
from clearance.models import Event, ReportingPeriod

from tests.errors import error_codes

pytestmark = pytest.mark.django_db


def refusal(call, **kwargs) -> list[str | None]:
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    return error_codes(caught.value)


def test_period_close_keeps_the_month_as_the_api_gives_it_and_names_the_admin(world):
    expected = summary_json(selectors.campaign_summary(year=2022, month=3))

    period = services.period_close(year=2022, month=3, user=world.admin)

    assert (period.closed, period.closed_by, period.snapshot) == (True, world.admin, expected)
    assert [(row.history_type, row.history_user) for row in period.history.all()] == [("+", world.admin)]


def test_period_close_takes_months_in_order_after_any_first_one(world):
    services.period_close(year=2022, month=3, user=world.admin)

    assert refusal(services.period_close, year=2022, month=5, user=world.admin) == ["period_out_of_order"]
    assert refusal(services.period_close, year=2022, month=2, user=world.admin) == ["period_out_of_order"]
    assert refusal(services.period_close, year=2022, month=3, user=world.admin) == ["period_already_closed"]
    services.period_close(year=2022, month=4, user=world.admin)
    assert selectors.default_period() == (2022, 4)


def test_period_close_refuses_the_current_month_and_who_is_not_an_admin(world):
    today = date.today()

    assert refusal(services.period_close, year=today.year, month=today.month, user=world.admin) == ["period_not_over"]
    assert refusal(services.period_close, year=2022, month=3, user=world.leader) == ["period_admin_only"]
    assert refusal(services.period_close, year=2022, month=3, user=world.official) == ["period_admin_only"]
    assert refusal(services.period_close, year=2022, month=13, user=world.admin) == ["period_invalid"]
    assert ReportingPeriod.objects.count() == 0


def test_period_reopen_only_the_latest_with_a_reason_kept_in_the_history(world):
    services.period_close(year=2022, month=3, user=world.admin)
    services.period_close(year=2022, month=4, user=world.admin)

    assert refusal(services.period_reopen, year=2022, month=3, reason="错填", user=world.admin) == ["period_not_latest"]
    assert refusal(services.period_reopen, year=2022, month=4, reason="  ", user=world.admin) == ["period_reason_required"]
    assert refusal(services.period_reopen, year=2022, month=4, reason="错填", user=world.leader) == ["period_admin_only"]
    assert refusal(services.period_reopen, year=2022, month=5, reason="错填", user=world.admin) == ["period_not_closed"]
    period = services.period_reopen(year=2022, month=4, reason="嘉兴更正了4月通报", user=world.admin)

    last = period.history.order_by("-history_date").first()
    assert (period.closed, period.reopen_reason, period.reopened_by) == (False, "嘉兴更正了4月通报", world.admin)
    assert (last.history_user, last.history_change_reason) == (world.admin, "嘉兴更正了4月通报")
    assert selectors.default_period() == (2022, 3)
    # Closed again, it takes a new snapshot and forgets the reopening (the history keeps it).
    again = services.period_close(year=2022, month=4, user=world.admin)
    assert (again.pk, again.closed, again.reopen_reason) == (period.pk, True, "")


def test_default_period_without_a_closed_month_is_the_last_complete_month(world):
    today = date.today()

    assert selectors.default_period() == ((today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12))


def test_recording_in_a_closed_month_needs_a_note(world):
    services.period_close(year=2022, month=3, user=world.admin)
    record = {"enterprise": world.enterprise, "stage": Stage.VACATED, "on": date(2022, 3, 20), "user": world.official}

    assert refusal(services.event_record, **record) == ["closed_period_note_required"]
    event = services.event_record(**record, note="补录：3月已腾退")

    assert event.history.first().history_change_reason == "补录：3月已腾退"
    # After the closed month, no note is needed.
    services.event_record(enterprise=world.other_enterprise, stage=Stage.SIGNED, on=date(2022, 4, 2), user=world.admin)


def test_correcting_into_out_of_or_within_a_closed_month_needs_a_note(world):
    services.period_close(year=2022, month=3, user=world.admin)
    april = services.event_record(enterprise=world.other_enterprise, stage=Stage.SIGNED, on=date(2022, 4, 2), user=world.admin)

    assert refusal(
        services.event_correct, event=april, expected_version=april.version, on=date(2022, 3, 30), user=world.admin
    ) == ["closed_period_note_required"]
    assert refusal(
        services.event_correct, event=world.event, expected_version=world.event.version, on=date(2022, 4, 1),
        user=world.admin,
    ) == ["closed_period_note_required"]
    moved = services.event_correct(
        event=world.event, expected_version=world.event.version, on=date(2022, 4, 1), user=world.admin,
        correction_note="签约日期录错",
    )

    assert moved.occurred_on == date(2022, 4, 1)
    assert moved.history.order_by("-history_date").first().history_change_reason == "签约日期录错"


def test_deleting_in_a_closed_month_needs_a_note_kept_as_the_reason(world):
    services.period_close(year=2022, month=3, user=world.admin)
    event = world.event

    assert refusal(services.event_delete, event=event, expected_version=event.version, user=world.admin) == [
        "closed_period_note_required"
    ]
    services.event_delete(event=event, expected_version=event.version, user=world.admin, note="重复录入")

    deleted = Event.history.filter(id=event.pk, history_type="-").get()
    assert (deleted.history_user, deleted.history_change_reason) == (world.admin, "重复录入")


def test_a_closed_snapshot_never_changes_with_late_corrections(world):
    period = services.period_close(year=2022, month=3, user=world.admin)
    published = period.snapshot

    services.event_delete(event=world.event, expected_version=world.event.version, user=world.admin, note="重复录入")

    period.refresh_from_db()
    assert period.snapshot == published
    assert published["signed"] == 1
    assert summary_json(selectors.campaign_summary(year=2022, month=3))["signed"] == 0
