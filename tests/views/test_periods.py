"""Reporting periods through the pages: the default period stays on the latest closed month whatever is recorded,
/api/summary/'s closed and published, the bulletin's 更正, the periods page, close_period and load_demo."""

import io
import re
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from clearance import selectors
from clearance.choices import Stage
from clearance.models import Enterprise, Event, ReportingPeriod

from tests.dashboard_helpers import body_rows

pytestmark = pytest.mark.django_db


def signed_in(client, username):
    client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.fixture
def admin_in(client, demo_db):
    return signed_in(client, "admin")


def default_heading(client) -> tuple[str, str]:
    """Return the dashboard's period without arguments (data-period) and its status (closed/open)."""
    page = client.get(reverse("clearance:home")).content.decode()
    period = re.search(r'data-period="([^"]+)"', page).group(1)
    status = re.search(r'data-period-status="([^"]+)"', page).group(1)
    return period, status


def signed_but_not_vacated(before: date) -> Enterprise:
    """A demo enterprise signed before BEFORE, not yet vacated, whose disposal vacates."""
    return (
        Enterprise.objects.filter(events__stage=Stage.SIGNED, events__occurred_on__lt=before)
        .exclude(events__stage__in=[Stage.VACATED, Stage.CLOSED])
        .exclude(disposal__in=["upgrade"])
        .order_by("pk")
        .first()
    )


def august_close_out() -> Event:
    """A demo 销号 event dated in August 2022 that nothing depends on (its site not vacated on its own)."""
    return (
        Event.objects.filter(stage=Stage.CLOSED, occurred_on__year=2022, occurred_on__month=8)
        .exclude(enterprise__site__events__isnull=False)
        .order_by("pk")
        .first()
    )


def record_in_september(client):
    enterprise = signed_but_not_vacated(date(2022, 9, 1))
    return client.post(
        reverse("clearance:enterprise_event_create", args=[enterprise.pk]),
        {"stage": Stage.VACATED, "occurred_on": "2022-09-02", "phase": "during"},
    )


def record_in_august(client):
    enterprise = signed_but_not_vacated(date(2022, 8, 1))
    return client.post(
        reverse("clearance:enterprise_event_create", args=[enterprise.pk]),
        {"stage": Stage.VACATED, "occurred_on": "2022-08-30", "note": "补录8月腾退", "phase": "during"},
    )


def correct_august_into_september(client):
    event = august_close_out()
    return client.post(
        reverse("clearance:event_update", args=[event.pk]),
        {"version": event.version, "occurred_on": "2022-09-02", "note": event.note, "phase": "during",
         "correction_note": "销号日期应为9月2日"},
    )


def delete_in_august(client):
    event = august_close_out()
    return client.post(reverse("clearance:event_delete", args=[event.pk]), {"version": event.version, "note": "重复销号"})


@pytest.mark.parametrize(
    "change", [record_in_september, record_in_august, correct_august_into_september, delete_in_august]
)
def test_recording_correcting_or_deleting_in_august_or_september_leaves_the_default_on_august(admin_in, change):
    before = admin_in.get("/api/summary/").json()
    published = before["metrics"]
    events_before = Event.objects.count()

    response = change(admin_in)

    assert response.status_code == 302
    assert Event.objects.count() != events_before or change is correct_august_into_september
    assert default_heading(admin_in) == ("2022-08", "closed")
    answer = admin_in.get("/api/summary/").json()
    assert (answer["year"], answer["month"], answer["closed"], answer["published"]) == (2022, 8, True, published)
    if change is not record_in_september:
        # A late change moves today's August figures, never the published ones.
        assert (answer["metrics"], answer["vacated"]) != (published, before["vacated"])


def test_api_summary_of_an_open_month_says_so(admin_in):
    answer = admin_in.get("/api/summary/", {"year": 2022, "month": 9}).json()

    assert (answer["closed"], "published" in answer) == (False, False)


def test_recording_in_a_closed_month_without_a_note_is_refused_on_the_form(admin_in):
    enterprise = signed_but_not_vacated(date(2022, 8, 1))

    response = admin_in.post(
        reverse("clearance:enterprise_event_create", args=[enterprise.pk]),
        {"stage": Stage.VACATED, "occurred_on": "2022-08-30", "phase": "during"},
    )

    assert response.status_code == 200
    assert [error.code for error in response.context["form"].errors.as_data()["note"]] == ["closed_period_note_required"]
    assert "2022年8月已通报，数据已公布：在该月份记录、更正或删除进度须填写说明原因。" in response.content.decode()


def test_delete_page_of_a_closed_month_event_requires_the_note(admin_in):
    event = august_close_out()
    url = reverse("clearance:event_delete", args=[event.pk])

    page = admin_in.get(url).content.decode()
    refused = admin_in.post(url, {"version": event.version})

    assert re.search(r'<textarea name="note"[^>]*required', page)
    assert "删除说明" in page
    assert [error.code for error in refused.context["form"].errors.as_data()["note"]] == ["required"]
    assert Event.objects.filter(pk=event.pk).exists()


def test_bulletin_of_a_closed_month_marks_corrections_beside_the_published_figures(admin_in):
    before = admin_in.get(reverse("clearance:bulletin")).content.decode()
    delete_in_august(admin_in)

    page = admin_in.get(reverse("clearance:bulletin")).content.decode()

    city = dict(body_rows(page, "bulletin-city"))
    assert "data-correction" not in before
    assert city[' data-figure="enterprises_rectified" data-corrected'][1] == "190 家 更正 189 家"
    assert city[' data-figure="land_vacated_mu"'][1] == "3,163.00 亩"
    assert "（2022年1—8月）" in page
    assert 'data-period-status="closed"' in page
    assert "标注“更正”的数据" in page


def test_periods_page_is_for_admins_only(client, demo_db):
    for username in ("leader", "official"):
        response = signed_in(client, username).get(reverse("clearance:periods"))
        assert (username, response.status_code) == (username, 403)


def test_periods_page_closes_the_next_month_and_reopens_the_latest_with_a_reason(admin_in):
    url = reverse("clearance:periods")
    page = admin_in.get(url).content.decode()

    out_of_order = admin_in.post(url, {"action": "close", "year": 2022, "month": 10})
    closed = admin_in.post(url, {"action": "close", "year": 2022, "month": 9}, follow=True)
    no_reason = admin_in.post(url, {"action": "reopen", "year": 2022, "month": 9, "reason": ""})
    reopened = admin_in.post(url, {"action": "reopen", "year": 2022, "month": 9, "reason": "9月通报有误"}, follow=True)

    assert 'data-latest-closed="2022-08"' in page
    assert 'data-period="2022-08" data-closed="true"' in page
    assert "请先关闭2022年9月，再关闭2022年10月" in out_of_order.content.decode()
    assert "2022年9月已关闭，当月数据按通报留存。" in closed.content.decode()
    assert "reason" in no_reason.context["reopen_form"].errors
    assert "2022年9月已重新打开。" in reopened.content.decode()
    assert 'data-period="2022-09" data-closed="false"' in reopened.content.decode()
    assert ReportingPeriod.objects.get(year=2022, month=9).history.order_by("-history_date").first().history_user.username == "admin"


def test_close_period_command_closes_the_next_month_and_refuses_clearly(demo_db):
    out = io.StringIO()

    with pytest.raises(CommandError, match="不是月份"):
        call_command("close_period", "2022-13")
    with pytest.raises(CommandError, match="2022年8月已通报"):
        call_command("close_period", "2022-08")
    with pytest.raises(CommandError, match="请先关闭2022年9月"):
        call_command("close_period", "2022-10")
    call_command("close_period", "2022-09", "--user", "admin", stdout=out)

    assert out.getvalue() == "2022年9月已关闭，当月数据按通报留存。\n"
    assert selectors.default_period() == (2022, 9)
    assert ReportingPeriod.objects.get(year=2022, month=9).closed_by.username == "admin"


# load_demo closes January to August once, a second run included:
# tests/services/test_demo.py::test_demo_second_run_changes_nothing (one rerun for the suite, not one per part).
