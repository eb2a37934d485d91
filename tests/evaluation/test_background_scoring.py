"""A change to a group too large to score inside the request: saved at once, scored by the task worker, the pages
saying meanwhile that the scores they show are from before it (services.evaluation.scores_refresh)."""

import threading
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse

import clearance.services.evaluation as services
from clearance.background import task_backends
from clearance.models import Adjustment, IndicatorRow, Scheme, ScoringRequest
from clearance.services import base
from clearance.services.evaluation import adjustment_add, scoring_run, scoring_task

from tests.evaluation.helpers import four_below, grades
from tests.factories import TownFactory
from tests.job_worker import wait_for

WAITING = "正在后台重新评分"


@pytest.fixture
def queued(settings):
    """Every group scored by the task worker (none is small enough), the tasks kept for the test to run."""
    settings.CLEARANCE_SCORING_IN_REQUEST_MAX_ROWS = 0
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    return task_backends["default"]


@pytest.fixture
def rows(db):
    return four_below(TownFactory(name="试点镇"))


def totals(rows: dict) -> dict:
    return dict(IndicatorRow.objects.filter(pk__in=[row.pk for row in rows.values()])
                .values_list("enterprise__name", "total"))


def run_queued(backend) -> list[int]:
    """Run the tasks the dummy backend holds, in order, as the worker would; return what each scored."""
    done = [scoring_run(scheme_id=result.args[0]) for result in backend.results]
    backend.clear()
    return done


def test_a_small_group_is_scored_inside_the_request(rows, admin_client):
    admin_client.post(reverse("clearance:evaluation_adjustments", args=[rows["丁"].enterprise_id]),
                      {"year": "2022", "points": "70", "reason": "高新技术企业"})

    assert grades(rows) == {"甲": "C", "乙": "B", "丙": "D", "丁": "B"}
    assert not ScoringRequest.objects.exists()


def test_an_adjustment_is_saved_at_once_and_scored_by_the_worker(rows, admin_client, queued):
    before = totals(rows)
    url = reverse("clearance:evaluation_adjustments", args=[rows["丁"].enterprise_id])

    response = admin_client.post(url, {"year": "2022", "points": "70", "reason": "高新技术企业"}, follow=True)

    assert [str(message) for message in response.context["messages"]] == [
        f"已为丁记录 2022 年度加减分 +70.00 分，2022 年度{WAITING}，完成后评分随之更新。"]
    assert Adjustment.objects.filter(points=Decimal("70")).exists()
    assert totals(rows) == before and grades(rows) == {"甲": "B", "乙": "B", "丙": "C", "丁": "D"}
    card = admin_client.get(reverse("clearance:evaluation_card", args=[rows["丁"].enterprise_id])).content.decode()
    assert 'data-scoring-waiting="2022-below"' in card and "2022 年度规下企业正在后台重新评分" in card
    assert [result.task.name for result in queued.results] == [scoring_task.name]

    assert run_queued(queued) == [1]

    assert grades(rows) == {"甲": "C", "乙": "B", "丙": "D", "丁": "B"}
    assert totals(rows)["丁"] == before["丁"] + Decimal("70")
    assert not ScoringRequest.objects.exists()
    card = admin_client.get(reverse("clearance:evaluation_card", args=[rows["丁"].enterprise_id])).content.decode()
    assert "data-scoring-waiting" not in card


def test_a_scheme_change_is_saved_at_once_and_its_classes_move_when_scored(rows, admin_client, queued):
    scheme = Scheme.objects.get(year=2022, size="below")
    url = reverse("clearance:scheme_update", args=[2022, "below"])
    form = {"version": scheme.version, "cap": "1.5", "cut_a": "0.2", "cut_b": "0.7", "cut_c": "0.95"}
    for weight in scheme.weights.all():
        form[f"weight_{weight.indicator}"] = str(weight.weight)
        form[f"benchmark_{weight.indicator}"] = ""
    # Tax per power alone: 乙 5 of a mean 2 → 1.5 × 50 = 75, the others 1 → 25 each, tied at position 2.
    form["weight_tax_per_mu"] = "0"

    response = admin_client.post(url, form, follow=True)

    assert [str(message) for message in response.context["messages"]] == [
        "2022 规下的评价方案已保存，正在后台为其 4 家企业重新评分，完成后等级随之更新。"]
    assert Scheme.objects.get(pk=scheme.pk).version == scheme.version + 1
    assert grades(rows) == {"甲": "B", "乙": "B", "丙": "C", "丁": "D"}
    assert 'data-scoring-waiting="2022-below"' in response.content.decode()
    schemes = admin_client.get(reverse("clearance:schemes")).content.decode()
    evaluation = admin_client.get(reverse("clearance:evaluation") + "?year=2022").content.decode()
    assert 'data-scoring-waiting="2022-below"' in schemes and 'data-scoring-waiting="2022-below"' in evaluation
    # The dashboard's evaluation panel still counts the classes of before, and says so.
    panel = admin_client.get(reverse("clearance:home")).context["evaluation"]
    assert panel["city"]["grades"][2]["count"] == 1 and panel["scoring_waiting"][0].year == 2022
    assert "2022 年度规下企业正在后台重新评分" in admin_client.get(reverse("clearance:home")).content.decode()

    run_queued(queued)

    assert grades(rows) == {"甲": "B", "乙": "B", "丙": "B", "丁": "B"}
    evaluation = admin_client.get(reverse("clearance:evaluation") + "?year=2022").content.decode()
    assert "data-scoring-waiting" not in evaluation
    dashboard = admin_client.get(reverse("clearance:home"))
    assert dashboard.context["evaluation"]["city"]["grades"][1]["count"] == 4
    assert "data-scoring-waiting" not in dashboard.content.decode()


def test_changes_waiting_together_are_scored_once(rows, admin_user, queued):
    for name, points in (("丁", "70"), ("丙", "-20")):
        adjustment_add(enterprise=rows[name].enterprise, year=2022, points=Decimal(points), reason="核查", user=admin_user)
    before = totals(rows)

    assert run_queued(queued) == [2, 0]  # the first task scores both changes; the second finds nothing left

    after = totals(rows)
    assert after["丁"] == before["丁"] + 70 and after["丙"] == before["丙"] - 20
    assert grades(rows) == {"甲": "C", "乙": "B", "丙": "D", "丁": "B"}


def test_a_refused_change_leaves_nothing_waiting(rows, admin_client, queued):
    response = admin_client.post(reverse("clearance:evaluation_adjustments", args=[rows["丁"].enterprise_id]),
                                 {"year": "2022", "points": "0", "reason": "无"})

    assert response.status_code == 200 and not Adjustment.objects.exists()
    assert not ScoringRequest.objects.exists() and queued.results == []


@pytest.mark.django_db(transaction=True)
def test_a_change_saved_while_the_worker_scores_is_scored_by_the_next_task(settings, queued):
    """The scoring holds its scheme's row to the end; a change saved meanwhile does not wait for it, and the task it
    queued finds it: no change is left unscored."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time")
    rows = four_below(TownFactory(name="试点镇"))
    admin = get_user_model().objects.create_superuser("chief", password="x")
    adjustment_add(enterprise=rows["丁"].enterprise, year=2022, points=Decimal("70"), reason="核查", user=admin)
    first = queued.results.pop()
    scheme_id = first.args[0]

    # The worker's scoring, paused once it holds the scheme's row and has read what waits.
    holding, release = threading.Event(), threading.Event()
    real = services.scores_recompute

    def paused(**kwargs):
        holding.set()
        assert release.wait(30)
        return real(**kwargs)

    outcome = {}

    def worker():
        try:
            outcome["scored"] = scoring_run(scheme_id=scheme_id)
        finally:
            connection.close()

    services.scores_recompute = paused
    try:
        thread = threading.Thread(target=worker)
        thread.start()
        assert holding.wait(30)
        # A second change, saved (committed) while the scoring waits: it does not wait for the scheme's row.
        adjustment_add(enterprise=rows["丙"].enterprise, year=2022, points=Decimal("-20"), reason="核查", user=admin)
        assert ScoringRequest.objects.count() == 2
        release.set()
        thread.join(30)
    finally:
        services.scores_recompute = real
        release.set()

    assert outcome["scored"] == 1  # what waited when it started
    assert ScoringRequest.objects.count() == 1  # the second change still waits …
    assert run_queued(queued) == [1]  # … and its own task scores it
    assert grades(rows) == {"甲": "C", "乙": "B", "丙": "D", "丁": "B"}
    assert not ScoringRequest.objects.exists()


def test_the_task_worker_scores_a_change_made_on_a_page(worker, settings, client):
    """End to end: the database backend, `manage.py db_worker` in its own process."""
    settings.CLEARANCE_SCORING_IN_REQUEST_MAX_ROWS = 0
    rows = four_below(TownFactory(name="试点镇"))
    client.force_login(get_user_model().objects.create_superuser("chief", password="x"))

    client.post(reverse("clearance:evaluation_adjustments", args=[rows["丁"].enterprise_id]),
                      {"year": "2022", "points": "70", "reason": "高新技术企业"})

    wait_for(lambda: not ScoringRequest.objects.exists(), timeout=60, what="the scoring of 2022", worker=worker)
    assert grades(rows) == {"甲": "C", "乙": "B", "丙": "D", "丁": "B"}


class Holder:
    """Another connection holding rows as the worker's scoring does, until released."""

    def __init__(self, hold):
        self.hold, self.holding, self.release = hold, threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self):
        try:
            with transaction.atomic():
                self.hold()
                self.holding.set()
                assert self.release.wait(30)
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.holding.wait(30)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(30)


@pytest.mark.django_db(transaction=True)
def test_a_change_to_what_the_worker_is_scoring_is_refused_after_a_short_wait(monkeypatch, client):
    """A scheme or a row the scoring holds: the page says why after LOCK_WAIT_MS and changes nothing, rather than
    waiting minutes for the scoring (longer than gunicorn lets a request run)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time")
    monkeypatch.setattr(base, "LOCK_WAIT_MS", 200)
    rows = four_below(TownFactory(name="试点镇"))
    client.force_login(get_user_model().objects.create_superuser("chief", password="x"))
    scheme = Scheme.objects.get(year=2022, size="below")
    row = rows["丁"]
    form = {"version": scheme.version, "cap": "1.5", "cut_a": "0.2", "cut_b": "0.7", "cut_c": "0.95"}
    for weight in scheme.weights.all():
        form[f"weight_{weight.indicator}"] = "0" if weight.indicator == "tax_per_mu" else str(weight.weight)

    def scoring():
        Scheme.objects.select_for_update(no_key=True).get(pk=scheme.pk)
        IndicatorRow.objects.filter(year=2022).update(position=F("position"))

    with Holder(scoring):
        scheme_page = client.post(reverse("clearance:scheme_update", args=[2022, "below"]), form)
        row_page = client.post(reverse("clearance:indicator_row_update", args=[row.pk]), {
            "version": row.version, "size": row.size, "land_mu": "10", "tax_wan": "200", "power_10k_kwh": "10"})

    assert "2022 规下正在后台评分，请在评分完成后再保存修改（评分期间本页会有提示）。" in scheme_page.content.decode()
    assert "2022 年度正在后台评分，请在评分完成后再保存更正（评分期间本页会有提示）。" in row_page.content.decode()
    assert Scheme.objects.get(pk=scheme.pk).version == scheme.version
    row.refresh_from_db()
    assert (row.tax_wan, row.version) == (Decimal("10"), 1)
    assert grades(rows) == {"甲": "B", "乙": "B", "丙": "C", "丁": "D"}
