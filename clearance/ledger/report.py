"""What a ledger import did or would do: counts per kind of row, and for the preview each row created or changed."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from ..choices import Category
from ..formatting import display_value
from ..models import Enterprise, Site, Town
from .columns import (
    CATEGORY_NAMES,
    CATEGORY_SEPARATOR,
    ENT_CATEGORIES,
    ENT_DISPOSAL,
    ENT_ENERGY_FREED,
    ENT_ENERGY_USE,
    ENT_SITE,
    ENT_TOWN,
)
from .parse import ENTERPRISE_FIELD_COLUMNS


@dataclass
class PlannedChange:
    """A site or an enterprise the import creates or changes, as the preview lists it.

    CHANGES are (column, old, new, model field) in the ledger's words; for a row
    created, old is None and only the values given are listed.
    """

    town: Town
    kind: str  # SITES_SHEET or ENTERPRISES_SHEET
    name: str
    created: bool
    changes: list[tuple[str, Any, Any, Any]] = field(default_factory=list)

    def shown(self) -> list[tuple[str, str, str]]:
        """Return the changes as (column, old, new) in words, as display_value shows stored values."""
        return [(column, display_value(old, model_field), display_value(new, model_field))
                for column, old, new, model_field in self.changes if not (self.created and new in (None, ""))]


class PlannedChanges:
    """What the import would create and change, row by row, kept only when ENABLED (the preview asks for it)."""

    def __init__(self, *, enabled: bool = False, town_names: dict[int, str] | None = None):
        self.enabled = enabled
        self.town_names = town_names or {}  # by pk: what an enterprise moved by its code was filed under
        self.entries: dict[int, PlannedChange] = {}
        self.towns: dict[int, Town] = {}
        self.rows: dict[int, set[int]] = {}  # per town pk: the sites and enterprises the ledger names

    def seen(self, obj, town: Town) -> None:
        """Count OBJ, a row of TOWN that the import creates, changes or leaves alone."""
        if self.enabled:
            self.towns[town.pk] = town
            self.rows.setdefault(town.pk, set()).add(id(obj))

    def add(self, obj, *, town: Town, kind: str, name: str, created: bool = False,
            changes: Iterable[tuple[str, Any, Any, Any]] = ()) -> None:
        """List OBJ as created or changed, adding CHANGES (column, old, new, model field) to those it has."""
        if not self.enabled:
            return
        self.seen(obj, town)
        entry = self.entries.get(id(obj))
        if entry is None:
            entry = self.entries[id(obj)] = PlannedChange(town, kind, name, created)
        entry.changes.extend(changes)

    def by_town(self) -> list[tuple[Town, list[PlannedChange], int]]:
        """Return per town, in display order: its rows created or changed (in the ledger's order), and how many are unchanged."""
        listed: dict[int, list[PlannedChange]] = {}
        for entry in self.entries.values():
            listed.setdefault(entry.town.pk, []).append(entry)
        towns = sorted(self.towns.values(), key=lambda town: (town.display_order, town.name))
        return [(town, listed.get(town.pk, []), len(self.rows[town.pk]) - len(listed.get(town.pk, []))) for town in towns]


@dataclass
class Counts:
    """Rows of one kind the import creates, changes and leaves as they are."""

    created: int = 0
    changed: int = 0
    unchanged: int = 0

    def count(self, *, created: bool = False, changed: bool = False) -> None:
        if created:
            self.created += 1
        elif changed:
            self.changed += 1
        else:
            self.unchanged += 1


@dataclass
class ImportReport:
    """What an import created, changed and left alone, per kind of row; CHANGES lists them when asked for."""

    sites: Counts = field(default_factory=Counts)
    enterprises: Counts = field(default_factory=Counts)
    events: Counts = field(default_factory=Counts)
    dry_run: bool = False
    changes: PlannedChanges = field(default_factory=PlannedChanges)
    examples_skipped: list[tuple[str, int]] = field(default_factory=list)  # (sheet, row) of template examples

    def lines(self) -> list[str]:
        lines = [
            _("%(kind)s: %(created)s created, %(changed)s changed, %(unchanged)s unchanged")
            % {"kind": kind, "created": counts.created, "changed": counts.changed, "unchanged": counts.unchanged}
            for kind, counts in ((_("Sites"), self.sites), (_("Enterprises"), self.enterprises), (_("Events"), self.events))
        ]
        if self.examples_skipped:
            lines.append(self.examples_line())
        return lines

    def examples_line(self) -> str:
        """Say which rows were skipped as the template's examples."""
        return _("Example rows of the template, not imported: %(rows)s") % {
            "rows": "、".join(f"{sheet} " + _("row %(row)s") % {"row": row} for sheet, row in self.examples_skipped)
        }


# The enterprise's values the preview lists by their ledger column, beside the name, town, code, site and categories.
ENTERPRISE_VALUE_COLUMNS = (("disposal", ENT_DISPOSAL), ("annual_energy_tce", ENT_ENERGY_USE),
                             ("energy_freed_tce", ENT_ENERGY_FREED))
SITE_AREA_FIELD = Site._meta.get_field("area_mu")


LEDGER_CATEGORY_NAMES = {category: name for name, category in CATEGORY_NAMES.items()}


def category_names(enterprise: Enterprise) -> str:
    """Return the enterprise's categories as the ledger's 企业类型 cell writes them."""
    return CATEGORY_SEPARATOR.join(
        LEDGER_CATEGORY_NAMES[category] for category in Category if getattr(enterprise, category.value)
    )


def enterprise_changes(enterprise: Enterprise, previous: dict, differing: dict, old_categories: str,
                        stored_site: Site | None, site: Site, town_names: dict[int, str]) -> list[tuple]:
    """Return the preview's (column, old, new, model field) for an enterprise changed from PREVIOUS by DIFFERING."""
    changes = []
    for name, value in differing.items():
        if name == "town_id":
            changes.append((ENT_TOWN, town_names.get(previous[name]), town_names.get(value), None))
        elif name in ENTERPRISE_FIELD_COLUMNS:
            changes.append((ENTERPRISE_FIELD_COLUMNS[name], previous[name], value, Enterprise._meta.get_field(name)))
    new_categories = category_names(enterprise)
    if new_categories != old_categories:
        changes.append((ENT_CATEGORIES, old_categories, new_categories, None))
    if stored_site is not site:
        changes.append((ENT_SITE, stored_site and stored_site.name, site.name, None))
    return changes
