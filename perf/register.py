"""Synthetic items of the register of order (快中求稳) for generate_scale: about one per fifty enterprises, set-based."""

import random
from datetime import date, timedelta

from django.db.models import F

from clearance.bulk import BulkWriter
from clearance.choices import RegisterKind
from clearance.models import Enterprise, RegisterItem

# One item per this many enterprises, on every such enterprise by id.
ENTERPRISES_PER_ITEM = 50
# The share resolved, and the days (low, high) it took.
RESOLVED_SHARE = 0.7
RESOLVE_DAYS = (1, 120)
KINDS = (RegisterKind.DISPUTE, RegisterKind.PETITION, RegisterKind.HAZARD)
DESCRIPTIONS = {
    RegisterKind.DISPUTE: "租金押金纠纷", RegisterKind.PETITION: "职工安置信访", RegisterKind.HAZARD: "消防通道堵塞",
}
COLUMNS = ("town_id", "site_id", "enterprise_id", "kind", "raised_on", "description", "responsible_group_id", "resolved_on",
           "resolution", "recorded_by_id", "version")


def register_items(*, writer: BulkWriter, town_ids: list[int], seed: int, first_day: date, today: date,
                   user_id: int | None) -> int:
    """Write an item on every ENTERPRISES_PER_ITEM-th enterprise of TOWN_IDS (by id), raised between FIRST_DAY and
    TODAY, most of them resolved, with their creation history; return how many. The same rows for a seed and day."""
    rng = random.Random(f"register {seed}")
    chosen = (
        Enterprise.objects.filter(town_id__in=town_ids).annotate(slot=F("pk") % ENTERPRISES_PER_ITEM)
        .filter(slot=0).order_by("pk").values_list("pk", "town_id", "responsible_group_id")
    )
    span = (today - first_day).days
    rows = []
    for enterprise_id, town_id, group_id in chosen.iterator(chunk_size=10_000):
        kind = rng.choice(KINDS)
        raised_on = first_day + timedelta(days=rng.randint(0, span))
        resolved_on = raised_on + timedelta(days=rng.randint(*RESOLVE_DAYS))
        resolved = rng.random() < RESOLVED_SHARE and resolved_on <= today
        rows.append((town_id, None, enterprise_id, kind.value, raised_on, DESCRIPTIONS[kind], group_id,
                     resolved_on if resolved else None, "调解结案" if resolved else "", user_id, 1))
    # No ids: nothing refers to an item, so the database numbers them; their history is copied from the rows written.
    writer.create_rows((RegisterItem, COLUMNS, rows))
    writer.history_of(RegisterItem.objects.filter(town_id__in=town_ids))
    return len(rows)
