"""generate_scale's projects (换鸟): on vacated parcels within their areas, stages in order, the rollup in step."""

import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from clearance.choices import CommitmentState, ProjectKind, ProjectStage, Stage
from clearance.derived import reuse_rollup
from clearance.models import Event, Project, ProjectEvent, ProjectSite, ReuseMonthlyFigure, Site
from clearance.rules import land_supply_problem, project_stage_problem
from clearance.selectors.reuse import due_projects
from perf.scale import ScaleError, generate_scale, town_prefix

pytestmark = pytest.mark.django_db


class _Rollback(Exception):
    """Undo a generation inside the test's transaction."""


def generated_projects(seed: int):
    return Project.objects.filter(town__name__startswith=town_prefix(seed))


@pytest.fixture
def projects():
    return generate_scale(enterprises=400, towns=3, seed=31, evaluated=300, projects=20)


def test_generate_scale_adds_the_projects_asked_for_of_both_kinds(projects):
    generated = generated_projects(31)

    assert projects.projects == generated.count() == 20
    assert set(generated.values_list("kind", flat=True)) == set(ProjectKind.values)
    assert projects.project_sites == ProjectSite.objects.filter(project__in=generated).count() >= 20
    assert projects.project_events == ProjectEvent.objects.filter(project__in=generated).count() > 20


def test_generate_scale_projects_take_vacated_parcels_within_their_areas(projects):
    allocations = ProjectSite.objects.filter(project__in=generated_projects(31))
    taken = allocations.values("site_id", "site__area_mu").annotate(total=Sum("area_mu"))

    assert all(row["total"] <= row["site__area_mu"] for row in taken)
    sites = Site.objects.filter(pk__in=allocations.values("site_id"))
    assert not sites.filter(children__isnull=False).exists()
    assert sites.filter(events__stage=Stage.VACATED).distinct().count() == sites.count()
    assert all(project.town_id == project.allocations.first().site.town_id for project in generated_projects(31))


def test_generate_scale_projects_stages_keep_the_rules(projects):
    vacated = dict(Event.objects.filter(site__isnull=False).values_list("site_id", "occurred_on"))
    today = timezone.localdate()
    for project in generated_projects(31).prefetch_related("events", "allocations"):
        stages = {event.stage: event.occurred_on for event in project.events.all()}
        for stage, on in stages.items():
            others = {other: day for other, day in stages.items() if other != stage}
            assert project_stage_problem(project.kind, ProjectStage(stage), on, others) is None, project.name
            assert on <= today
        if ProjectStage.LAND_SUPPLIED in stages:
            sites = [(str(each.site_id), vacated.get(each.site_id)) for each in project.allocations.all()]
            assert land_supply_problem(stages[ProjectStage.LAND_SUPPLIED], sites) is None, project.name


def test_generate_scale_projects_pass_the_models_own_validation_and_have_their_history(projects):
    generated = generated_projects(31)
    for queryset in (generated, ProjectSite.objects.filter(project__in=generated),
                     ProjectEvent.objects.filter(project__in=generated)):
        for obj in queryset.order_by("pk"):
            obj.full_clean(validate_constraints=False)
        ids = set(queryset.values_list("pk", flat=True))
        assert set(queryset.model.history.filter(id__in=ids, history_type="+").values_list("id", flat=True)) == ids


def test_generate_scale_projects_keep_the_rollup_and_their_land_in_step(projects):
    out = io.StringIO()

    call_command("verify_rollups", stdout=out)

    assert "reuse rollup agrees with the project events, and each project's land with its sites" in out.getvalue()
    # The derived tables the pages read: the towns' evaluation figures and each project's commitment.
    assert "the towns' evaluation figures agree with the indicator rows" in out.getvalue()
    assert "each project's commitment agrees with its operator's evaluations" in out.getvalue()
    assert reuse_rollup.land_differences() == [] and reuse_rollup.differences() == []
    assert ReuseMonthlyFigure.objects.filter(town__name__startswith=town_prefix(31)).exists()


def test_generate_scale_projects_give_commitments_in_more_than_one_state(projects):
    due = due_projects(period_end=timezone.localdate()).filter(town__name__startswith=town_prefix(31))
    states = set(due.values_list("commitment", flat=True))

    assert generated_projects(31).filter(operator__isnull=False).exists()
    assert CommitmentState.UNVERIFIED in states and len(states) >= 2


def test_generate_scale_default_projects_are_one_per_fifty_enterprises():
    report = generate_scale(enterprises=300, towns=2, seed=32)

    assert report.projects == generated_projects(32).count() == 6


def test_generate_scale_same_seed_gives_the_same_projects():
    def dump():
        return sorted(generated_projects(33).values_list(
            "name", "kind", "operator__name", "land_mu", "committed_investment_wan", "committed_full_production_on",
            "events__stage", "events__occurred_on"))

    with pytest.raises(_Rollback), transaction.atomic():
        generate_scale(enterprises=200, towns=2, seed=33, evaluated=100, projects=12)
        first = dump()
        raise _Rollback

    generate_scale(enterprises=200, towns=2, seed=33, evaluated=100, projects=12, chunk=5)

    assert dump() == first and first


def test_generate_scale_refuses_a_bad_number_of_projects():
    with pytest.raises(ScaleError) as refused:
        generate_scale(enterprises=10, towns=1, seed=34, projects=-1)

    assert str(refused.value) == "项目数量必须是 0 到 1,000,000 之间的整数。"
    assert not Project.objects.exists()
