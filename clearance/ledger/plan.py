"""Planning a ledger's writes: what to create and change, every rule checked in memory against what is stored."""

from collections.abc import Callable, Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _

from ..choices import Stage
from ..models import AttackGroup, Enterprise, Event, ReportingPeriod, Site, Town
from ..rules import (
    LEAVING_STAGES,
    attack_group_problem,
    enterprise_event_problem,
    parent_chain_contains,
    site_vacate_problem,
    vacated_site_problem,
)
from ..services.base import stored_value
from .columns import (
    ENT_CATEGORIES,
    ENT_CODE,
    ENT_SITE,
    ENTERPRISES_SHEET,
    SITE_AREA,
    SITE_LAND_USE,
    SITE_PARENT,
    SITE_VACATED,
    SITES_SHEET,
    STAGE_COLUMNS,
)
from .parse import (
    ENTERPRISE_FIELD_COLUMNS,
    SITE_FIELD_COLUMNS,
    EnterpriseRow,
    ProblemCollector,
    SiteRow,
    errors_of,
    sites_parents_first,
)
from .report import ENTERPRISE_VALUE_COLUMNS, SITE_AREA_FIELD, ImportReport, category_names, enterprise_changes

# Per-query limit on ids in an IN (...) list; SQLite builds may refuse more than 999 parameters.
ID_CHUNK = 900


def chunks(items: list, size: int) -> Iterable[list]:
    """Yield ITEMS in lists of SIZE, the last one shorter."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def model_errors(obj: models.Model, exclude: tuple[str, ...], *problems: ValidationError | None) -> ValidationError | None:
    """Return OBJ's field errors (Model.clean_fields, but EXCLUDE) and PROBLEMS as one error, as full_clean() orders them; None when valid."""
    errors: dict = {}
    try:
        obj.clean_fields(exclude=exclude)
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    for problem in problems:
        if problem is not None:
            errors = problem.update_error_dict(errors)
    return ValidationError(errors) if errors else None


class LedgerState:
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
        for chunk in chunks(sorted(codes - known), ID_CHUNK):
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
        for chunk in chunks(list(by_pk), ID_CHUNK):
            for event in Event.objects.filter(enterprise_id__in=chunk).order_by():
                self.events[id(by_pk[event.enterprise_id])][event.stage] = event
        self._group_towns: dict[int, int] | None = None
        self.closed_months = set(ReportingPeriod.objects.filter(closed=True).values_list("year", "month"))

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


class LedgerPlan:
    """The rows to write: new ones in the order they must be created, changed ones once each."""

    def __init__(self, *, town_ids: set[int]):
        self.town_ids = town_ids
        self.new_sites: list[list[Site]] = []  # by depth: parents before the parcels inside them
        self.changed_sites: dict[int, Site] = {}
        self.new_enterprises: list[Enterprise] = []
        self.changed_enterprises: dict[int, Enterprise] = {}
        self.new_events: list[Event] = []
        self.changed_events: dict[int, Event] = {}
        self.depth: dict[int, int] = {}
        self.new_ids: set[int] = set()

    def add_site(self, site: Site, parent: Site | None) -> None:
        depth = self.depth[id(parent)] + 1 if parent is not None and id(parent) in self.depth else 0
        self.depth[id(site)] = depth
        while len(self.new_sites) <= depth:
            self.new_sites.append([])
        self.new_sites[depth].append(site)
        self.new_ids.add(id(site))

    def is_empty(self) -> bool:
        """Return whether the plan writes nothing: every row is stored as the ledger has it."""
        return not (any(self.new_sites) or self.changed_sites or self.new_enterprises or self.changed_enterprises
                    or self.new_events or self.changed_events)


def ledger_plan(*, site_rows: list[SiteRow], enterprise_rows: list[EnterpriseRow], user, report: ImportReport,
                problems: ProblemCollector, progress: Callable[[int, int], None] | None = None) -> LedgerPlan:
    """Return what writing the parsed rows changes, as the per-row services would change it; count it in REPORT.

    Every rule is checked in memory with the models' own field validation
    (Model.clean_fields) and the rule functions of clearance.rules, against what
    is loaded once, with row locks on the towns concerned; each bad row goes
    to PROBLEMS. PLAN.town_ids are the towns whose figures the writes may change.
    """
    done, total = 0, len(site_rows) + len(enterprise_rows)

    def tick():
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    town_ids = {row.town.pk for row in site_rows} | {row.town.pk for row in enterprise_rows}
    state = LedgerState(town_ids, {row.code for row in enterprise_rows if row.code})
    plan = LedgerPlan(town_ids=state.town_ids)
    _plan_sites(site_rows, state, plan, problems, tick, report=report)
    _plan_enterprises(enterprise_rows, state, plan, problems, tick, user=user, report=report)
    _plan_site_events(site_rows, state, plan, problems, user=user, report=report)
    return plan


def _plan_sites(site_rows, state: LedgerState, plan: LedgerPlan, problems, tick: Callable, *, report) -> None:
    for row in sites_parents_first(site_rows):
        tick()
        parent = None
        if row.parent_name:
            parent = state.sites.get((row.town.pk, row.parent_name))
            if parent is None:
                problems.add(SITES_SHEET, row.row, SITE_PARENT,
                             _("Unknown containing area “%(name)s” in %(town)s.") % {"name": row.parent_name, "town": row.town.name})
                continue
        key = (row.town.pk, row.name)
        values = dict(
            (stored_value(Site, name, value)) for name, value in (("area_mu", row.area), ("land_use", row.land_use))
        )
        site = state.sites.get(key)
        if site is None:
            site = Site(town=row.town, name=row.name, **values)
            error = model_errors(site, ("town", "parent"))
            if error is not None:
                _report(problems, SITES_SHEET, row.row, error, SITE_FIELD_COLUMNS)
                continue
            site.parent = parent
            state.sites[key] = site
            state.parent_of[id(site)] = parent
            plan.add_site(site, parent)
            report.sites.count(created=True)
            if report.changes.enabled:
                report.changes.add(site, town=row.town, kind=SITES_SHEET, name=row.name, created=True, changes=[
                    (SITE_AREA, None, site.area_mu, SITE_AREA_FIELD), (SITE_PARENT, None, parent and parent.name, None),
                    (SITE_LAND_USE, None, site.land_use, None),
                ])
            continue
        differing = {name: value for name, value in values.items() if getattr(site, name) != value}
        stored_parent = state.parent_of.get(id(site))
        parent_differs = stored_parent is not parent
        if not differing and not parent_differs:
            report.sites.count()
            report.changes.seen(site, row.town)
            continue
        previous = {name: getattr(site, name) for name in (*differing, "version")}
        for name, value in differing.items():
            setattr(site, name, value)
        site.version += 1
        cycle = None
        if parent is not None and parent_chain_contains(site, parent, lambda node: state.parent_of.get(id(node))):
            cycle = ValidationError({"parent": ValidationError(_("A site cannot lie inside itself."), code="parent_cycle")})
        error = model_errors(site, ("town", "parent"), cycle)
        if error is not None:
            for name, value in previous.items():
                setattr(site, name, value)
            _report(problems, SITES_SHEET, row.row, error, SITE_FIELD_COLUMNS)
            continue
        if parent_differs:
            site.parent = parent
            state.parent_of[id(site)] = parent
        if id(site) not in plan.new_ids:
            plan.changed_sites[id(site)] = site
        report.sites.count(changed=True)
        if report.changes.enabled:
            changes = [(SITE_FIELD_COLUMNS[name], previous[name], value, Site._meta.get_field(name))
                       for name, value in differing.items()]
            if parent_differs:
                changes.append((SITE_PARENT, stored_parent and stored_parent.name, parent and parent.name, None))
            report.changes.add(site, town=row.town, kind=SITES_SHEET, name=row.name, changes=changes)


def _plan_enterprises(enterprise_rows, state: LedgerState, plan: LedgerPlan, problems, tick: Callable, *, user, report) -> None:
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
            problems.add(ENTERPRISES_SHEET, row.row, ENT_SITE, reason)
            continue
        enterprise = _plan_enterprise(row, site, state, plan, problems, report)
        if enterprise is None:
            continue
        _plan_enterprise_events(row, enterprise, site, state, plan, problems, user=user, report=report)


def _plan_enterprise(row, site: Site, state: LedgerState, plan: LedgerPlan, problems, report) -> Enterprise | None:
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
        enterprise = Enterprise(town=row.town, name=row.name, **values)
        error = model_errors(
            enterprise, ("town", "site", "responsible_group"),
            ValidationError({"site": problem}) if (problem := _vacated(state, None, site)) is not None else None,
        )
        if error is not None:
            _report(problems, ENTERPRISES_SHEET, row.row, error, ENTERPRISE_FIELD_COLUMNS)
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
        report.enterprises.count(created=True)
        if report.changes.enabled:
            report.changes.add(enterprise, town=row.town, kind=ENTERPRISES_SHEET, name=row.name, created=True, changes=[
                (ENT_CODE, None, enterprise.credit_code, None), (ENT_SITE, None, site.name, None),
                (ENT_CATEGORIES, None, category_names(enterprise), None),
                *((column, None, getattr(enterprise, name), Enterprise._meta.get_field(name))
                  for name, column in ENTERPRISE_VALUE_COLUMNS if getattr(enterprise, name)),
            ])
        return enterprise
    stored_site = state.site_of.get(id(enterprise))
    differing = {name: value for name, value in values.items() if getattr(enterprise, name) != value}
    site_differs = stored_site is not site
    if not differing and not site_differs:
        report.enterprises.count()
        report.changes.seen(enterprise, row.town)
        return enterprise
    old_key, old_code = (enterprise.town_id, enterprise.name), enterprise.credit_code
    previous = {name: getattr(enterprise, name) for name in (*differing, "version")}
    old_categories = category_names(enterprise) if report.changes.enabled else ""
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
    error = model_errors(enterprise, ("town", "site", "responsible_group"), *errors)
    if error is not None:
        for name, value in previous.items():
            setattr(enterprise, name, value)
        _report(problems, ENTERPRISES_SHEET, row.row, error, ENTERPRISE_FIELD_COLUMNS)
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
    report.enterprises.count(changed=True)
    if report.changes.enabled:
        report.changes.add(enterprise, town=row.town, kind=ENTERPRISES_SHEET, name=row.name, changes=enterprise_changes(
            enterprise, previous, differing, old_categories, stored_site, site, report.changes.town_names,
        ))
    return enterprise


def _vacated(state: LedgerState, stored_site: Site | None, site: Site) -> ValidationError | None:
    return vacated_site_problem(
        site_vacated=id(site) in state.site_event,
        stored_site_id=id(stored_site) if stored_site is not None else None,
        site_id=id(site),
        site_name=site.name,
    )


def closed_month_problem(dates: Iterable[date], closed_months: set[tuple[int, int]]) -> ValidationError | None:
    """Refuse an event the import would record, move or move away in a closed month (its figures published).

    Why refuse rather than write it with a note of its own: a ledger has no column saying why a published
    month changes, and a spreadsheet of a thousand rows is not how a late correction should slip into figures
    already reported to Jiaxing. The row is named; its change is made on the page, with the note it needs.
    Re-importing the same ledger touches no event, so it is never refused for this.
    """
    months = sorted({(on.year, on.month) for on in dates} & closed_months)
    if not months:
        return None
    year, month = months[0]
    return ValidationError(
        _("%(month)s is closed and its figures are published: this date cannot change by import; record it on the "
          "page, with a note saying why.") % {"month": _("%(year)s, month %(month)s") % {"year": year, "month": month}},
        code="closed_period_import",
    )


def _plan_enterprise_events(row, enterprise: Enterprise, site: Site, state: LedgerState, plan: LedgerPlan, problems, *, user,
                            report) -> None:
    events = state.events[id(enterprise)]
    site_event = state.site_event.get(id(site))
    for stage, column in STAGE_COLUMNS:
        on = row.dates.get(stage)
        if on is None:
            continue
        existing = events.get(stage)
        if existing is not None and existing.occurred_on == on:
            report.events.count()
            continue
        others = {other: event.occurred_on for other, event in events.items() if other != stage}
        problem = enterprise_event_problem(
            stage, on, others, disposal=enterprise.disposal,
            site_vacated_on=site_event.occurred_on if site_event is not None else None, site_name=site.name,
        ) or closed_month_problem([on] + ([existing.occurred_on] if existing else []), state.closed_months)
        event = existing if existing is not None else Event(
            enterprise=enterprise, stage=stage, occurred_on=on, recorded_by=user
        )
        previous = (event.occurred_on, event.version)
        if existing is not None:
            event.occurred_on, event.version = on, event.version + 1
        # The event's fields come from the cell parsers (a date, not in the future; a fixed stage): only the rules remain.
        error = problem
        if error is not None:
            event.occurred_on, event.version = previous
            for _name, message in errors_of(error):
                problems.add(ENTERPRISES_SHEET, row.row, column, message)
            break
        if existing is None:
            events[stage] = event
            plan.new_events.append(event)
            plan.new_ids.add(id(event))
            report.events.count(created=True)
        else:
            if id(event) not in plan.new_ids:
                plan.changed_events[id(event)] = event
            report.events.count(changed=True)
        report.changes.add(enterprise, town=row.town, kind=ENTERPRISES_SHEET, name=enterprise.name,
                           changes=[(column, previous[0] if existing is not None else None, on, None)])


def _plan_site_events(site_rows, state: LedgerState, plan: LedgerPlan, problems, *, user, report) -> None:
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
            report.events.count()
            continue
        problem = site_vacate_problem(
            row.vacated_on, [(enterprise.name, out_on(enterprise)) for enterprise in on_site.get(id(site), ())]
        ) or closed_month_problem([row.vacated_on] + ([existing.occurred_on] if existing else []), state.closed_months)
        event = existing if existing is not None else Event(
            site=site, stage=Stage.VACATED, occurred_on=row.vacated_on, recorded_by=user
        )
        previous = (event.occurred_on, event.version)
        if existing is not None:
            event.occurred_on, event.version = row.vacated_on, event.version + 1
        # The event's fields come from the cell parsers (a date, not in the future; a fixed stage): only the rules remain.
        error = problem
        if error is not None:
            event.occurred_on, event.version = previous
            for _name, message in errors_of(error):
                problems.add(SITES_SHEET, row.row, SITE_VACATED, message)
            continue
        if existing is None:
            state.site_event[id(site)] = event
            plan.new_events.append(event)
            report.events.count(created=True)
        else:
            plan.changed_events[id(event)] = event
            report.events.count(changed=True)
        report.changes.add(site, town=row.town, kind=SITES_SHEET, name=row.name,
                           changes=[(SITE_VACATED, previous[0] if existing is not None else None, row.vacated_on, None)])


def _report(problems, sheet: str, row: int, error: ValidationError, columns: dict[str, str]) -> None:
    for name, message in errors_of(error):
        problems.add(sheet, row, columns.get(name, ""), message)

