"""The evaluation in Django's admin: every write through services.evaluation, the year scored again, stale pages refused."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clearance.choices import Indicator, SizeClass
from clearance.models import Adjustment, EvaluatedEnterprise, IndicatorRow, Scheme
from clearance.services import evaluation

from tests.evaluation.helpers import four_below, grades
from tests.factories import TownFactory

pytestmark = pytest.mark.django_db

FIGURES = ["land_mu", "tax_wan", "value_added_wan", "revenue_wan", "energy_tce", "emission_t", "rd_wan", "employees",
           "power_10k_kwh"]


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:clearance_{model._meta.model_name}_{view}", args=args)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def rows(db):
    return four_below(TownFactory(name="试点镇"))


def row_data(row, **changes) -> dict:
    data = {"size": row.size, "expected_version": row.version, **({"exempt": "on"} if row.exempt else {})}
    data.update({name: "" if getattr(row, name) is None else str(getattr(row, name)) for name in FIGURES})
    return {**data, **changes}


def test_a_row_corrected_in_the_admin_scores_the_year_again(admin_client, admin_user, rows):
    row = rows["丁"]

    # 丁's tax 10 → 200 (as on the row's page, tests/evaluation/test_row_update.py): 150, first, class B.
    response = admin_client.post(admin_url(IndicatorRow, "change", row.pk), row_data(row, tax_wan="200"))

    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.tax_wan, row.total, row.position, row.grade, row.version) == (Decimal("200"), Decimal("150"), 1, "B", 2)
    rows["乙"].refresh_from_db()
    assert rows["乙"].position == 2
    assert row.history.first().history_user == admin_user


def test_a_row_corrected_on_a_stale_page_is_refused(admin_client, admin_user, rows):
    row = rows["丁"]
    evaluation.indicator_row_update(row=row, expected_version=1, user=admin_user, tax_wan=Decimal("20"))

    response = admin_client.post(admin_url(IndicatorRow, "change", row.pk), row_data(row, tax_wan="200"))

    assert response.status_code == 200
    assert [error.code for error in response.context["adminform"].form.non_field_errors().as_data()] == ["stale_edit"]
    row.refresh_from_db()
    assert (row.tax_wan, row.version) == (Decimal("20"), 2)


def test_the_row_page_shows_the_scores_and_indicators_and_edits_neither(admin_client, rows):
    row = rows["乙"]

    response = admin_client.get(admin_url(IndicatorRow, "change", row.pk), HTTP_ACCEPT_LANGUAGE="zh-hans")

    form = response.context["adminform"].form
    assert sorted(form.fields) == sorted(["size", "exempt", "expected_version", *FIGURES])
    content = response.content.decode()
    # 乙: tax per mu 5 → 50 × 5/4.5 = 55.56; per power 5 → capped 75.
    assert "<div>亩均税收：55.56</div>" in content
    assert "B类" in content


def test_a_row_added_in_the_admin_is_scored_with_its_year(admin_client, rows):
    enterprise = evaluation.evaluated_enterprise_create(town=rows["甲"].enterprise.town, name="戊", user=None)
    data = {"enterprise": enterprise.pk, "year": "2022", "size": SizeClass.BELOW, "land_mu": "10", "tax_wan": "200",
            "power_10k_kwh": "10"}

    response = admin_client.post(admin_url(IndicatorRow, "add"), data)

    assert response.status_code == 302
    row = IndicatorRow.objects.get(enterprise=enterprise)
    assert (row.total, row.position, row.graded_count) == (Decimal("150"), 1, 5)


def test_a_second_row_of_a_year_added_in_the_admin_is_refused_on_the_year(admin_client, rows):
    data = {"enterprise": rows["甲"].enterprise_id, "year": "2022", "size": SizeClass.BELOW, "land_mu": "1"}

    response = admin_client.post(admin_url(IndicatorRow, "add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["year"] == ["“甲”已有2022年度的亩均数据，请直接修改该条数据。"]
    assert IndicatorRow.objects.count() == 4


def test_a_row_deleted_in_the_admin_scores_the_year_again(admin_client, rows):
    response = admin_client.post(admin_url(IndicatorRow, "delete", rows["乙"].pk), {"post": "yes"})

    assert response.status_code == 302
    # Positions 1, 2 and 3 of 3: 丙 moves up from C (0.75) to B (0.67).
    assert grades({name: row for name, row in rows.items() if name != "乙"}) == {"甲": "B", "丙": "B", "丁": "D"}


def test_an_enterprise_with_data_deleted_in_the_admin_is_refused_naming_the_data(admin_client, rows):
    enterprise = rows["甲"].enterprise

    response = admin_client.post(admin_url(EvaluatedEnterprise, "delete", enterprise.pk), {"post": "yes"},
                                 HTTP_ACCEPT_LANGUAGE="zh-hans")

    # Django's own refusal comes first (the rows protect their enterprise); evaluated_enterprise_delete says the same.
    assert response.status_code == 200
    row_url = admin_url(IndicatorRow, "change", rows["甲"].pk)
    assert [str(each) for each in response.context["protected"]] == [f'亩均数据: <a href="{row_url}">甲 2022</a>']
    assert EvaluatedEnterprise.objects.filter(pk=enterprise.pk).exists()


def scheme_data(scheme, **changes) -> dict:
    weights = list(scheme.weights.all())
    data = {
        "cap": str(scheme.cap), "cut_a": str(scheme.cut_a), "cut_b": str(scheme.cut_b), "cut_c": str(scheme.cut_c),
        "expected_version": scheme.version,
        "weights-TOTAL_FORMS": str(len(weights)), "weights-INITIAL_FORMS": str(len(weights)),
        "weights-MIN_NUM_FORMS": "0", "weights-MAX_NUM_FORMS": "1000",
    }
    for index, weight in enumerate(weights):
        data.update({f"weights-{index}-id": weight.pk, f"weights-{index}-scheme": scheme.pk,
                     f"weights-{index}-weight": str(weight.weight),
                     f"weights-{index}-fixed_benchmark": "" if weight.fixed_benchmark is None else str(weight.fixed_benchmark)})
    for key, value in changes.items():
        if key in Indicator.values:
            index = next(i for i, weight in enumerate(weights) if weight.indicator == key)
            data[f"weights-{index}-weight"] = value
        else:
            data[key] = value
    return data


def test_a_scheme_changed_in_the_admin_scores_the_year_with_its_weights(admin_client, admin_user, rows):
    scheme = Scheme.objects.get(year=2022, size=SizeClass.BELOW)

    # Tax per mu alone (weight 100): 甲 10/4.5 capped 150, 乙 111.11, 丙 44.44, 丁 22.22; cut A at 0.25 now takes 甲.
    response = admin_client.post(admin_url(Scheme, "change", scheme.pk),
                                 scheme_data(scheme, cut_a="0.25", tax_per_mu="100", tax_per_power="0"))

    assert response.status_code == 302
    scheme.refresh_from_db()
    assert (scheme.cut_a, scheme.version, scheme.graded_count) == (Decimal("0.2500"), 2, 4)
    assert {weight.indicator: weight.weight for weight in scheme.weights.filter(weight__gt=0)} == {
        Indicator.TAX_PER_MU: Decimal("100")}
    rows["甲"].refresh_from_db()
    assert (rows["甲"].total, rows["甲"].position) == (Decimal("150"), 1)
    assert grades(rows) == {"甲": "A", "乙": "B", "丙": "C", "丁": "D"}
    assert scheme.history.first().history_user == admin_user


def test_a_scheme_changed_on_a_stale_page_is_refused(admin_client, admin_user, rows):
    scheme = Scheme.objects.get(year=2022, size=SizeClass.BELOW)
    data = scheme_data(scheme, tax_per_mu="100", tax_per_power="0")
    evaluation.scheme_update(scheme=scheme, expected_version=scheme.version, user=admin_user,
                             weights={Indicator.TAX_PER_MU: (Decimal("60"), None)}, cap=Decimal("2"))

    response = admin_client.post(admin_url(Scheme, "change", scheme.pk), data)

    assert response.status_code == 200
    assert [error.code for error in response.context["adminform"].form.non_field_errors().as_data()] == ["stale_edit"]
    assert scheme.weights.get(indicator=Indicator.TAX_PER_MU).weight == Decimal("60")


def test_a_scheme_that_scored_data_is_not_deleted_in_the_admin(admin_client, rows):
    scheme = Scheme.objects.get(year=2022, size=SizeClass.BELOW)

    response = admin_client.post(admin_url(Scheme, "delete", scheme.pk), {"post": "yes"})

    assert messages_of(response) == ["评价方案“2022 规下”已用于4条亩均数据的评价，不能删除；如需调整，请修改其权重等设置。"]
    assert Scheme.objects.filter(pk=scheme.pk).exists()


def test_an_adjustment_added_in_the_admin_moves_the_total_and_cannot_be_changed(admin_client, admin_user, rows):
    enterprise = rows["丁"].enterprise

    response = admin_client.post(admin_url(Adjustment, "add"), {
        "enterprise": enterprise.pk, "year": "2022", "points": "20", "reason": "高新技术企业"})

    assert response.status_code == 302
    adjustment = Adjustment.objects.get()
    assert adjustment.created_by == admin_user
    rows["丁"].refresh_from_db()
    assert (rows["丁"].total, rows["丁"].position) == (Decimal("56.11111111"), 3)
    changed = admin_client.post(admin_url(Adjustment, "change", adjustment.pk), {
        "enterprise": enterprise.pk, "year": "2022", "points": "50", "reason": "改分"})
    assert changed.status_code == 403
    adjustment.refresh_from_db()
    assert adjustment.points == Decimal("20")


def test_an_adjustment_deleted_in_the_admin_takes_its_points_back(admin_client, admin_user, rows):
    adjustment = evaluation.adjustment_add(enterprise=rows["丁"].enterprise, year=2022, points=Decimal("20"),
                                           reason="高新技术企业", user=admin_user)

    response = admin_client.post(admin_url(Adjustment, "delete", adjustment.pk), {"post": "yes"})

    assert response.status_code == 302
    rows["丁"].refresh_from_db()
    assert (rows["丁"].total, rows["丁"].position) == (Decimal("36.11111111"), 4)


def test_a_change_in_the_admin_to_a_large_year_says_the_worker_scores_it(admin_client, rows, settings):
    settings.CLEARANCE_SCORING_IN_REQUEST_MAX_ROWS = 0  # every group is large; the tasks are kept, not run
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    row = rows["丁"]

    added = admin_client.post(admin_url(Adjustment, "add"), {
        "enterprise": row.enterprise.pk, "year": "2022", "points": "20", "reason": "高新技术企业"})
    corrected = admin_client.post(admin_url(IndicatorRow, "change", row.pk), row_data(row, tax_wan="200"))

    waiting = "2022 年度正在后台重新评分，完成后得分、名次和等级随之更新。"
    assert waiting in messages_of(added) and waiting in messages_of(corrected)
    row.refresh_from_db()
    assert (row.tax_wan, row.total) == (Decimal("200"), Decimal("36.11111111"))  # saved; scored when the task runs


@pytest.mark.parametrize("model", [IndicatorRow, EvaluatedEnterprise, Adjustment], ids=lambda model: model.__name__)
def test_the_evaluation_lists_read_the_same_queries_at_two_sizes(admin_client, admin_user, model):
    town = TownFactory(name="试点镇")
    counts = []
    for size in (3, 30):
        for number in range(EvaluatedEnterprise.objects.count(), size):
            enterprise = evaluation.evaluated_enterprise_create(town=town, name=f"示例企业{number:03d}", user=admin_user)
            evaluation.indicator_row_upsert(enterprise=enterprise, year=2022, size=SizeClass.BELOW, user=admin_user,
                                            rescore=False, land_mu=Decimal("10"), tax_wan=Decimal(number + 1))
            evaluation.adjustment_add(enterprise=enterprise, year=2022, points=Decimal("1"), reason="示例",
                                      user=admin_user)
        evaluation.scores_recompute(year=2022)
        url = admin_url(model, "changelist")
        admin_client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(url)
        assert response.context["cl"].result_count == size
        counts.append(len(queries))

    assert counts[0] == counts[1]
