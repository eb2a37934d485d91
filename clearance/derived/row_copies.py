"""What an indicator row copies from its evaluated enterprise: the town and the name (IndicatorRow.town and
IndicatorRow.enterprise_name).

Why: the evaluation's pages list a year's rows (a town's) by total, then by the enterprise's name, then by row; with
the name on the row one index (year, [town,] total, enterprise_name, id) gives a page in that order, where a name read
through a join made the database sort the year's rows (at a million enterprises thousands tie on the top total).

The one rule: a row's town and enterprise_name are its enterprise's. A new row takes them in IndicatorRow.save(); the
bulk writers set them from the enterprise they write the row for (indicators.write, perf.evaluation); every write that
moves or renames an enterprise calls follow() in its transaction (services.evaluation, indicators.write), which also
refreshes the towns' figures of the rows that changed towns. differences() recomputes the copies from the enterprises
and lists any disagreement; `manage.py verify_rollups` reports it and `--repair` calls follow().
"""

from collections.abc import Iterable

from django.db.models import F, OuterRef, Q, Subquery

from ..bulk import chunks
from ..models import EvaluatedEnterprise, IndicatorRow
from . import evaluation_rollup

FOLLOW_BATCH = 10_000


def _stale() -> Q:
    """A row whose town or name is not its enterprise's."""
    return ~Q(town_id=F("enterprise__town_id")) | ~Q(enterprise_name=F("enterprise__name"))


def _follow(rows) -> None:
    """Copy their enterprise's town and name onto ROWS (those that differ) and refresh the figures of moved towns."""
    stale = rows.filter(_stale())
    moved = list(stale.exclude(town_id=F("enterprise__town_id")).order_by()
                 .values_list("year", "town_id", "enterprise__town_id").distinct())
    enterprise = EvaluatedEnterprise.objects.filter(pk=OuterRef("enterprise_id"))
    IndicatorRow.objects.filter(pk__in=stale.values("pk")).update(
        town_id=Subquery(enterprise.values("town_id")[:1]), enterprise_name=Subquery(enterprise.values("name")[:1]))
    towns: dict[int, set[int]] = {}
    for year, old, new in moved:
        towns.setdefault(year, set()).update((old, new))
    for year, town_ids in sorted(towns.items()):
        evaluation_rollup.refresh(year=year, town_ids=town_ids)


def follow(enterprise_ids: Iterable[int] | None = None) -> None:
    """After the enterprises of ENTERPRISE_IDS (every one when None) were moved or renamed: their rows take their
    town and name, in the caller's transaction; an UPDATE per ten thousand enterprises, of the rows that differ."""
    if enterprise_ids is None:
        _follow(IndicatorRow.objects.all())
        return
    for batch in chunks(sorted(set(enterprise_ids)), FOLLOW_BATCH):
        _follow(IndicatorRow.objects.filter(enterprise_id__in=batch))


def differences(limit: int = 20) -> list[tuple[int, tuple, tuple]]:
    """Return (row pk, (town, name) stored, (town, name) of its enterprise) where a row's copy disagrees, at most
    LIMIT of them."""
    rows = IndicatorRow.objects.filter(_stale()).order_by("pk").values_list(
        "pk", "town_id", "enterprise_name", "enterprise__town_id", "enterprise__name")[:limit]
    return [(pk, (town, name), (enterprise_town, enterprise_name))
            for pk, town, name, enterprise_town, enterprise_name in rows]
