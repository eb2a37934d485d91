"""generate_scale --evaluated: evaluated enterprises over the generated towns, two scored years, joined to the ledger."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from clearance.choices import Grade, SizeClass
from clearance.models import Adjustment, Enterprise, EvaluatedEnterprise, IndicatorRow, Scheme, ScoringRequest
from clearance.selectors.evaluation import candidates, clearance_enterprise_of, evaluation_rows
from perf.evaluation import credit_code
from perf.scale import ScaleError, generate_scale, town_prefix
from clearance.validators import validate_credit_code

pytestmark = pytest.mark.django_db


class _Rollback(Exception):
    """Undo a generation inside the test's transaction."""


@pytest.fixture
def evaluation():
    report = generate_scale(enterprises=200, towns=3, seed=21, evaluated=600)
    return report


def generated_rows(seed: int = 21):
    return IndicatorRow.objects.filter(enterprise__town__name__startswith=town_prefix(seed))


def test_generate_scale_writes_two_years_of_rows_for_every_evaluated_enterprise(evaluation):
    today = timezone.localdate()
    years = [today.year - 2, today.year - 1]
    rows = generated_rows()

    assert EvaluatedEnterprise.objects.filter(town__name__startswith=town_prefix(21)).count() == 600
    assert rows.count() == 1200
    assert sorted(rows.order_by().values_list("year", flat=True).distinct()) == years
    assert evaluation.evaluation.years == tuple(years)
    assert set(rows.values_list("size", flat=True)) == set(SizeClass.values)
    # Both years of each enterprise, in the same size class.
    per_enterprise = {}
    for enterprise_id, year, size in rows.values_list("enterprise_id", "year", "size"):
        per_enterprise.setdefault(enterprise_id, []).append((year, size))
    assert all(sorted(each)[0][0] == years[0] and len(each) == 2 and each[0][1] == each[1][1]
               for each in per_enterprise.values())


def test_generate_scale_scores_both_years_with_exempt_and_landless_rows_left_ungraded(evaluation):
    rows = generated_rows()

    assert rows.filter(exempt=True).exists() and rows.filter(land_mu=0).exists()
    assert not rows.filter(exempt=True).exclude(grade="").exists()
    assert not rows.filter(land_mu=0).exclude(grade="").exists()
    graded = rows.filter(exempt=False, land_mu__gt=0)
    assert not graded.filter(grade="").exists()
    for year in evaluation.evaluation.years:
        grades = set(graded.filter(year=year).values_list("grade", flat=True))
        assert grades == set(Grade.values), year
        assert Scheme.objects.filter(year=year, computed_at__isnull=False).count() == 2
    # Some figures are missing, and so are the indicators they make.
    assert rows.filter(tax_wan__isnull=True, tax_per_mu__isnull=True).exists()
    assert Adjustment.objects.filter(enterprise__town__name__startswith=town_prefix(21)).count() == (
        evaluation.evaluation.adjustments)


def test_generate_scale_joins_a_share_of_the_evaluated_to_the_ledger_by_code_and_by_name(evaluation):
    report = evaluation.evaluation
    evaluated = EvaluatedEnterprise.objects.filter(town__name__startswith=town_prefix(21)).order_by("pk")
    joined = [(each, clearance_enterprise_of(each)) for each in evaluated]
    by_code = [(each, ledger) for each, ledger in joined if ledger is not None and each.credit_code]
    by_name = [(each, ledger) for each, ledger in joined if ledger is not None and not each.credit_code]

    assert report.joined_by_code > 0 and report.joined_by_name > 0
    assert len(by_code) == report.joined_by_code
    assert len(by_name) == report.joined_by_name
    assert all(ledger.credit_code == each.credit_code and ledger.name == each.name for each, ledger in by_code)
    assert all((ledger.town_id, ledger.name) == (each.town_id, each.name) for each, ledger in by_name)
    year = report.years[-1]
    in_clearance = {row.enterprise_id for row in evaluation_rows(year) if row.in_clearance}
    assert in_clearance == {each.pk for each, ledger in joined if ledger is not None}


def test_generate_scale_gives_candidates_over_two_years(evaluation):
    year = evaluation.evaluation.years[-1]
    found = list(candidates(year))

    assert any(row.grade == Grade.D for row in found)
    assert any(row.grade == Grade.C and row.previous_grade == Grade.C for row in found)
    assert not any(row.in_clearance for row in found)


def test_generate_scale_evaluated_rows_pass_the_models_own_validation():
    generate_scale(enterprises=30, towns=1, seed=22, evaluated=120)

    evaluated = EvaluatedEnterprise.objects.filter(town__name__startswith=town_prefix(22))
    for queryset in (evaluated, generated_rows(22), Adjustment.objects.filter(enterprise__in=evaluated),
                     Enterprise.objects.filter(town__name__startswith=town_prefix(22), credit_code__isnull=False)):
        for obj in queryset.order_by("pk"):
            obj.full_clean(validate_constraints=False)
    for model in (EvaluatedEnterprise, IndicatorRow):
        ids = set(model.objects.filter(pk__in=[row.pk for row in (evaluated if model is EvaluatedEnterprise
                                                                    else generated_rows(22))]).values_list("pk", flat=True))
        assert set(model.history.filter(id__in=ids, history_type="+").values_list("id", flat=True)) == ids


def test_generate_scale_same_seed_gives_the_same_evaluation():
    def dump():
        return sorted(generated_rows(23).values_list(
            "enterprise__name", "enterprise__credit_code", "year", "size", "land_mu", "tax_wan", "power_10k_kwh",
            "exempt", "total", "grade"))

    with pytest.raises(_Rollback), transaction.atomic():
        generate_scale(enterprises=40, towns=2, seed=23, evaluated=100)
        first = dump()
        raise _Rollback

    generate_scale(enterprises=40, towns=2, seed=23, evaluated=100, chunk=13)

    assert dump() == first
    assert len(first) == 200


def test_credit_codes_are_valid_and_differ_by_seed_and_number():
    codes = {credit_code(seed, number) for seed in (0, 1, 2**31 - 1) for number in (1, 2, 9_999_999)}

    assert len(codes) == 9
    for code in codes:
        validate_credit_code(code)


def test_generate_scale_refuses_a_bad_number_of_evaluated_enterprises():
    with pytest.raises(ScaleError) as refused:
        generate_scale(enterprises=10, towns=1, seed=24, evaluated=-1)

    assert str(refused.value) == "参评企业数量必须是 0 到 10,000,000 之间的整数。"
    assert not EvaluatedEnterprise.objects.exists()


def test_generate_scale_command_reports_the_evaluation():
    out = io.StringIO()

    call_command("generate_scale", "--enterprises", "30", "--towns", "1", "--seed", "25", "--evaluated", "80", "--json",
                 stdout=out, stderr=io.StringIO())

    lines = out.getvalue().splitlines()
    assert lines[2].startswith(f"{timezone.localdate().year - 2}、{timezone.localdate().year - 1} 年度亩均效益评价：新增 80 家参评企业")
    timings = json.loads(lines[3])
    assert (timings["evaluated"], timings["indicator_rows"]) == (80, 160)
    assert timings["scoring_seconds"] > 0


def test_bench_evaluation_times_the_recompute_and_the_reads_and_leaves_the_scores_as_they_were():
    generate_scale(enterprises=40, towns=2, seed=26, evaluated=150)
    before = sorted(IndicatorRow.objects.values_list("pk", "total", "position", "grade"))
    out = io.StringIO()

    call_command("bench_evaluation", "--repeat", "2", "--json", stdout=out)

    results = json.loads(out.getvalue())
    assert results["recompute"]["rows"] == 150
    assert results["recompute"]["full_seconds"] > 0 and results["recompute"]["adjustment_seconds"] > 0
    assert results["recompute"]["queued_request_seconds"] > 0
    assert set(results["reads"]) == {"rows_first_page", "rows_count", "town_classes", "candidates_first_page",
                                     "total_median_ms"}
    assert all(each["queries"] == 1 for key, each in results["reads"].items() if key != "total_median_ms")
    assert sorted(IndicatorRow.objects.values_list("pk", "total", "position", "grade")) == before
    assert not ScoringRequest.objects.exists()  # the queued adjustment's scoring ran
    assert not Adjustment.objects.filter(reason="基准测试").exists()


def test_bench_evaluation_without_evaluation_data_says_so():
    with pytest.raises(CommandError) as refused:
        call_command("bench_evaluation", stdout=io.StringIO())

    assert str(refused.value) == "没有可供测量的亩均评价数据：请先运行 generate_scale --evaluated N。"
