"""Reference data admins keep: towns, counties, bureaus and their heads."""

from django.db import transaction

from ..models import Bureau, BureauHead, County, Town
from .base import Upsert, User, upsert_row


@transaction.atomic
def town_upsert(*, name: str, kind: str, display_order: int = 0, user: User | None = None) -> Upsert:
    """Create or update the town called NAME."""
    return upsert_row(Town, key={"name": name}, fields={"kind": kind, "display_order": display_order}, user=user)


@transaction.atomic
def county_upsert(*, name: str, is_home: bool = False, display_order: int = 0, user: User | None = None) -> Upsert:
    """Create or update the county called NAME; at most one county is the home city."""
    return upsert_row(County, key={"name": name}, fields={"is_home": is_home, "display_order": display_order}, user=user)


@transaction.atomic
def bureau_head_upsert(*, bureau_name: str, head_name: str, user: User | None = None) -> BureauHead:
    """Create the bureau and its head if missing; return the head."""
    bureau = upsert_row(Bureau, key={"name": bureau_name}, fields={}, user=user).obj
    return upsert_row(BureauHead, key={"bureau": bureau, "name": head_name}, fields={}, user=user).obj
