"""Which clearance enterprise each evaluated enterprise is (DOMAIN.md: the credit code, else town and name).

Stored on EvaluatedEnterprise.clearance_enterprise so that "in clearance" and "candidate" are plain columns
for a town's page of ten thousand rows or a city's million. Kept in step by the write paths, in the same
transaction, through relink(): a clearance enterprise saved or deleted by the services (kept_in_step), the
ledger's batched import and generate_scale (for the towns and codes they wrote), an evaluated enterprise
created, renamed or given a code (import_indicators, the services). differences() recomputes the join from
its definition and lists any disagreement; `manage.py verify_rollups` reports it.
"""

from collections.abc import Iterable

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from ..models import Enterprise, EvaluatedEnterprise


def twin() -> Coalesce:
    """The pk of the clearance enterprise that is the evaluated enterprise of the outer query, or NULL."""
    by_code = Enterprise.objects.filter(credit_code=OuterRef("credit_code")).order_by().values("pk")[:1]
    by_name = Enterprise.objects.filter(town_id=OuterRef("town_id"), name=OuterRef("name")).order_by().values("pk")[:1]
    return Coalesce(Subquery(by_code), Subquery(by_name))


def relink(evaluated: QuerySet[EvaluatedEnterprise]) -> int:
    """Point each of EVALUATED at its clearance enterprise, or at none; one UPDATE. Return how many rows it touched."""
    return evaluated.update(clearance_enterprise_id=twin())


def relink_for_enterprise(enterprise: Enterprise) -> int:
    """Relink what a save of the clearance ENTERPRISE may change: the evaluated enterprises its code or its town and
    name name, and those that pointed at it before (it may have been renamed or recoded away from them)."""
    scope = Q(clearance_enterprise_id=enterprise.pk) | Q(town_id=enterprise.town_id, name=enterprise.name)
    if enterprise.credit_code:
        scope |= Q(credit_code=enterprise.credit_code)
    return relink(EvaluatedEnterprise.objects.filter(scope))


def relink_for_ledger(*, town_ids: Iterable[int], codes: Iterable[str]) -> int:
    """Relink after a batched write of clearance enterprises in TOWN_IDS (their CODES wherever the code's twin is)."""
    town_ids, codes = list(town_ids), [code for code in codes if code]
    scope = Q(town_id__in=town_ids) | Q(clearance_enterprise__town_id__in=town_ids)
    if codes:
        scope |= Q(credit_code__in=codes)
    return relink(EvaluatedEnterprise.objects.filter(scope))


def differences(limit: int = 20) -> list[tuple[int, int | None, int | None]]:
    """Return (evaluated pk, stored twin, twin by definition) where they disagree, at most LIMIT of them."""
    wrong = []
    pairs = EvaluatedEnterprise.objects.annotate(expected=twin()).order_by("pk")
    for pk, stored, expected in pairs.values_list("pk", "clearance_enterprise_id", "expected").iterator(chunk_size=5000):
        if stored != expected:
            wrong.append((pk, stored, expected))
            if len(wrong) >= limit:
                break
    return wrong
