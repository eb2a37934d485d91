"""A record's changes as its page shows them: who, when, and each field's old and new value."""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from ..choices import Indicator, Stage
from ..formatting import display_value
from ..models import Adjustment, EvaluatedEnterprise, Enterprise, Event, IndicatorRow, Scheme, SchemeWeight, Site


@dataclass
class HistoryEntry:
    """One change of a record as its page shows it: who, when, what, and each field's old and new value."""

    when: Any
    user: Any
    kind: str  # "+" created, "~" changed, "-" deleted
    subject: str
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)


def change_history(records: QuerySet, *, describe, limit: int = 50) -> list[HistoryEntry]:
    """Return the latest LIMIT historical RECORDS, newest first, each diffed against the record before it.

    DESCRIBE(record) names the record's subject. Two queries: the latest
    records, then every earlier version of the same rows; foreign keys come
    with RECORDS' select_related, so the diff reads no more.
    """
    latest = list(records.order_by("-history_date", "-history_id")[:limit])
    ids = {record.id for record in latest}
    earlier: dict[int, list] = {}
    for record in records.model.objects.filter(id__in=ids).select_related(*_history_relations(records)).order_by(
        "history_date", "history_id"
    ):
        earlier.setdefault(record.id, []).append(record)
    entries = []
    for record in latest:
        versions = earlier.get(record.id, [])
        position = next((i for i, each in enumerate(versions) if each.history_id == record.history_id), 0)
        changes = []
        if record.history_type == "~" and position > 0:
            delta = record.diff_against(versions[position - 1], foreign_keys_are_objs=True)
            for change in delta.changes:
                field_object = records.model._meta.get_field(change.field)
                changes.append((field_object.verbose_name, display_value(change.old, field_object),
                                display_value(change.new, field_object)))
            if not changes:
                continue  # a save that changed nothing shown (the version only)
        entries.append(
            HistoryEntry(when=record.history_date, user=record.history_user, kind=record.history_type,
                         subject=describe(record), changes=changes)
        )
    return entries


def _history_relations(records: QuerySet) -> list[str]:
    related = records.query.select_related
    return list(related) if isinstance(related, dict) else []


def _event_subject(record) -> str:
    stage = Stage(record.stage).label
    subject = record.enterprise or record.site
    return f"{subject} · {stage}" if subject else str(stage)


def site_history(*, site: Site, limit: int = 50) -> list[HistoryEntry]:
    """Return the latest changes of SITE and of the events of it and its enterprises, deleted events included."""
    site_records = Site.history.filter(id=site.pk).select_related("history_user", "town", "parent")
    # The enterprises' ids first (the site page has them prefetched): two indexed lookups in the history,
    # where an OR across the history row and its enterprise's site would scan every event's history.
    enterprise_ids = [enterprise.pk for enterprise in site.enterprises.all()]
    event_records = Event.history.filter(Q(site_id=site.pk) | Q(enterprise_id__in=enterprise_ids)).select_related(
        "history_user", "enterprise", "site"
    )
    entries = change_history(site_records, describe=lambda record: record.name, limit=limit)
    entries += change_history(event_records, describe=_event_subject, limit=limit)
    return sorted(entries, key=lambda entry: entry.when, reverse=True)[:limit]


def enterprise_history(*, enterprise: Enterprise, limit: int = 50) -> list[HistoryEntry]:
    """Return the latest changes of ENTERPRISE and of its events, deleted events included."""
    records = Enterprise.history.filter(id=enterprise.pk).select_related(
        "history_user", "town", "site", "responsible_group"
    )
    event_records = Event.history.filter(enterprise_id=enterprise.pk).select_related("history_user", "enterprise")
    entries = change_history(records, describe=lambda record: record.name, limit=limit)
    entries += change_history(event_records, describe=_event_subject, limit=limit)
    return sorted(entries, key=lambda entry: entry.when, reverse=True)[:limit]


def scheme_history(*, scheme: Scheme, limit: int = 50) -> list[HistoryEntry]:
    """Return the latest changes of SCHEME (cap, cut-offs) and of its weights and fixed benchmarks, newest first."""
    scheme_records = Scheme.history.filter(id=scheme.pk).select_related("history_user")
    weight_records = SchemeWeight.history.filter(scheme_id=scheme.pk).select_related("history_user")
    entries = change_history(scheme_records, describe=str, limit=limit)
    entries += change_history(weight_records, describe=lambda record: Indicator(record.indicator).label, limit=limit)
    return sorted(entries, key=lambda entry: entry.when, reverse=True)[:limit]


def indicator_row_history(*, row: IndicatorRow, limit: int = 50) -> list[HistoryEntry]:
    """Return the latest changes of the evaluation data ROW (its figures, size class, exemption), newest first."""
    records = IndicatorRow.history.filter(id=row.pk).select_related("history_user", "enterprise")
    return change_history(records, describe=lambda record: f"{record.enterprise} {record.year}", limit=limit)


def adjustment_history(*, enterprise: EvaluatedEnterprise, limit: int = 50) -> list[HistoryEntry]:
    """Return the latest adjustments of ENTERPRISE added and removed, newest first."""
    records = Adjustment.history.filter(enterprise_id=enterprise.pk).select_related("history_user")
    return change_history(records, describe=lambda record: f"{record.year} {record.points:+} {record.reason}", limit=limit)
