"""Sites and enterprises: created and edited on the pages, upserted by importers and the demo."""

from decimal import Decimal

from django.db import transaction

from ..models import Enterprise, Site, Town
from .base import StaleEditError, Upsert, User, save_validated, upsert_row
from .edits import row_delete
from .events import lock_subject


@transaction.atomic
def site_upsert(*, town: Town, name: str, user: User | None = None, **fields) -> Upsert:
    """Create or update the site (TOWN, NAME) with FIELDS (area_mu, parent, land_use, …)."""
    return upsert_row(Site, key={"town": town, "name": name}, fields=fields, user=user, versioned=True)


@transaction.atomic
def enterprise_upsert(*, town: Town, name: str, user: User | None = None, **fields) -> Upsert:
    """Create or update the enterprise (TOWN, NAME) with FIELDS (site, categories, disposal, energy, …)."""
    return upsert_row(Enterprise, key={"town": town, "name": name}, fields=fields, user=user, versioned=True)


@transaction.atomic
def enterprise_upsert_by_code(*, credit_code: str, user: User | None = None, **fields) -> Upsert:
    """Create or update the enterprise with CREDIT_CODE: the code is the key, so its name and town may change."""
    return upsert_row(Enterprise, key={"credit_code": credit_code}, fields=fields, user=user, versioned=True)


@transaction.atomic
def site_update(*, site: Site, expected_version: int, user: User, **fields) -> Site:
    """Change FIELDS of SITE as edited on a page loaded at EXPECTED_VERSION; refuse a stale edit."""
    current = Site.objects.select_for_update().get(pk=site.pk)
    if current.version != expected_version:
        raise StaleEditError(current)
    for name, value in fields.items():
        setattr(current, name, value)
    save_validated(current, user=user, bump_version=True)
    return current


@transaction.atomic
def enterprise_update(*, enterprise: Enterprise, expected_version: int, user: User, **fields) -> Enterprise:
    """Change FIELDS of ENTERPRISE as edited on a page loaded at EXPECTED_VERSION; refuse a stale edit.

    A move to another site locks that site first: its 腾退 and the move must not pass each other.
    """
    site = fields.get("site")
    if site is not None and site.pk != enterprise.site_id:
        lock_subject(enterprise=None, site=site)
    current = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    if current.version != expected_version:
        raise StaleEditError(current)
    for name, value in fields.items():
        setattr(current, name, value)
    save_validated(current, user=user, bump_version=True)
    return current


@transaction.atomic
def site_create(*, town: Town, name: str, area_mu: Decimal, user: User | None, **fields) -> Site:
    """Create the site NAME of TOWN (area in 亩; FIELDS: parent, land_use, deadline, notes, …)."""
    site = Site(town=town, name=name, area_mu=area_mu, **fields)
    save_validated(site, user=user)
    return site


@transaction.atomic
def enterprise_create(
    *, site: Site, name: str, user: User | None, town: Town | None = None, **fields
) -> Enterprise:
    """Create the enterprise NAME on SITE, in the site's town (FIELDS: categories, disposal, energy, plan, …).

    A TOWN other than the site's is refused (Enterprise.clean).
    """
    # Lock the site: its 腾退 and a new enterprise on it must not pass each other (see Enterprise.clean).
    lock_subject(enterprise=None, site=site)
    enterprise = Enterprise(town=town or site.town, site=site, name=name, **fields)
    save_validated(enterprise, user=user)
    return enterprise


@transaction.atomic
def site_delete(*, site: Site, expected_version: int, user: User | None) -> None:
    """Delete SITE as seen at EXPECTED_VERSION; refused while enterprises, parcels or its 腾退 event name it."""
    current = Site.objects.select_for_update().get(pk=site.pk)
    if current.version != expected_version:
        raise StaleEditError(current)
    row_delete(current, user=user)


@transaction.atomic
def enterprise_delete(*, enterprise: Enterprise, expected_version: int, user: User | None) -> None:
    """Delete ENTERPRISE as seen at EXPECTED_VERSION; refused while it has events."""
    current = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    if current.version != expected_version:
        raise StaleEditError(current)
    row_delete(current, user=user)
