"""The ledger's set-based write path: load once, decide and validate in memory, write in batches."""

import functools
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.db.models.expressions import DatabaseDefault
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from . import ledger, pgcopy
from .derived import rollup, site_tree
from .choices import Stage
from .models import AttackGroup, Enterprise, Event, Site, Town
from .rules import (
    LEAVING_STAGES,
    attack_group_problem,
    enterprise_event_problem,
    parent_chain_contains,
    site_vacate_problem,
    vacated_site_problem,
)
from .services.base import stored_value

BATCH = 1000
# Per-query limit on ids in an IN (...) list; SQLite builds may refuse more than 999 parameters.
ID_CHUNK = 900

SITE_FIELDS = ("area_mu", "parent", "land_use", "version")
ENTERPRISE_FIELDS = (
    "name", "town", "site", "credit_code", "is_two_high_one_low", "is_high_consumption", "is_low_scattered",
    "is_factory_in_factory", "is_tenant", "disposal", "annual_energy_tce", "energy_freed_tce", "version",
)
EVENT_FIELDS = ("occurred_on", "version")


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class _FieldChecks:
    """Model.clean_fields with each distinct value of a field checked once: a ledger repeats most values thousands of times."""

    def __init__(self):
        self.outcomes: dict[tuple, tuple[bool, object]] = {}

    def errors(self, obj: models.Model, exclude: Iterable[str]) -> dict[str, list]:
        """Clean OBJ's fields but EXCLUDE as clean_fields() does; return the errors per field name."""
        errors = {}
        for field in obj._meta.fields:
            if field.name in exclude or field.generated:
                continue
            raw_value = getattr(obj, field.attname)
            if field.blank and raw_value in field.empty_values:
                continue
            if isinstance(raw_value, DatabaseDefault):
                continue
            # By type and text: Decimal("1.0") == Decimal("1.000"), yet only one has at most two decimals.
            key = (field, type(raw_value), str(raw_value))
            outcome = None if field.is_relation else self.outcomes.get(key)
            if outcome is None:
                try:
                    outcome = (True, field.clean(raw_value, obj))
                except ValidationError as error:
                    outcome = (False, error.error_list)
                if not field.is_relation:
                    self.outcomes[key] = outcome
            valid, result = outcome
            if valid:
                setattr(obj, field.attname, result)
            else:
                errors[field.name] = list(result)
        return errors


def _field_errors(checks: _FieldChecks, obj: models.Model, exclude: Iterable[str],
                  *problems: ValidationError | None) -> ValidationError | None:
    """Return OBJ's field errors and PROBLEMS as one error, in the order full_clean() gives them; None when valid."""
    errors = checks.errors(obj, exclude)
    for problem in problems:
        if problem is not None:
            errors = problem.update_error_dict(errors)
    return ValidationError(errors) if errors else None


class _Layout:
    """MODEL's concrete fields as Model.__init__ takes them by position, with their defaults."""

    def __init__(self, model: type[models.Model]):
        fields = model._meta.concrete_fields
        # A default that is a callable (a fresh list, now()) is called for each row; the others are computed once.
        self.per_row = [(index, field) for index, field in enumerate(fields) if field.has_default() and callable(field.default)]
        self.defaults = [None if field.has_default() and callable(field.default) else field.get_default() for field in fields]
        self.position: dict[str, tuple[int, models.Field | None]] = {}
        for index, field in enumerate(fields):
            self.position[field.attname] = (index, None)
            self.position[field.name] = (index, field if field.is_relation else None)


@functools.cache
def _layout(model: type[models.Model]) -> _Layout:
    return _Layout(model)


def _new(model: type[models.Model], **values) -> models.Model:
    """Return an unsaved MODEL with VALUES (by field name or attname), the rest defaults, as MODEL(**VALUES) would.

    Model.__init__ given every field in order takes its fast path, twice as fast as
    keyword arguments through the related-object descriptors; an import builds tens of thousands.
    """
    layout = _layout(model)
    args = layout.defaults.copy()
    for index, field in layout.per_row:
        args[index] = field.get_default()
    related = []
    for name, value in values.items():
        index, relation = layout.position[name]
        if relation is not None and value is not None:
            related.append((relation, value))
            value = value.pk
        args[index] = value
    obj = model(*args)
    for relation, value in related:
        relation.set_cached_value(obj, value)  # as assigning the object does: bulk_create takes its id once written
    return obj


def _count(counts: "ledger.Counts", *, created: bool = False, changed: bool = False) -> None:
    if created:
        counts.created += 1
    elif changed:
        counts.changed += 1
    else:
        counts.unchanged += 1


class _State:
    """What the database holds for the towns concerned, as the import changes it in memory."""

    def __init__(self, town_ids: set[int], codes: set[str]):
        # The lock: two imports touching the same towns, and an import and a page
        # writing to the same site or enterprise, must not interleave. Row locks
        # (SELECT ... FOR UPDATE, in pk order) on the towns concerned, their sites
        # and enterprises serialise them the way the per-row services'
        # select_for_update does; SQLite serialises writers anyway.
        list(Town.objects.select_for_update().filter(pk__in=town_ids).order_by("pk").values_list("pk", flat=True))
        self.sites: dict[tuple[int, str], Site] = {}
        self.site_by_pk: dict[int, Site] = {}
        for site in Site.objects.select_for_update().filter(town_id__in=town_ids).order_by("pk"):
            self.sites[(site.town_id, site.name)] = site
            self.site_by_pk[site.pk] = site
        # The parent of every site by identity: new sites have no pk until written.
        self.parent_of: dict[int, Site | None] = {
            id(site): self.site_by_pk.get(site.parent_id) for site in self.site_by_pk.values()
        }
        self.site_event: dict[int, Event] = {}
        for event in Event.objects.filter(site__town_id__in=town_ids).order_by():
            self.site_event[id(self.site_by_pk[event.site_id])] = event

        enterprises = list(
            Enterprise.objects.select_for_update()
            .filter(Q(town_id__in=town_ids) | Q(site_id__in=Site.objects.filter(town_id__in=town_ids).values("pk")))
            .order_by("pk")
        )
        known = {enterprise.credit_code for enterprise in enterprises}
        for chunk in _chunks(sorted(codes - known), ID_CHUNK):
            enterprises += Enterprise.objects.select_for_update().filter(credit_code__in=chunk).order_by("pk")
        self.enterprises: list[Enterprise] = enterprises
        # The towns whose figures the import may change: those of its rows, and those that
        # enterprises found by their code are filed under before the import moves them.
        self.town_ids = set(town_ids) | {enterprise.town_id for enterprise in enterprises}
        self.by_code = {enterprise.credit_code: enterprise for enterprise in enterprises if enterprise.credit_code}
        self.by_name = {(enterprise.town_id, enterprise.name): enterprise for enterprise in enterprises}
        self.site_of: dict[int, Site | None] = {
            id(enterprise): self.site_by_pk.get(enterprise.site_id) for enterprise in enterprises
        }
        by_pk = {enterprise.pk: enterprise for enterprise in enterprises}
        self.events: dict[int, dict[int, Event]] = {id(enterprise): {} for enterprise in enterprises}
        for chunk in _chunks(list(by_pk), ID_CHUNK):
            for event in Event.objects.filter(enterprise_id__in=chunk).order_by():
                self.events[id(by_pk[event.enterprise_id])][event.stage] = event
        self._group_towns: dict[int, int] | None = None

    def group_town(self, group_id: int) -> int | None:
        """Return the town of an attack group, loading all the groups' towns once."""
        if self._group_towns is None:
            self._group_towns = dict(AttackGroup.objects.values_list("pk", "task_force__pairing__town_id"))
        return self._group_towns.get(group_id)

    def site_name_elsewhere(self, names: set[str]) -> dict[str, str]:
        """Return, per site name, the first town (in display order) holding a site of that name."""
        found = {}
        for name, town in Site.objects.filter(name__in=names).order_by("town__display_order", "name", "pk").values_list(
            "name", "town__name"
        ):
            found.setdefault(name, town)
        return found


class _Plan:
    """The rows to write: new ones in the order they must be created, changed ones once each."""

    def __init__(self):
        self.new_sites: list[list[Site]] = []  # by depth: parents before the parcels inside them
        self.changed_sites: dict[int, Site] = {}
        self.new_enterprises: list[Enterprise] = []
        self.changed_enterprises: dict[int, Enterprise] = {}
        self.new_events: list[Event] = []
        self.changed_events: dict[int, Event] = {}
        self.depth: dict[int, int] = {}
        self.new_ids: set[int] = set()
        self.field_checks = _FieldChecks()

    def add_site(self, site: Site, parent: Site | None) -> None:
        depth = self.depth[id(parent)] + 1 if parent is not None and id(parent) in self.depth else 0
        self.depth[id(site)] = depth
        while len(self.new_sites) <= depth:
            self.new_sites.append([])
        self.new_sites[depth].append(site)
        self.new_ids.add(id(site))


def ledger_write(site_rows, enterprise_rows, *, user, report, problems, progress, total, dry_run: bool = False) -> None:
    """Write the parsed rows of a ledger as the per-row services would, in a few statements per batch.

    Every rule is checked in memory with the models' own rule functions
    (rules.enterprise_event_problem, site_vacate_problem, …) against what was
    loaded once; problems go to PROBLEMS and then nothing is written.
    """
    done = 0

    def tick():
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    town_ids = {row.town.pk for row in site_rows} | {row.town.pk for row in enterprise_rows}
    state = _State(town_ids, {row.code for row in enterprise_rows if row.code})
    plan = _Plan()
    _plan_sites(site_rows, state, plan, problems, tick, report=report)
    _plan_enterprises(enterprise_rows, state, plan, problems, tick, user=user, report=report)
    _plan_site_events(site_rows, state, plan, problems, user=user, report=report)
    if problems.problems or dry_run:
        return
    try:
        with transaction.atomic():
            if _execute(plan, user=user):
                # bulk_create and bulk_update send no signals, so the site tree and the monthly rollup
                # are recomputed here.
                site_tree.rebuild(town_ids=state.town_ids)
                rollup.rebuild(town_ids=state.town_ids)
    except IntegrityError as error:
        # Only a write made by someone else at the same time can get here (see the locks in _State).
        problems.add(ledger.ENTERPRISES_SHEET, None, "",
                     _("This conflicts with a record saved at the same time: %(error)s") % {"error": error})


def _plan_sites(site_rows, state: _State, plan: _Plan, problems, tick: Callable, *, report) -> None:
    for row in ledger._sites_parents_first(site_rows):
        tick()
        parent = None
        if row.parent_name:
            parent = state.sites.get((row.town.pk, row.parent_name))
            if parent is None:
                problems.add(ledger.SITES_SHEET, row.row, ledger.SITE_PARENT,
                             _("Unknown containing area “%(name)s” in %(town)s.") % {"name": row.parent_name, "town": row.town.name})
                continue
        key = (row.town.pk, row.name)
        values = dict(
            (stored_value(Site, name, value)) for name, value in (("area_mu", row.area), ("land_use", row.land_use))
        )
        site = state.sites.get(key)
        if site is None:
            site = _new(Site, town=row.town, name=row.name, **values)
            error = _field_errors(plan.field_checks, site, ("town", "parent"))
            if error is not None:
                _report(problems, ledger.SITES_SHEET, row.row, error, ledger.SITE_FIELD_COLUMNS)
                continue
            site.parent = parent
            state.sites[key] = site
            state.parent_of[id(site)] = parent
            plan.add_site(site, parent)
            _count(report.sites, created=True)
            continue
        differing = {name: value for name, value in values.items() if getattr(site, name) != value}
        parent_differs = state.parent_of.get(id(site)) is not parent
        if not differing and not parent_differs:
            _count(report.sites)
            continue
        previous = {name: getattr(site, name) for name in (*differing, "version")}
        for name, value in differing.items():
            setattr(site, name, value)
        site.version += 1
        cycle = None
        if parent is not None and parent_chain_contains(site, parent, lambda node: state.parent_of.get(id(node))):
            cycle = ValidationError({"parent": ValidationError(_("A site cannot lie inside itself."), code="parent_cycle")})
        error = _field_errors(plan.field_checks, site, ("town", "parent"), cycle)
        if error is not None:
            for name, value in previous.items():
                setattr(site, name, value)
            _report(problems, ledger.SITES_SHEET, row.row, error, ledger.SITE_FIELD_COLUMNS)
            continue
        if parent_differs:
            site.parent = parent
            state.parent_of[id(site)] = parent
        if id(site) not in plan.new_ids:
            plan.changed_sites[id(site)] = site
        _count(report.sites, changed=True)


def _plan_enterprises(enterprise_rows, state: _State, plan: _Plan, problems, tick: Callable, *, user, report) -> None:
    elsewhere = state.site_name_elsewhere({row.site_name for row in enterprise_rows})
    # A site new in this ledger counts as elsewhere too, after the sites already stored.
    for (_town_id, name), site in state.sites.items():
        if site.pk is None:
            elsewhere.setdefault(name, site.town.name)
    for row in enterprise_rows:
        tick()
        site = state.sites.get((row.town.pk, row.site_name))
        if site is None:
            other = elsewhere.get(row.site_name)
            reason = (
                _("The site “%(site)s” belongs to %(other)s, not to %(town)s.") % {"site": row.site_name, "other": other, "town": row.town.name}
                if other else _("Unknown site “%(site)s” in %(town)s.") % {"site": row.site_name, "town": row.town.name}
            )
            problems.add(ledger.ENTERPRISES_SHEET, row.row, ledger.ENT_SITE, reason)
            continue
        enterprise = _plan_enterprise(row, site, state, plan, problems, report)
        if enterprise is None:
            continue
        _plan_enterprise_events(row, enterprise, site, state, plan, problems, user=user, report=report)


def _plan_enterprise(row, site: Site, state: _State, plan: _Plan, problems, report) -> Enterprise | None:
    values = dict(stored_value(Enterprise, name, value) for name, value in row.fields.items())
    enterprise = state.by_code.get(row.code) if row.code else None
    if enterprise is not None:
        # The code is the key: the ledger may correct the name and town it is filed under.
        values.update(name=row.name, town_id=row.town.pk)
    else:
        if row.code:
            values["credit_code"] = row.code
        enterprise = state.by_name.get((row.town.pk, row.name))
    if enterprise is None:
        enterprise = _new(Enterprise, town=row.town, name=row.name, **values)
        error = _field_errors(
            plan.field_checks, enterprise, ("town", "site", "responsible_group"),
            ValidationError({"site": problem}) if (problem := _vacated(state, None, site)) is not None else None,
        )
        if error is not None:
            _report(problems, ledger.ENTERPRISES_SHEET, row.row, error, ledger.ENTERPRISE_FIELD_COLUMNS)
            return None
        enterprise.site = site
        state.by_name[(row.town.pk, row.name)] = enterprise
        if enterprise.credit_code:
            state.by_code[enterprise.credit_code] = enterprise
        state.site_of[id(enterprise)] = site
        state.events[id(enterprise)] = {}
        state.enterprises.append(enterprise)
        plan.new_enterprises.append(enterprise)
        plan.new_ids.add(id(enterprise))
        _count(report.enterprises, created=True)
        return enterprise
    stored_site = state.site_of.get(id(enterprise))
    differing = {name: value for name, value in values.items() if getattr(enterprise, name) != value}
    site_differs = stored_site is not site
    if not differing and not site_differs:
        _count(report.enterprises)
        return enterprise
    old_key, old_code = (enterprise.town_id, enterprise.name), enterprise.credit_code
    previous = {name: getattr(enterprise, name) for name in (*differing, "version")}
    for name, value in differing.items():
        setattr(enterprise, name, value)
    enterprise.version += 1
    errors = []
    if site_differs and (problem := _vacated(state, stored_site, site)) is not None:
        errors.append(ValidationError({"site": problem}))
    if enterprise.responsible_group_id and state.group_town(enterprise.responsible_group_id) != enterprise.town_id:
        errors.append(ValidationError({"responsible_group": attack_group_problem()}))
    new_key = (enterprise.town_id, enterprise.name)
    holder = state.by_name.get(new_key)
    if holder is not None and holder is not enterprise:
        errors.append(ValidationError(
            _("This conflicts with a record saved at the same time: %(error)s")
            % {"error": enterprise.unique_error_message(Enterprise, ("town", "name")).messages[0]}
        ))
    error = _field_errors(plan.field_checks, enterprise, ("town", "site", "responsible_group"), *errors)
    if error is not None:
        for name, value in previous.items():
            setattr(enterprise, name, value)
        _report(problems, ledger.ENTERPRISES_SHEET, row.row, error, ledger.ENTERPRISE_FIELD_COLUMNS)
        return None
    if site_differs:
        enterprise.site = site
        state.site_of[id(enterprise)] = site
    if new_key != old_key:
        state.by_name.pop(old_key, None)
        state.by_name[new_key] = enterprise
    if enterprise.credit_code != old_code:
        state.by_code.pop(old_code, None)
        if enterprise.credit_code:
            state.by_code[enterprise.credit_code] = enterprise
    if id(enterprise) not in plan.new_ids:
        plan.changed_enterprises[id(enterprise)] = enterprise
    _count(report.enterprises, changed=True)
    return enterprise


def _vacated(state: _State, stored_site: Site | None, site: Site) -> ValidationError | None:
    return vacated_site_problem(
        site_vacated=id(site) in state.site_event,
        stored_site_id=id(stored_site) if stored_site is not None else None,
        site_id=id(site),
        site_name=site.name,
    )


def _plan_enterprise_events(row, enterprise: Enterprise, site: Site, state: _State, plan: _Plan, problems, *, user,
                            report) -> None:
    events = state.events[id(enterprise)]
    site_event = state.site_event.get(id(site))
    for stage, column in ledger.STAGE_COLUMNS:
        on = row.dates.get(stage)
        if on is None:
            continue
        existing = events.get(stage)
        if existing is not None and existing.occurred_on == on:
            _count(report.events)
            continue
        others = {other: event.occurred_on for other, event in events.items() if other != stage}
        problem = enterprise_event_problem(
            stage, on, others, disposal=enterprise.disposal,
            site_vacated_on=site_event.occurred_on if site_event is not None else None, site_name=site.name,
        )
        event = existing if existing is not None else _new(
            Event, enterprise=enterprise, stage=stage, occurred_on=on, recorded_by=user
        )
        previous = (event.occurred_on, event.version)
        if existing is not None:
            event.occurred_on, event.version = on, event.version + 1
        # The event's fields come from the cell parsers (a date, not in the future; a fixed stage): only the rules remain.
        error = problem
        if error is not None:
            event.occurred_on, event.version = previous
            for _name, message in ledger._errors_of(error):
                problems.add(ledger.ENTERPRISES_SHEET, row.row, column, message)
            break
        if existing is None:
            events[stage] = event
            plan.new_events.append(event)
            plan.new_ids.add(id(event))
            _count(report.events, created=True)
        else:
            if id(event) not in plan.new_ids:
                plan.changed_events[id(event)] = event
            _count(report.events, changed=True)


def _plan_site_events(site_rows, state: _State, plan: _Plan, problems, *, user, report) -> None:
    on_site: dict[int, list[Enterprise]] = {}
    for enterprise in state.enterprises:
        site = state.site_of.get(id(enterprise))
        if site is not None:
            on_site.setdefault(id(site), []).append(enterprise)

    def out_on(enterprise: Enterprise) -> date | None:
        dates = [event.occurred_on for stage, event in state.events[id(enterprise)].items() if stage in LEAVING_STAGES]
        return min(dates) if dates else None

    for row in site_rows:
        site = state.sites.get((row.town.pk, row.name))
        if row.vacated_on is None or site is None:
            continue
        existing = state.site_event.get(id(site))
        if existing is not None and existing.occurred_on == row.vacated_on:
            _count(report.events)
            continue
        problem = site_vacate_problem(
            row.vacated_on, [(enterprise.name, out_on(enterprise)) for enterprise in on_site.get(id(site), ())]
        )
        event = existing if existing is not None else _new(
            Event, site=site, stage=Stage.VACATED, occurred_on=row.vacated_on, recorded_by=user
        )
        previous = (event.occurred_on, event.version)
        if existing is not None:
            event.occurred_on, event.version = row.vacated_on, event.version + 1
        # The event's fields come from the cell parsers (a date, not in the future; a fixed stage): only the rules remain.
        error = problem
        if error is not None:
            event.occurred_on, event.version = previous
            for _name, message in ledger._errors_of(error):
                problems.add(ledger.SITES_SHEET, row.row, ledger.SITE_VACATED, message)
            continue
        if existing is None:
            state.site_event[id(site)] = event
            plan.new_events.append(event)
            _count(report.events, created=True)
        else:
            plan.changed_events[id(event)] = event
            _count(report.events, changed=True)


def _report(problems, sheet: str, row: int, error: ValidationError, columns: dict[str, str]) -> None:
    for name, message in ledger._errors_of(error):
        problems.add(sheet, row, columns.get(name, ""), message)


def _execute(plan: _Plan, *, user) -> bool:
    """Write the plan: sites parents first, then enterprises, then events, each with its history rows.

    Return whether anything was written.
    """
    history_user = user if user is not None and user.is_authenticated else None
    writer = _CopyWriter(history_user) if connection.vendor == "postgresql" else _OrmWriter(history_user)
    for level in plan.new_sites:
        writer.create(Site, level)
    writer.update(Site, plan.changed_sites.values(), SITE_FIELDS)
    # Changed enterprises first: one may leave the (town, name) a new one takes.
    writer.update(Enterprise, plan.changed_enterprises.values(), ENTERPRISE_FIELDS)
    writer.create(Enterprise, plan.new_enterprises)
    writer.update(Event, plan.changed_events.values(), EVENT_FIELDS)
    writer.create(Event, plan.new_events)
    return bool(
        any(plan.new_sites) or plan.changed_sites or plan.new_enterprises or plan.changed_enterprises
        or plan.new_events or plan.changed_events
    )


class _OrmWriter:
    """Batched INSERT and UPDATE statements through the ORM, with simple_history's bulk helpers."""

    def __init__(self, history_user):
        self.history_user = history_user

    def create(self, model, objs: list) -> None:
        # bulk_create points each foreign key given as an object at the row written by an earlier batch.
        for chunk in _chunks(objs, BATCH):
            bulk_create_with_history(chunk, model, batch_size=BATCH, default_user=self.history_user)

    def update(self, model, objs: Iterable, fields: tuple[str, ...]) -> None:
        for chunk in _chunks(list(objs), BATCH):
            bulk_update_with_history(chunk, model, fields, batch_size=BATCH, default_user=self.history_user)


class _CopyWriter(_OrmWriter):
    """PostgreSQL: new rows and all history rows streamed with COPY, ids drawn from the table's sequence first.

    Building a model instance per history row and an INSERT with a parameter per
    value cost most of an import's time; COPY takes the rows as text in one stream.
    """

    def create(self, model, objs: list) -> None:
        if not objs:
            return
        meta = model._meta
        ids = pgcopy.reserve_ids(meta.db_table, len(objs), meta.pk.column)
        pk_name, alias = meta.pk.attname, connection.alias
        for obj, pk in zip(objs, ids):
            obj.__dict__[pk_name] = pk
            obj._state.adding, obj._state.db = False, alias
        for field in meta.local_concrete_fields:
            if getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
                # One moment for the whole batch, where bulk_create would take the clock once per row.
                now = field.pre_save(objs[0], add=True)
                for obj in objs:
                    obj.__dict__[field.attname] = now
            elif field.is_relation:
                _point_at_written(field, objs)
        fields = meta.local_concrete_fields
        _copy(meta.db_table, {field.column: list(map(attrgetter(field.attname), objs)) for field in fields})
        self._history(model, objs, "+")

    def update(self, model, objs: Iterable, fields: tuple[str, ...]) -> None:
        objs = list(objs)
        if not objs:
            return
        model.objects.bulk_update(objs, fields, batch_size=BATCH)
        self._history(model, objs, "~")

    def _history(self, model, objs: list, history_type: str) -> None:
        """Write a history row per object, as simple_history's bulk_history_create would."""
        historical = model.history.model
        user = self.history_user if self.history_user is not None else historical.get_default_history_user(objs[0])
        columns = {
            historical._meta.get_field(field.name).column: list(map(attrgetter(field.attname), objs))
            for field in historical.tracked_fields
        }
        _copy(historical._meta.db_table, columns, same_for_all={
            "history_date": timezone.now(), "history_change_reason": "", "history_type": history_type,
            "history_user_id": user.pk if user is not None else None,
        })


def _point_at_written(field: models.ForeignKey, objs: list) -> None:
    """Set FIELD's id on OBJS from the related object each was given, written since, as bulk_create does."""
    attname = field.attname
    for obj in objs:
        if obj.__dict__[attname] is None and (related := field.get_cached_value(obj, default=None)) is not None:
            if related.pk is None:
                raise ValueError(f"{field.name} of {obj!r} was never written")
            obj.__dict__[attname] = related.pk  # past the descriptor, which would drop the cached object


_COPY_ESCAPES, _COPY_NULL = pgcopy.TEXT_ESCAPES, pgcopy.NULL


def _copy_text(value) -> str:
    """Return VALUE in COPY's text format."""
    if value is None:
        return _COPY_NULL
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, date):  # and datetime: aware datetimes keep their offset
        return value.isoformat()
    raise TypeError(f"No COPY text for {type(value).__name__}")


def _copy_column(values: list) -> list[str]:
    """Return a column of VALUES in COPY's text format: one comprehension per kind of value, not a call per value."""
    kinds = set(map(type, values)) - {type(None)}
    if kinds <= {str}:
        return [_COPY_NULL if value is None else value.translate(_COPY_ESCAPES) for value in values]
    if kinds <= {int, Decimal}:
        return [_COPY_NULL if value is None else str(value) for value in values]
    if kinds <= {bool}:
        return [_COPY_NULL if value is None else ("t" if value else "f") for value in values]
    if kinds <= {date} or kinds <= {datetime}:
        # A ledger's dates repeat: format each once.
        texts = {value: value.isoformat() for value in set(values) if value is not None}
        return [_COPY_NULL if value is None else texts[value] for value in values]
    return list(map(_copy_text, values))


def _copy(table: str, columns: dict[str, list], same_for_all: dict[str, object] | None = None) -> None:
    """COPY the rows given as COLUMNS (name: values), each with the values of SAME_FOR_ALL, into TABLE in one stream."""
    suffix = "".join("\t" + _copy_text(value) for value in (same_for_all or {}).values()) + "\n"
    text = "".join(line + suffix for line in map("\t".join, zip(*map(_copy_column, columns.values()))))
    sql = pgcopy.copy_statement(table, [*columns, *(same_for_all or {})])
    with connection.cursor() as cursor, connection.wrap_database_errors:
        pgcopy.copy_text(cursor.cursor, sql, text)
