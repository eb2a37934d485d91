"""Each project's 履约 state (Project.commitment), kept in step with the project and its operator's evaluations.

Why: the dashboard, /reuse/ and the commitments' list count or list every due commitment; judging each from the
evaluation (two lookups of the operator's rows per project, for each state counted) grows with the projects and
the evaluation (140 ms at a million enterprises, 20,000 projects).

How it stays exact: the state is selectors.reuse.commitment_of() of the project's committed figures and its
operator's indicator rows. In the same transaction, the services refresh it after saving a project (its commitments,
operator or land) and after any write of indicator rows (each ends in scores_recompute, which refreshes every
project whose state moved; a row written without scoring refreshes its enterprise's projects). differences()
recomputes every state; `verify_rollups` reports them and repairs with refresh().
"""

from django.db.models import F, QuerySet

from ..models import Project
from ..selectors.reuse import commitment_of


def refresh(projects: QuerySet[Project] | None = None) -> int:
    """Store the commitment state of PROJECTS (every project when None) where it moved; return how many moved."""
    projects = Project.objects.all() if projects is None else projects
    return (projects.annotate(expected=commitment_of()).exclude(commitment=F("expected"))
            .update(commitment=commitment_of()))


def differences(limit: int = 20) -> list[tuple[int, str, str]]:
    """Return (project id, stored, by definition) where the stored state disagrees, at most LIMIT of them."""
    wrong = Project.objects.annotate(expected=commitment_of()).exclude(commitment=F("expected")).order_by("pk")
    return list(wrong.values_list("pk", "commitment", "expected")[:limit])
