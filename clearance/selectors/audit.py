"""Reads of the audit page: who changed the records behind the figures, when, and what (old → new)."""

import calendar
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import CharField, Exists, Model, OuterRef, Q, QuerySet, Subquery, Value
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..choices import TARGET_METRIC_CHOICES, Indicator, Metric, SizeClass, Stage
from ..formatting import display_value
from ..models import Adjustment, EvaluatedEnterprise, Enterprise, Event, IndicatorRow, Scheme, SchemeWeight, Site, Target, Town

KIND_EVENT, KIND_ENTERPRISE, KIND_SITE, KIND_TARGET = "event", "enterprise", "site", "target"
# The evaluation's records (亩均效益评价): they decide the classes, not the campaign's figures.
KIND_SCHEME, KIND_WEIGHT, KIND_ADJUSTMENT = "scheme", "scheme_weight", "adjustment"
KIND_EVALUATED, KIND_INDICATOR_ROW = "evaluated_enterprise", "indicator_row"
EVALUATION_KINDS = (KIND_SCHEME, KIND_WEIGHT, KIND_ADJUSTMENT, KIND_EVALUATED, KIND_INDICATOR_ROW)
# The records every figure is computed from, in the order the page's kind filter offers them.
AUDITED_MODELS: dict[str, type[Model]] = {
    KIND_EVENT: Event,
    KIND_ENTERPRISE: Enterprise,
    KIND_SITE: Site,
    KIND_TARGET: Target,
    KIND_SCHEME: Scheme,
    KIND_WEIGHT: SchemeWeight,
    KIND_ADJUSTMENT: Adjustment,
    KIND_EVALUATED: EvaluatedEnterprise,
    KIND_INDICATOR_ROW: IndicatorRow,
}
KIND_LABELS = {
    KIND_EVENT: gettext_lazy("Progress event"),
    KIND_ENTERPRISE: gettext_lazy("Enterprise"),
    KIND_SITE: gettext_lazy("Site"),
    KIND_TARGET: gettext_lazy("Target"),
    KIND_SCHEME: gettext_lazy("Evaluation scheme"),
    KIND_WEIGHT: gettext_lazy("Indicator weight"),
    KIND_ADJUSTMENT: gettext_lazy("Evaluation adjustment"),
    KIND_EVALUATED: gettext_lazy("Evaluated enterprise"),
    KIND_INDICATOR_ROW: gettext_lazy("Evaluation data row"),
}
# What an added or deleted record contributed to the figures; a change lists every field that changed.
FIGURE_FIELDS = {
    KIND_EVENT: ("occurred_on",),
    KIND_ENTERPRISE: ("town", "site", "disposal", "energy_freed_tce"),
    KIND_SITE: ("town", "parent", "area_mu"),
    KIND_TARGET: ("value",),
    KIND_SCHEME: ("cap", "cut_a", "cut_b", "cut_c"),
    KIND_WEIGHT: ("weight", "fixed_benchmark"),
    KIND_ADJUSTMENT: ("year", "points", "reason"),
    KIND_EVALUATED: ("town", "credit_code"),
    KIND_INDICATOR_ROW: ("year", "size", "land_mu", "tax_wan", "value_added_wan", "exempt"),
}
# Loaded with each history row (and the row before it), so neither the diff nor the page queries per row.
RELATIONS = {
    KIND_EVENT: ("enterprise__town", "site__town", "recorded_by"),
    KIND_ENTERPRISE: ("town", "site", "responsible_group"),
    KIND_SITE: ("town", "parent"),
    KIND_TARGET: ("town",),
    KIND_SCHEME: (),
    KIND_WEIGHT: ("scheme",),
    KIND_ADJUSTMENT: ("enterprise__town", "created_by"),
    KIND_EVALUATED: ("town",),
    KIND_INDICATOR_ROW: ("enterprise__town",),
}


@dataclass
class AuditEntry:
    """One change to a record behind the figures: who, when, what kind of change, and what changed."""

    when: Any
    user: Any
    action: str  # "+" added, "~" changed, "-" deleted
    kind: str
    subject: str
    town: str
    url: str | None
    changes: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


def kind_of(history_model: type[Model]) -> str:
    """Return the audit kind of a historical model (Event's history → "event")."""
    return next(kind for kind, model in AUDITED_MODELS.items() if model.history.model is history_model)


def audit_histories() -> dict[str, QuerySet]:
    """Return the history of every audited kind, unfiltered, keyed by kind."""
    return {kind: model.history.all() for kind, model in AUDITED_MODELS.items()}


def history_of_town(records: QuerySet, town: Town) -> QuerySet:
    """Keep the history rows of RECORDS that concern TOWN: an event through its enterprise or site, else its town."""
    kind = kind_of(records.model)
    if kind == KIND_EVENT:
        return records.filter(Q(enterprise__town=town) | Q(site__town=town))
    if kind in (KIND_SCHEME, KIND_WEIGHT):
        return records.none()  # a scheme is the whole city's
    if kind in (KIND_ADJUSTMENT, KIND_INDICATOR_ROW):
        return records.filter(enterprise__town=town)
    return records.filter(town=town)


def history_of_figure(records: QuerySet, *, metric: str | None, year: int, month: int | None) -> QuerySet:
    """Keep the history rows of RECORDS behind METRIC (every metric when None) for the period ending with MONTH of YEAR.

    Events: those the metric counts, dated in the period (1 January to the end of MONTH; the whole year without
    MONTH). Enterprises: those closed out in the period (their town and energy move the figures). Sites: those
    vacated in the period (their area is the land figure). Targets: the metric's targets of YEAR.
    """
    start, end = date(year, 1, 1), date(year, month or 12, calendar.monthrange(year, month or 12)[1])
    in_period = Q(occurred_on__gte=start, occurred_on__lte=end)
    counted_events = {
        Metric.ENTERPRISES_RECTIFIED.value: Q(enterprise__isnull=False, stage=Stage.CLOSED),
        Metric.ENERGY_FREED_TCE.value: Q(enterprise__isnull=False, stage=Stage.CLOSED),
        Metric.LAND_VACATED_MU.value: Q(site__isnull=False),
    }
    kind = kind_of(records.model)
    if kind in EVALUATION_KINDS:
        return records.none()  # the evaluation's records are behind the classes, not the campaign's figures
    if kind == KIND_EVENT:
        return records.filter(in_period & counted_events.get(metric, Q()))
    if kind == KIND_ENTERPRISE:
        if metric == Metric.LAND_VACATED_MU:
            return records.none()
        closed = Event.objects.filter(in_period, enterprise_id=OuterRef("id"), stage=Stage.CLOSED)
        return records.filter(Exists(closed))
    if kind == KIND_SITE:
        if metric not in (None, Metric.LAND_VACATED_MU):
            return records.none()
        return records.filter(Exists(Event.objects.filter(in_period, site_id=OuterRef("id"))))
    targets = records.filter(year=year)
    return targets if metric is None else targets.filter(metric=metric)


def history_between(records: QuerySet, *, since: date | None = None, until: date | None = None) -> QuerySet:
    """Keep the history rows of RECORDS written from SINCE to UNTIL, both days included, in local time."""
    if since is not None:
        records = records.filter(history_date__date__gte=since)
    if until is not None:
        records = records.filter(history_date__date__lte=until)
    return records


def audit_rows(histories: dict[str, QuerySet]) -> QuerySet:
    """Return (history_date, history_id, kind) of every row of HISTORIES, newest first, as one UNION query.

    Paginating this costs a count and a slice, whatever the number of rows; audit_entries reads the page.
    """
    parts = [
        records.order_by().annotate(audit_kind=Value(kind, output_field=CharField())).values_list(
            "history_date", "history_id", "audit_kind"
        )
        for kind, records in histories.items()
    ]
    return parts[0].union(*parts[1:], all=True).order_by("-history_date", "-history_id")


def audit_entries(rows) -> list[AuditEntry]:
    """Return the entries of ROWS (from audit_rows), in order: two queries per kind present, whatever the number.

    One query reads the history rows with their relations and the id of the version before each;
    one reads those versions, to diff against.
    """
    ids_by_kind: dict[str, list[int]] = {}
    for _when, history_id, kind in rows:
        ids_by_kind.setdefault(kind, []).append(history_id)
    entries = {}
    for kind, ids in ids_by_kind.items():
        history = AUDITED_MODELS[kind].history
        earlier = history.filter(id=OuterRef("id")).filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        )
        records = list(
            history.filter(history_id__in=ids)
            .select_related("history_user", *RELATIONS[kind])
            .annotate(previous_id=Subquery(earlier.order_by("-history_date", "-history_id").values("history_id")[:1]))
        )
        previous_ids = [record.previous_id for record in records if record.previous_id is not None]
        previous = history.filter(history_id__in=previous_ids).select_related(*RELATIONS[kind]).in_bulk()
        for record in records:
            entries[(kind, record.history_id)] = _entry(kind, record, previous.get(record.previous_id))
    return [entries[(kind, history_id)] for _when, history_id, kind in rows if (kind, history_id) in entries]


def _entry(kind: str, record, before) -> AuditEntry:
    opts = AUDITED_MODELS[kind]._meta
    changes = []
    if record.history_type == "~" and before is not None:
        for change in record.diff_against(before, foreign_keys_are_objs=True).changes:
            field_object = opts.get_field(change.field)
            changes.append((str(field_object.verbose_name), display_value(change.old, field_object),
                            display_value(change.new, field_object)))
    else:
        # What the record brought to the figures, or took away with it; fields left empty say nothing.
        for name in FIGURE_FIELDS[kind]:
            value = _field_value(record, name)
            if value in (None, ""):
                continue
            label, shown = str(opts.get_field(name).verbose_name), display_value(value, opts.get_field(name))
            changes.append((label, shown, "—") if record.history_type == "-" else (label, "—", shown))
    subject, town, url = _describe(kind, record)
    return AuditEntry(when=record.history_date, user=record.history_user, action=record.history_type, kind=kind,
                      subject=subject, town=town, url=url, changes=changes)


def _describe(kind: str, record) -> tuple[str, str, str | None]:
    """Return the subject, the town's name and the page of the record a history row is about."""
    if kind == KIND_EVENT:
        subject_record = _related(record, "enterprise") or _related(record, "site")
        stage = Stage(record.stage).label
        name = str(subject_record) if subject_record else _("(deleted)")
        town = subject_record.town.name if subject_record else ""
        url = subject_record.get_absolute_url() if subject_record else None
        return f"{name} · {stage}", town, url
    if kind == KIND_TARGET:
        town = _related(record, "town")
        subject = f"{record.year} {dict(TARGET_METRIC_CHOICES).get(record.metric, record.metric)}"
        return subject, town.name if town else _("City"), None
    if kind in EVALUATION_KINDS:
        return _describe_evaluation(kind, record)
    town = _related(record, "town")
    url = None if record.history_type == "-" else AUDITED_MODELS[kind](pk=record.id).get_absolute_url()
    return record.name, town.name if town else "", url


def _describe_evaluation(kind: str, record) -> tuple[str, str, str | None]:
    """Return the subject, the town's name and the page of an evaluation record's history row."""
    if kind in (KIND_SCHEME, KIND_WEIGHT):
        scheme = record if kind == KIND_SCHEME else _related(record, "scheme")
        if scheme is None:
            return _("(deleted)"), _("City"), None
        subject = f"{scheme.year} {SizeClass(scheme.size).label}"
        if kind == KIND_WEIGHT:
            subject = f"{subject} · {Indicator(record.indicator).label}"
        return subject, _("City"), reverse("clearance:scheme_update", args=[scheme.year, scheme.size])
    enterprise = record if kind == KIND_EVALUATED else _related(record, "enterprise")
    if enterprise is None:
        return _("(deleted)"), "", None
    subject = enterprise.name if kind == KIND_EVALUATED else f"{enterprise.name} · {record.year}"
    town = _related(enterprise, "town")
    return subject, town.name if town else "", reverse("clearance:evaluation_adjustments", args=[enterprise.id])


def _field_value(record, name: str):
    """Return the value of field NAME of a history row: the related row for a foreign key, else the stored value."""
    return _related(record, name) if record._meta.get_field(name).is_relation else getattr(record, name)


def _related(record, name: str):
    """Return the related row NAME of a history row, or None when there is none (or it was deleted since)."""
    try:
        return getattr(record, name)
    except ObjectDoesNotExist:
        return None
