"""Reference data admins keep: towns, counties, bureaus and their heads."""

from django.db import transaction

from ..models import Bureau, BureauHead, County, Town
from .base import Upsert, User, upsert_row
from .edits import row_create, row_delete, row_update


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


@transaction.atomic
def bureau_upsert(*, name: str, user: User | None = None) -> Upsert:
    """Create the bureau called NAME if missing."""
    return upsert_row(Bureau, key={"name": name}, fields={}, user=user)


@transaction.atomic
def town_create(*, name: str, kind: str, display_order: int = 0, user: User | None) -> Town:
    """Create the town NAME."""
    return row_create(Town, fields={"name": name, "kind": kind, "display_order": display_order}, user=user)


@transaction.atomic
def town_update(*, town: Town, user: User | None, **fields) -> Town:
    """Change FIELDS (name, kind, display_order) of TOWN."""
    return row_update(town, fields=fields, user=user)


@transaction.atomic
def town_delete(*, town: Town, user: User | None) -> None:
    """Delete TOWN; refused while sites, enterprises or pairings name it."""
    row_delete(town, user=user)


@transaction.atomic
def county_create(*, name: str, is_home: bool = False, display_order: int = 0, user: User | None) -> County:
    """Create the county NAME; at most one county is the home city."""
    return row_create(County, fields={"name": name, "is_home": is_home, "display_order": display_order}, user=user)


@transaction.atomic
def county_update(*, county: County, user: User | None, **fields) -> County:
    """Change FIELDS (name, is_home, display_order) of COUNTY."""
    return row_update(county, fields=fields, user=user)


@transaction.atomic
def county_delete(*, county: County, user: User | None) -> None:
    """Delete COUNTY and its bulletin figures."""
    for figure in county.bulletin_figures.order_by("pk"):
        row_delete(figure, user=user)
    row_delete(county, user=user)


@transaction.atomic
def bureau_create(*, name: str, user: User | None) -> Bureau:
    """Create the bureau NAME."""
    return row_create(Bureau, fields={"name": name}, user=user)


@transaction.atomic
def bureau_update(*, bureau: Bureau, user: User | None, **fields) -> Bureau:
    """Change FIELDS (name) of BUREAU."""
    return row_update(bureau, fields=fields, user=user)


@transaction.atomic
def bureau_delete(*, bureau: Bureau, user: User | None) -> None:
    """Delete BUREAU; refused while it has heads."""
    row_delete(bureau, user=user)


@transaction.atomic
def bureau_head_create(*, bureau: Bureau, name: str, user_account=None, user: User | None) -> BureauHead:
    """Create the head NAME of BUREAU; with USER_ACCOUNT, the person's login."""
    return row_create(BureauHead, fields={"bureau": bureau, "name": name, "user": user_account}, user=user)


@transaction.atomic
def bureau_head_update(*, head: BureauHead, user: User | None, **fields) -> BureauHead:
    """Change FIELDS (name, bureau, user_account) of HEAD."""
    if "user_account" in fields:
        fields["user"] = fields.pop("user_account")
    return row_update(head, fields=fields, user=user)


@transaction.atomic
def bureau_head_delete(*, head: BureauHead, user: User | None) -> None:
    """Delete HEAD; refused while a pairing names them."""
    row_delete(head, user=user)
