"""Writing the demo through the services, in one transaction, so that a second run changes nothing."""

from decimal import ROUND_HALF_UP, Decimal

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from .. import services
from ..choices import Category, Stage
from ..models import Adjustment, County, Enterprise, Event, IndicatorRow, Pairing, ReportingPeriod, Site, Target
from ..services.evaluation import (
    adjustment_add,
    evaluated_enterprise_upsert,
    indicator_row_upsert,
    scores_recompute,
)
from ..permissions import LEADERS_GROUP, OFFICIALS_GROUP
from ..selectors import city_figures, latest_closed_period, next_month, town_figures
from .facts import (
    BULLETIN_AUGUST,
    CAOQIAO,
    CAOQIAO_MEMBERS,
    CAOQIAO_MEMBER_BUREAUS,
    CENT,
    CITY_TARGETS,
    CLOSED,
    COUNTIES,
    EVALUATION_ADJUSTMENTS,
    EVALUATION_YEARS,
    DEMO_PASSWORD,
    ENERGY,
    HOME_COUNTY,
    LAND,
    LINDAI,
    LINDAI_GROUPS,
    MONTH,
    OFFICIAL_PERSON,
    OTHER_BUREAUS,
    PACE,
    PAIRED_ON,
    PUBLISHED,
    TOWNS,
    TOWN_FIGURES,
    UNIT,
    YEAR,
)
from .economy import demo_economy
from .evaluation import EvaluatedPlan, evaluated_example_name, evaluation_plan
from .plan import DemoPlan, demo_plan
from .register import demo_register
from .reuse import reuse_load


def _users() -> tuple:
    """Create the demo users if missing, leaving existing ones as they are; return admin, leader and official."""
    User = get_user_model()
    leaders = Group.objects.get_or_create(name=LEADERS_GROUP)[0]
    officials = Group.objects.get_or_create(name=OFFICIALS_GROUP)[0]
    missing = {"admin", "leader", "official"} - set(
        User.objects.filter(username__in=["admin", "leader", "official"]).values_list("username", flat=True)
    )
    if missing:
        # One hash for the demo accounts: the password is published, and hashing costs most of a second here.
        password = make_password(DEMO_PASSWORD)
        for username in sorted(missing):
            staff = username == "admin"
            user = User(username=username, password=password, is_staff=staff, is_superuser=staff)
            user.save()
            if username == "leader":
                user.groups.add(leaders)
            elif username == "official":
                user.groups.add(officials)
    return tuple(User.objects.get(username=name) for name in ("admin", "leader", "official"))


def _reference_data(admin) -> tuple[dict, dict, dict]:
    """Write towns, counties, bureaus, heads, pairings and task forces; return towns, task forces and bureaus by name."""
    towns, task_forces = {}, {}
    for order, (name, kind, _bureau, _head) in enumerate(TOWNS, start=1):
        towns[name] = services.town_upsert(name=name, kind=kind, display_order=order, user=admin).obj
    for order, name in enumerate(COUNTIES, start=1):
        services.county_upsert(name=name, is_home=name == HOME_COUNTY, display_order=order, user=admin)
    heads = {bureau: services.bureau_head_upsert(bureau_name=bureau, head_name=head, user=admin)
             for _name, _kind, bureau, head in TOWNS}
    bureaus = {bureau: head.bureau for bureau, head in heads.items()}
    bureaus.update((bureau, services.bureau_upsert(name=bureau, user=admin).obj) for bureau in OTHER_BUREAUS)
    active = {p.town_id: p for p in Pairing.objects.active().select_related("task_force")}
    for name, _kind, bureau, _head in TOWNS:
        pairing = active.get(towns[name].pk) or services.pairing_start(
            town=towns[name], head=heads[bureau], started_on=PAIRED_ON, task_force_name=f"{name}腾笼换鸟专班",
            user=admin,
        )
        task_forces[name] = pairing.task_force
    return towns, task_forces, bureaus


def _task_force_members(task_forces: dict, bureaus: dict, admin, official) -> dict:
    """Fill in 曹桥街道's member bureaus and people, and 林埭镇's 13 attack groups; return the groups by name."""
    caoqiao = task_forces[CAOQIAO]
    # The bureaus it has (its head's) and the article's; task_force_bureaus_set writes nothing when they are there.
    present = list(caoqiao.member_bureaus.all())
    services.task_force_bureaus_set(
        task_force=caoqiao, bureaus=[*present, *(bureaus[bureau] for bureau in CAOQIAO_MEMBER_BUREAUS)], user=admin
    )
    for person, unit, role in CAOQIAO_MEMBERS:
        services.task_force_member_upsert(
            task_force=caoqiao, person_name=person, user_account=official if person == OFFICIAL_PERSON else None,
            role=role, unit=unit, user=admin,
        )
    return {
        name: services.attack_group_upsert(
            task_force=task_forces[LINDAI], name=name, leader_name=f"示例组长{name.removeprefix('攻坚小组')}", user=admin
        )
        for name in LINDAI_GROUPS
    }


def _targets_and_bulletins(towns: dict, admin) -> None:
    """Write Jiaxing's 2022 targets, their allocation to the towns, and the other counties' monthly bulletins."""
    metrics = (CLOSED, LAND, ENERGY)
    for metric in metrics:
        services.target_set(year=YEAR, metric=metric, value=CITY_TARGETS[metric], user=admin)
    for name, row in TOWN_FIGURES.items():
        for metric, value in zip(metrics, row[3:]):
            services.target_set(year=YEAR, metric=metric, value=Decimal(value), town=towns[name], user=admin)
    counties = {county.name: county for county in County.objects.filter(name__in=BULLETIN_AUGUST)}
    for name, figures in BULLETIN_AUGUST.items():
        for metric, (august, target), quantum in zip(metrics, figures, (UNIT, CENT, CENT)):
            for month, share in enumerate(PACE, start=1):
                actual = (Decimal(august) * share).quantize(quantum, rounding=ROUND_HALF_UP)
                services.bulletin_figure_set(county=counties[name], year=YEAR, month=month, metric=metric,
                                             actual=actual, target=Decimal(target), user=admin)


def _sites_and_enterprises(plan: DemoPlan, towns: dict, groups: dict, admin) -> tuple[dict, dict]:
    """Write the sites (areas before their parcels) and the enterprises; return both by (town, name)."""
    sites = {}
    for site in sorted(plan.sites, key=lambda s: s.parent is not None):
        sites[(site.town, site.name)] = services.site_upsert(
            town=towns[site.town], name=site.name, user=admin, area_mu=site.area_mu,
            parent=sites[(site.town, site.parent)] if site.parent else None, land_use=site.land_use,
            ownership_notes=site.ownership_notes, notes=site.notes, deadline=site.deadline,
        ).obj
    enterprises = {}
    for e in plan.enterprises:
        flags = {category.value: category in e.categories for category in Category}
        enterprises[(e.town, e.name)] = services.enterprise_upsert(
            town=towns[e.town], name=e.name, user=admin, site=sites[(e.town, e.site)], disposal=e.disposal,
            annual_energy_tce=e.annual_energy_tce, energy_freed_tce=e.energy_freed_tce,
            responsible_group=groups.get(e.group), plan_notes=e.plan_notes, plan_deadline=e.plan_deadline, **flags,
        ).obj
    return sites, enterprises


def _events(plan: DemoPlan, towns: dict, sites: dict, enterprises: dict, admin, official) -> int:
    """Record every enterprise's events in stage order, then each cleared site's own 腾退; return how many the demo has.

    An event already recorded on its date is left alone, and one moved since
    is moved back, so that a second run changes nothing. Putting one back in a
    closed month is a late correction: it says so in its note.
    """
    demo_towns = list(towns.values())
    recorded = {
        (event.enterprise_id, event.site_id, event.stage): event.occurred_on
        for event in Event.objects.filter(Q(enterprise__town__in=demo_towns) | Q(site__town__in=demo_towns))
    }
    closed = set(ReportingPeriod.objects.filter(closed=True).values_list("year", "month"))
    restored = _("Put back as the demo has it (load_demo).")

    def record(*, stage, on, town, enterprise=None, site=None):
        key = (enterprise.pk if enterprise else None, site.pk if site else None, stage)
        if recorded.get(key) == on:
            return
        # 曹桥街道's progress is logged by its task force's official, the rest by the admins from the ledgers.
        user = official if town == CAOQIAO else admin
        late = key in recorded and (recorded[key].year, recorded[key].month) in closed
        note = restored if late or (on.year, on.month) in closed else ""
        if key in recorded:
            services.event_upsert(stage=stage, on=on, user=user, enterprise=enterprise, site=site, note=note)
        else:
            services.event_record(stage=stage, on=on, user=user, enterprise=enterprise, site=site, note=note)

    count = 0
    for e in plan.enterprises:
        for stage, on in e.events.items():
            record(stage=stage, on=on, town=e.town, enterprise=enterprises[(e.town, e.name)])
            count += 1
    for site in plan.sites:
        if site.vacated_on:
            record(stage=Stage.VACATED, on=site.vacated_on, town=site.town, site=sites[(site.town, site.name)])
            count += 1
    return count


def _evaluation(evaluated: list[EvaluatedPlan], towns: dict, admin) -> int:
    """Write the 2021 and 2022 evaluation (evaluation_plan) through the services and score each year once, when
    anything changed; add the adjustments not there yet. Return how many indicator rows the demo has."""
    history_before = IndicatorRow.history.count() + Adjustment.history.count()
    count = 0
    for item in evaluated:
        enterprise = evaluated_enterprise_upsert(town=towns[item.town], name=item.name, user=admin)
        for year, figures in item.rows.items():
            indicator_row_upsert(enterprise=enterprise, year=year, user=admin, rescore=False, **figures)
            count += 1
    for town, index, year, points, reason in EVALUATION_ADJUSTMENTS:
        enterprise = evaluated_enterprise_upsert(
            town=towns[town], name=evaluated_example_name(evaluated, town, index), user=admin)
        if not Adjustment.objects.filter(enterprise=enterprise, year=year, reason=reason).exists():
            adjustment_add(enterprise=enterprise, year=year, points=points, reason=reason, user=admin)
    if IndicatorRow.history.count() + Adjustment.history.count() != history_before:
        for year in EVALUATION_YEARS:
            scores_recompute(year=year)
    return count


def _close_months(admin) -> None:
    """Close January to the demo's month (August 2022), those not closed yet, in order, as the admin."""
    latest = latest_closed_period()
    month = (YEAR, 1) if latest is None or (latest.year, latest.month) < (YEAR, 1) else next_month(latest.year, latest.month)
    while month <= (YEAR, MONTH):
        services.period_close(year=month[0], month=month[1], user=admin)
        month = next_month(*month)


def _row_count() -> int:
    """Return the number of rows in the clearance app's tables, history and links included."""
    return sum(model._default_manager.count() for model in apps.get_app_config("clearance").get_models(True))


def _verify(towns: dict) -> dict:
    """Fail loudly unless the database gives the published figures, city-wide and town by town."""
    figures = city_figures(year=YEAR, month=MONTH)
    actual = {metric: figures[metric.value] for metric in (CLOSED, LAND, ENERGY)}
    if actual != PUBLISHED:
        raise AssertionError(f"The demo gives {actual}, not the published {PUBLISHED}")
    by_town = town_figures(year=YEAR, month=MONTH)
    for name, row in TOWN_FIGURES.items():
        got = by_town.get(towns[name].pk, {})
        expected = {CLOSED.value: row[0], LAND.value: Decimal(row[1]), ENERGY.value: Decimal(row[2])}
        if {key: got.get(key) for key in expected} != expected:
            raise AssertionError(f"{name} gives {got}, not {expected}")
    return actual


def demo_load(*, stdout=None) -> dict:
    """Load the Pinghu demo through the services, in one transaction; a second run changes nothing.

    Demo rows edited since are put back; the evaluation and the projects on
    vacated land (换鸟) are written before January–August 2022 are closed (those
    still open, in order), so that the projects' stages are not late entries. Return the three figures for
    January–August 2022, checked against the article when the database holds
    no other events; write a short summary to STDOUT when given.
    """
    plan = demo_plan()
    with transaction.atomic():
        rows_before = _row_count()
        admin, _leader, official = _users()
        towns, task_forces, bureaus = _reference_data(admin)
        groups = _task_force_members(task_forces, bureaus, admin, official)
        _targets_and_bulletins(towns, admin)
        sites, enterprises = _sites_and_enterprises(plan, towns, groups, admin)
        demo_events = _events(plan, towns, sites, enterprises, admin, official)
        # Progress recorded on the pages since the demo was loaded rightly changes the
        # figures; only a database holding nothing but the demo must give the article's.
        extra_events = Event.objects.count() - demo_events
        if extra_events:
            figures = city_figures(year=YEAR, month=MONTH)
            figures = {metric: figures[metric.value] for metric in (CLOSED, LAND, ENERGY)}
        else:
            figures = _verify(towns)
        evaluated = evaluation_plan(plan)
        indicator_rows = _evaluation(evaluated, towns, admin)
        projects = reuse_load(towns=towns, evaluated=evaluated, admin=admin, official=official)
        demo_economy(admin)
        demo_register(towns=towns, admin=admin, official=official)
        _close_months(admin)
        added = _row_count() - rows_before
    if stdout is not None:
        _summary(stdout, figures=figures, added=added, extra_events=extra_events, indicator_rows=indicator_rows,
                 projects=projects)
    return figures


def _summary(stdout, *, figures: dict, added: int, extra_events: int, indicator_rows: int, projects: int) -> None:
    targets = {t.metric: t.value for t in Target.objects.filter(year=YEAR, town=None)}

    def pct(metric):
        return (Decimal(figures[metric]) / targets[metric] * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    stdout.write(
        f"Pinghu demo: {len(TOWNS)} towns, {Site.objects.count()} sites, {Enterprise.objects.count()} enterprises, "
        f"{Event.objects.count()} events; {added} rows added by this run (history included)."
    )
    stdout.write(
        f"January–August {YEAR}: {figures[CLOSED]} enterprises closed out ({pct(CLOSED)}%), "
        f"{figures[LAND]} mu vacated ({pct(LAND)}%), {figures[ENERGY]} tce freed ({pct(ENERGY)}%)."
    )
    stdout.write(f"Evaluation {EVALUATION_YEARS[0]}–{EVALUATION_YEARS[-1]}: {indicator_rows} indicator rows of the demo.")
    stdout.write(f"Reuse of vacated land: {projects} projects of the demo.")
    if extra_events:
        stdout.write(f"Events recorded besides the demo's, included in the figures: {extra_events}.")
    stdout.write(f"Demo users admin, leader and official; password {DEMO_PASSWORD}.")
