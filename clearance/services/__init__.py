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
    site_delete,
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
from .bulletin_import import (
    BULLETIN_ACTUAL,
    BULLETIN_COLUMNS,
    BULLETIN_COUNTY,
    BULLETIN_METRIC,
    BULLETIN_METRIC_NAMES,
    BULLETIN_MONTH,
    BULLETIN_REQUIRED,
    BULLETIN_TARGET,
    BULLETIN_YEAR,
    bulletin_import,
)

__all__ = [
    "BULLETIN_ACTUAL",
    "BULLETIN_COLUMNS",
    "BULLETIN_COUNTY",
    "BULLETIN_METRIC",
    "BULLETIN_METRIC_NAMES",
    "BULLETIN_MONTH",
    "BULLETIN_REQUIRED",
    "BULLETIN_TARGET",
    "BULLETIN_YEAR",
    "PHOTO_FORMATS",
    "StaleEditError",
    "Upsert",
    "attack_group_upsert",
    "bulletin_figure_set",
    "bulletin_import",
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
    "site_delete",
    "site_update",
    "site_upsert",
    "target_set",
    "targets_copy_year",
    "task_force_member_add",
    "town_upsert",
]
