"""Every write of the campaign, by sub-domain: views, the admin, importers, commands and the demo call these."""

from .base import (
    StaleEditError,
    Upsert,
)
from .reference import (
    bureau_head_upsert,
    county_upsert,
    town_upsert,
)
from .pairings import (
    attack_group_upsert,
    pairing_change,
    pairing_start,
    task_force_member_add,
)
from .records import (
    enterprise_create,
    enterprise_update,
    enterprise_upsert,
    enterprise_upsert_by_code,
    site_create,
    site_update,
    site_upsert,
)
from .events import (
    event_correct,
    event_delete,
    event_record,
    event_upsert,
    events_record_bulk,
    lock_subject,
)
from .photos import (
    PHOTO_FORMATS,
    photo_add,
    photo_check,
    photo_files_delete,
    photos_add,
)
from .targets import (
    bulletin_figure_set,
    target_set,
    targets_copy_year,
)

__all__ = [
    "PHOTO_FORMATS",
    "StaleEditError",
    "Upsert",
    "attack_group_upsert",
    "bulletin_figure_set",
    "bureau_head_upsert",
    "county_upsert",
    "enterprise_create",
    "enterprise_update",
    "enterprise_upsert",
    "enterprise_upsert_by_code",
    "event_correct",
    "event_delete",
    "event_record",
    "event_upsert",
    "events_record_bulk",
    "lock_subject",
    "pairing_change",
    "pairing_start",
    "photo_add",
    "photo_check",
    "photo_files_delete",
    "photos_add",
    "site_create",
    "site_update",
    "site_upsert",
    "target_set",
    "targets_copy_year",
    "task_force_member_add",
    "town_upsert",
]
