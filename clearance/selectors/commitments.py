"""履约 for leaders: the due commitments of a period with the evaluation that judged each, and the projects overdue."""

from datetime import date

from django.db.models import (
    BooleanField, Case, Exists, ExpressionWrapper, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When,
)

from ..choices import CommitmentState, ProjectKind, ProjectStage
from ..models import Project, ProjectEvent, Town
from .reuse import evaluations_from_full_production, due_projects

# The state filter's extra choice: projects past a committed date without the stage recorded by the period's end.
OVERDUE = "overdue"
# Missed first, then those nobody can judge yet, then the kept ones.
STATE_ORDER = {CommitmentState.MISSED: 0, CommitmentState.UNVERIFIED: 1, CommitmentState.MET: 2}
# Each committed date of a 招商项目 and the stage that keeps it; a 复垦's deadline is for its 验收.
COMMITTED_STAGES = (
    ("committed_start_on", ProjectStage.CONSTRUCTION_STARTED),
    ("committed_production_on", ProjectStage.IN_PRODUCTION),
    ("committed_full_production_on", ProjectStage.FULL_PRODUCTION),
)


def _stage_missing(stage: ProjectStage, period_end: date) -> Exists:
    """True where the project has no event of STAGE dated on or before PERIOD_END."""
    return ~Exists(ProjectEvent.objects.filter(project=OuterRef("pk"), stage=stage, occurred_on__lte=period_end))


def _overdue_conditions(period_end: date) -> list[tuple[Q, ProjectStage]]:
    investment = [
        (Q(kind=ProjectKind.INVESTMENT, **{f"{field}__lte": period_end}) & _stage_missing(stage, period_end), stage)
        for field, stage in COMMITTED_STAGES
    ]
    reclamation = Q(kind=ProjectKind.RECLAMATION, deadline__lte=period_end) & _stage_missing(
        ProjectStage.ACCEPTED, period_end)
    return [*investment, (reclamation, ProjectStage.ACCEPTED)]


def overdue_projects(*, period_end: date) -> QuerySet[Project]:
    """The projects with a committed 开工/投产/达产 date (复垦: the deadline for 验收) on or before PERIOD_END whose
    stage was not recorded by then, annotated with `overdue_stage`: the first such stage."""
    conditions = _overdue_conditions(period_end)
    wanted = Q()
    for condition, _stage in conditions:
        wanted |= condition
    return Project.objects.filter(wanted).annotate(
        overdue_stage=Case(*(When(condition, then=Value(int(stage))) for condition, stage in conditions),
                           output_field=IntegerField())
    )


def _with_evidence(projects: QuerySet[Project], period_end: date) -> QuerySet[Project]:
    """Annotate the evaluation that judges each project: the operator's best row of the 达产 year or later
    (highest 亩均税收, then the latest), its year and 亩均税收; whether the commitment is due; the state's order."""
    best = evaluations_from_full_production().order_by(F("tax_per_mu").desc(nulls_last=True), "-year")
    return projects.annotate(
        evaluation_year=Subquery(best.values("year")[:1]),
        evaluation_tax_per_mu=Subquery(best.values("tax_per_mu")[:1]),
        is_due=ExpressionWrapper(
            Q(kind=ProjectKind.INVESTMENT, committed_full_production_on__lte=period_end), output_field=BooleanField()
        ),
        state_order=Case(*(When(commitment=state, then=Value(order)) for state, order in STATE_ORDER.items()),
                         output_field=IntegerField()),
    )


def commitment_rows(*, period_end: date, state: str = "", town: Town | None = None) -> QuerySet[Project]:
    """The due commitments as of PERIOD_END (or, STATE "overdue", the overdue projects), of TOWN or every town.

    STATE "met", "missed" or "unverified" keeps that state; empty keeps all, missed first, then unverified, then
    met. Each row carries `commitment`, `is_due`, `evaluation_year` and `evaluation_tax_per_mu` (one query).
    """
    if state == OVERDUE:
        projects = overdue_projects(period_end=period_end)
    else:
        projects = due_projects(period_end=period_end)
        if state:
            projects = projects.filter(commitment=state)
    if town is not None:
        projects = projects.filter(town=town)
    return _with_evidence(projects, period_end).select_related("town").order_by(
        "state_order", "town__display_order", "town__name", "committed_full_production_on", "name", "pk"
    )
