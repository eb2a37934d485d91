"""Which clearance enterprise each evaluated enterprise is (DOMAIN.md: the credit code, else town and name).

Stored on EvaluatedEnterprise.clearance_enterprise so that "in clearance" and "candidate" are plain columns
for a town's page of ten thousand rows or a city's million. Kept in step by the write paths, in the same
transaction, through relink(): a clearance enterprise saved or deleted by the services (kept_in_step), the
ledger's batched import and generate_scale (for the towns and codes they wrote), an evaluated enterprise
created, renamed or given a code (import_indicators, the services). differences() recomputes the join from
its definition and lists any disagreement; `manage.py verify_rollups` reports it.
"""

from collections.abc import Iterable

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from ..models import Enterprise, EvaluatedEnterprise, IndicatorRow
from . import evaluation_rollup

RELINK_BATCH = 10_000


def twin() -> Coalesce:
    """The pk of the clearance enterprise that is the evaluated enterprise of the outer query, or NULL."""
    by_code = Enterprise.objects.filter(credit_code=OuterRef("credit_code")).order_by().values("pk")[:1]
    by_name = Enterprise.objects.filter(town_id=OuterRef("town_id"), name=OuterRef("name")).order_by().values("pk")[:1]
    return Coalesce(Subquery(by_code), Subquery(by_name))


def relink(evaluated: QuerySet[EvaluatedEnterprise]) -> int:
    """Point each of EVALUATED at its clearance enterprise, or at none, and mark their rows in clearance or not.

    Two UPDATEs per ten thousand enterprises (and where rows moved, the towns' evaluation figures of their years
    refreshed); return how many enterprises were looked at. The enterprises are listed first: a scope naming the
    links (Q(clearance_enterprise__…)) would change under the first UPDATE.
    """
    ids = list(evaluated.order_by().values_list("pk", flat=True))
    moved: dict[int, set[int]] = {}  # year -> towns whose rows went into clearance or out of it
    for start in range(0, len(ids), RELINK_BATCH):
        batch = ids[start:start + RELINK_BATCH]
        EvaluatedEnterprise.objects.filter(pk__in=batch).update(clearance_enterprise_id=twin())
        linked = EvaluatedEnterprise.objects.filter(pk=OuterRef("enterprise_id"), clearance_enterprise__isnull=False)
        changing = (IndicatorRow.objects.filter(enterprise_id__in=batch).annotate(expected=Exists(linked))
                    .exclude(in_clearance=F("expected")))
        places = list(changing.order_by().values_list("year", "town_id").distinct())
        for year, town in places:
            moved.setdefault(year, set()).add(town)
        if places:
            changing.update(in_clearance=Exists(linked))
    for year, towns in sorted(moved.items()):
        evaluation_rollup.refresh(year=year, town_ids=towns)
    return len(ids)


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


def differences(limit: int = 20) -> list[tuple[str, int, object, object]]:
    """Return (what, pk, stored, by definition) where a stored link or a row's in-clearance mark disagrees with the
    definition, at most LIMIT of them."""
    wrong = []
    pairs = EvaluatedEnterprise.objects.annotate(expected=twin()).order_by("pk")
    for pk, stored, expected in pairs.values_list("pk", "clearance_enterprise_id", "expected").iterator(chunk_size=5000):
        if stored != expected:
            wrong.append(("evaluated enterprise", pk, stored, expected))
            if len(wrong) >= limit:
                return wrong
    linked = EvaluatedEnterprise.objects.filter(pk=OuterRef("enterprise_id"), clearance_enterprise__isnull=False)
    rows = IndicatorRow.objects.annotate(expected=Exists(linked)).exclude(in_clearance=F("expected")).order_by("pk")
    for pk, stored, expected in rows.values_list("pk", "in_clearance", "expected")[:limit - len(wrong)]:
        wrong.append(("indicator row", pk, stored, expected))
    return wrong
