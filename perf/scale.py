"""A large synthetic campaign for load tests, deterministic for a seed and written in bulk (COPY on PostgreSQL)."""

import random
import time
from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.apps import apps
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from clearance import services
from clearance.services.evaluation import scores_recompute
from clearance.bulk import BulkWriter, constraints_checked_per_statement
from clearance.choices import Metric, TownKind
from clearance.demo import COUNTIES, HOME_COUNTY
from clearance.derived import (
    commitments, evaluation_links, register_rollup, reuse_rollup, rollup, site_progress, site_tree,
)
from clearance.models import (
    Adjustment, BulletinFigure, County, Enterprise, EvaluatedEnterprise, Event, IndicatorRow, Project, ProjectEvent,
    ProjectSite, Site, Target, Town,
)

from .campaign import CHUNK, FIRST_YEAR, Campaign, EvaluationReport, ProgressCallback, ScaleReport, from_cents
from .evaluation import MAX_EVALUATED, YEARS_BACK, Evaluation
from .register import register_items
from .reuse import MAX_PROJECTS, Projects, default_projects

TOWN_NAME = "规模镇S{seed}-{number:03d}"
# Synthetic towns sort after the demo's eight (display order 1–8), in their own order.
DISPLAY_ORDER_BASE = 100
MAX_TOWNS = 9999
MAX_ENTERPRISES = 10_000_000
MAX_SEED = 2**31 - 1
# (choices, cumulative weights)
TOWN_KINDS = ((TownKind.TOWN, TownKind.SUBDISTRICT, TownKind.DEVELOPMENT_ZONE), (6, 9, 10))

METRICS = (Metric.ENTERPRISES_RECTIFIED, Metric.LAND_VACATED_MU, Metric.ENERGY_FREED_TCE)
# A target is the year's achievement divided by a factor in this range, so completions vary around 100%.
TARGET_FACTOR = (0.8, 1.25)
CITY_TARGET_FACTOR = (0.95, 1.05)
# Another county's target against Pinghu's, and its full year's actual against its target.
COUNTY_SCALE = (0.6, 1.4)
COUNTY_ACHIEVEMENT = (0.85, 1.2)
TARGET_COLUMNS = ("id", "year", "metric", "town_id", "value")
BULLETIN_COLUMNS = ("id", "county_id", "year", "month", "metric", "actual", "target")


class ScaleError(Exception):
    """Bad arguments, or a seed already generated: nothing was written."""


def town_name(seed: int, number: int) -> str:
    """Return the name of synthetic town NUMBER (from 1) of SEED."""
    return TOWN_NAME.format(seed=seed, number=number)


def town_prefix(seed: int) -> str:
    """Return the start every synthetic town name of SEED shares, and no other seed's."""
    return town_name(seed, 0).removesuffix("000")


def generate_scale(
    *, enterprises: int, towns: int = 100, seed: int = 0, evaluated: int = 0, projects: int | None = None,
    user: AbstractBaseUser | None = None, progress: ProgressCallback | None = None, chunk: int = CHUNK,
) -> ScaleReport:
    """Add a synthetic campaign of TOWNS new towns and ENTERPRISES enterprises, all or nothing; return what was added.

    Sites (about one per eight enterprises, some areas holding parcels), their
    enterprises (landlords and tenants, every category and disposal), events from
    2019 to today in stage order, yearly targets per town and for the city where
    none is set, and monthly bulletins of the other counties for years without
    any; an item of the register of order on about one enterprise in fifty.
    EVALUATED enterprises of the 亩均效益评价 over the new towns, each with a
    row for the two years before this one, some of them the towns' clearance
    enterprises (by credit code or by name), both years scored. PROJECTS (换鸟;
    by default one per ENTERPRISES_PER_PROJECT enterprises) on the new towns'
    vacated parcels, with their land and stages, some run by the towns'
    evaluated enterprises (perf.reuse). The same SEED
    gives the same rows on the same day (the campaign runs from 2019 to today); a
    seed already generated is refused (ScaleError). Rows already there are left
    as they are. PROGRESS(enterprises done, total, rows generated so far) is
    called as it goes.
    """
    projects = default_projects(enterprises) if projects is None else projects
    _check_arguments(enterprises=enterprises, towns=towns, seed=seed, evaluated=evaluated, projects=projects)
    started = time.perf_counter()
    report = ScaleReport(seed=seed)
    with transaction.atomic():
        # Two runs of one seed at the same time: the second fails on the towns' unique names.
        existing = list(Town.objects.filter(name__startswith=town_prefix(seed)).order_by("name")
                        .values_list("name", flat=True)[:1])
        if existing:
            raise ScaleError(
                _("Seed %(seed)s has already been generated (town %(example)s and others); nothing was changed. "
                  "Use another seed.") % {"seed": seed, "example": existing[0]}
            )
        rng = random.Random(seed)
        today = timezone.localdate()
        now = timezone.now()
        _counties(user)
        town_rows = _towns(rng, towns=towns, seed=seed, user=user)
        report.towns = len(town_rows)
        writer = BulkWriter(user=user)
        builder = Campaign(rng, today=today, writer=writer, report=report, now=now, chunk=chunk,
                            user_id=user.pk if user is not None else None, progress=progress, total=enterprises)
        town_ids = [town.pk for town in town_rows]
        with constraints_checked_per_statement():
            try:
                for town, quota in zip(town_rows, _apportion(rng, enterprises, len(town_rows))):
                    builder.town(town.pk, quota)
                builder.flush()
                writer.wait()
                report.evaluation = _evaluation(writer=writer, town_ids=town_ids, seed=seed, evaluated=evaluated,
                                                today=today, user_id=builder.user_id, chunk=chunk)
                _projects(report, writer=writer, town_ids=town_ids, seed=seed, projects=projects, today=today,
                          user_id=builder.user_id, chunk=chunk)
            except BaseException:
                writer.stop()  # the connection must be free again before the rollback
                raise
            _history(writer, town_ids)
            report.register_items = register_items(writer=writer, town_ids=town_ids, seed=seed,
                                                   first_day=date(FIRST_YEAR, 1, 1), today=today,
                                                   user_id=builder.user_id)
            report.targets = _targets(rng, builder.achieved, writer=writer, town_ids=town_ids, today=today)
            report.bulletin_figures = _bulletins(rng, writer=writer, today=today)
        report.history_rows = writer.history_rows + report.towns  # the services wrote the towns' own
        site_tree.rebuild(town_ids=town_ids)
        rollup.rebuild(town_ids=town_ids)
        # Each site's progress is a dozen subqueries per site through the tree: planned without statistics of the
        # rows just written (the planner takes them for none) it ran for minutes at a million, with them seconds.
        _analyze()
        site_progress.rebuild(town_ids=town_ids)
        reuse_rollup.refresh(town_ids)
        register_rollup.refresh(town_ids)
        if evaluated:
            evaluation_links.relink(EvaluatedEnterprise.objects.filter(town_id__in=town_ids))
            report.evaluation.scoring_seconds = _score(report.evaluation.years)
        # The projects' commitments judged on the evaluation just written (scoring judges them too; without an
        # evaluation they stay unverified).
        commitments.refresh(Project.objects.filter(town_id__in=town_ids))
    # The projects too: the dashboard counts the due commitments from project_due_idx alone (an index-only scan),
    # which needs the visibility map VACUUM sets; without it the count read the table (4.3 ms instead of 2 at a
    # million). A production server's autovacuum would have done both by then; this machine's has it off.
    _analyze(vacuum=[IndicatorRow, Project] if evaluated else [Project])
    report.seconds = time.perf_counter() - started
    return report


def _analyze(*, vacuum=()) -> None:
    """Refresh PostgreSQL's statistics of the app's tables (it samples: seconds, whatever the size); VACUUM those of VACUUM.

    Without them a million new rows look like none to the planner, and the pages'
    queries run with plans for empty tables until autovacuum gets round to it.
    Scoring rewrote every indicator row just written: VACUUM frees the old
    versions' room for the next scoring (and sets the visibility map), as
    autovacuum would some time later.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in apps.get_app_config("clearance").get_models():
            # VACUUM cannot run inside a transaction (a caller's, or a test's): there ANALYZE alone.
            verb = "VACUUM (ANALYZE)" if model in vacuum and not connection.in_atomic_block else "ANALYZE"
            cursor.execute(f"{verb} {connection.ops.quote_name(model._meta.db_table)}")


def _check_arguments(*, enterprises: int, towns: int, seed: int, evaluated: int, projects: int) -> None:
    if not isinstance(enterprises, int) or not 1 <= enterprises <= MAX_ENTERPRISES:
        raise ScaleError(_("The number of enterprises must be a whole number from 1 to %(max)s.")
                         % {"max": f"{MAX_ENTERPRISES:,}"})
    if not isinstance(towns, int) or not 1 <= towns <= MAX_TOWNS:
        raise ScaleError(_("The number of towns must be a whole number from 1 to %(max)s.") % {"max": MAX_TOWNS})
    if not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ScaleError(_("The seed must be a whole number from 0 to %(max)s.") % {"max": MAX_SEED})
    if not isinstance(evaluated, int) or not 0 <= evaluated <= MAX_EVALUATED:
        raise ScaleError(_("The number of evaluated enterprises must be a whole number from 0 to %(max)s.")
                         % {"max": f"{MAX_EVALUATED:,}"})
    if not isinstance(projects, int) or not 0 <= projects <= MAX_PROJECTS:
        raise ScaleError(_("The number of projects must be a whole number from 0 to %(max)s.")
                         % {"max": f"{MAX_PROJECTS:,}"})


# Reference rows, through the services ------------------------------------------------


def _counties(user) -> None:
    """Create Jiaxing's seven counties, Pinghu the home one, when there are none yet."""
    if County.objects.exists():
        return
    for order, name in enumerate(COUNTIES, start=1):
        services.county_upsert(name=name, is_home=name == HOME_COUNTY, display_order=order, user=user)


def _towns(rng: random.Random, *, towns: int, seed: int, user) -> list[Town]:
    kinds, weights = TOWN_KINDS
    return [
        services.town_upsert(
            name=town_name(seed, number), kind=rng.choices(kinds, cum_weights=weights)[0],
            display_order=DISPLAY_ORDER_BASE + number, user=user,
        ).obj
        for number in range(1, towns + 1)
    ]


def _apportion(rng: random.Random, total: int, parts: int) -> list[int]:
    """Split TOTAL into PARTS whole numbers of random, uneven sizes (some towns are busier) adding up to TOTAL."""
    weights = [rng.lognormvariate(0, 0.5) for _ in range(parts)]
    whole = sum(weights)
    shares = [total * weight / whole for weight in weights]
    counts = [int(share) for share in shares]
    # Largest remainders first; ties by position, so the split does not depend on float noise alone.
    by_remainder = sorted(range(parts), key=lambda k: (counts[k] - shares[k], k))
    for k in by_remainder[: total - sum(counts)]:
        counts[k] += 1
    return counts


# The bulk rows --------------------------------------------------------------------


def _history(writer: BulkWriter, town_ids: list[int]) -> None:
    """Write the creation history of every site, enterprise and event of the new towns, nobody else's.

    The database copies them from the rows just written, which no other
    transaction can see or add to before this one commits.
    """
    writer.history_of(Site.objects.filter(town_id__in=town_ids))
    writer.history_of(Enterprise.objects.filter(town_id__in=town_ids))
    writer.history_of(Event.objects.filter(enterprise__town_id__in=town_ids))
    writer.history_of(Event.objects.filter(site__town_id__in=town_ids))
    writer.history_of(EvaluatedEnterprise.objects.filter(town_id__in=town_ids))
    writer.history_of(IndicatorRow.objects.filter(enterprise__town_id__in=town_ids))
    writer.history_of(Adjustment.objects.filter(enterprise__town_id__in=town_ids))
    writer.history_of(Project.objects.filter(town_id__in=town_ids))
    writer.history_of(ProjectSite.objects.filter(project__town_id__in=town_ids))
    writer.history_of(ProjectEvent.objects.filter(project__town_id__in=town_ids))


# The evaluation ----------------------------------------------------------------------


def _evaluation(*, writer: BulkWriter, town_ids: list[int], seed: int, evaluated: int, today: date,
                user_id: int | None, chunk: int) -> EvaluationReport:
    """Write EVALUATED enterprises over the towns of TOWN_IDS with their rows of the two years before TODAY's."""
    years = tuple(today.year - back for back in YEARS_BACK)
    if not evaluated:
        return EvaluationReport(years=years)
    # A generator of its own: the campaign's rows are the same for a seed whether or not the evaluation is asked for.
    started = time.perf_counter()
    builder = Evaluation(random.Random(f"evaluation {seed}"), seed=seed, writer=writer, years=years, chunk=chunk,
                         user_id=user_id, total=evaluated)
    for town_id, quota in zip(town_ids, _apportion(builder.rng, evaluated, len(town_ids))):
        builder.town(town_id, quota)
    builder.finish()
    builder.report.seconds = time.perf_counter() - started
    return builder.report


def _projects(report: ScaleReport, *, writer: BulkWriter, town_ids: list[int], seed: int, projects: int, today: date,
              user_id: int | None, chunk: int) -> None:
    """Write PROJECTS projects on the vacated parcels of TOWN_IDS (perf.reuse), after the evaluation: some run by it."""
    # A generator of its own: the campaign's and the evaluation's rows are the same for a seed whatever the projects.
    builder = Projects(random.Random(f"projects {seed}"), writer=writer, today=today, user_id=user_id, chunk=chunk)
    builder.generate(town_ids, projects)
    report.projects = builder.written["projects"]
    report.project_sites = builder.written["allocations"]
    report.project_events = builder.written["events"]


def _score(years: tuple[int, ...]) -> float:
    """Score both size classes of each of YEARS (services.evaluation.scores_recompute); return the seconds it took."""
    started = time.perf_counter()
    if connection.vendor == "postgresql":
        # The planner must know the rows just written (ANALYZE samples this transaction's own rows too).
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(IndicatorRow._meta.db_table)}")
    for year in years:
        scores_recompute(year=year)
    return time.perf_counter() - started


# Targets and bulletins -------------------------------------------------------------


def _targets(rng: random.Random, achieved: dict, *, writer, town_ids: list[int], today: date) -> int:
    """Write each new town's yearly targets near what it achieves, and the city's where it has none; return how many.

    A town that achieved nothing on a metric in a year gets no target for it
    (DOMAIN.md: no target, no light), as in the campaign's first months.
    """
    years = range(FIRST_YEAR, today.year + 1)
    # This year's targets are for the whole year: scale what is done so far up to twelve months.
    part_of_year = today.timetuple().tm_yday / (date(today.year, 12, 31).timetuple().tm_yday)
    rows, sums = [], defaultdict(int)
    for town_id in town_ids:
        for year in years:
            closed, land_cents, energy_cents = achieved.get((town_id, year), (0, 0, 0))
            share = part_of_year if year == today.year else 1
            for metric, actual in zip(METRICS, (closed, land_cents / 100, energy_cents / 100)):
                factor = rng.uniform(*TARGET_FACTOR)
                if not actual:
                    continue
                value = max(1, round(actual / share / factor))
                rows.append((writer.next_id(Target), year, metric.value, town_id, Decimal(value)))
                sums[(year, metric)] += value
    others = (
        Target.objects.filter(town__isnull=False, year__in=years).exclude(town_id__in=town_ids)
        .values_list("year", "metric").annotate(total=Sum("value")).order_by()
    )
    for year, metric, total in others:
        sums[(year, metric)] += total
    set_already = set(Target.objects.filter(town__isnull=True, year__in=years).values_list("year", "metric"))
    for year in years:
        for metric in METRICS:
            factor = rng.uniform(*CITY_TARGET_FACTOR)
            if (year, metric) not in set_already and sums[(year, metric)]:
                value = max(1, round(float(sums[(year, metric)]) * factor))
                rows.append((writer.next_id(Target), year, metric.value, None, Decimal(value)))
    writer.create_rows((Target, TARGET_COLUMNS, rows), history=True)
    return len(rows)


def _bulletins(rng: random.Random, *, writer, today: date) -> int:
    """Write monthly figures for each other county in each year it has none, scaled on the city's targets."""
    city = {(year, metric): value for year, metric, value in
            Target.objects.filter(town__isnull=True).values_list("year", "metric", "value")}
    counties = list(County.objects.filter(is_home=False).order_by("display_order", "name").values_list("pk", flat=True))
    published = set(BulletinFigure.objects.values_list("county_id", "year").distinct())
    rows = []
    for county_id in counties:
        for year in range(FIRST_YEAR, today.year + 1):
            # Drawn whether or not the year is written, so that one county-year does not shift the others.
            weights = [rng.uniform(0.6, 1.4) * (1 + month / 12) for month in range(1, 13)]
            scale = rng.uniform(*COUNTY_SCALE)
            achievements = [rng.uniform(*COUNTY_ACHIEVEMENT) for _metric in METRICS]
            months = 12 if year < today.year else today.month - 1
            if (county_id, year) in published:
                continue
            for metric, achievement in zip(METRICS, achievements):
                reference = city.get((year, metric.value))
                if reference is None:
                    continue
                target = max(1, round(float(reference) * scale))
                full_year = target * achievement
                quantum = 100 if metric == Metric.ENTERPRISES_RECTIFIED else 1  # whole enterprises, else cents
                done = 0.0
                for month in range(1, months + 1):
                    done += weights[month - 1]
                    cents = quantum * round(full_year * 100 / quantum * done / sum(weights))
                    rows.append((writer.next_id(BulletinFigure), county_id, year, month, metric.value,
                                 from_cents(cents), Decimal(target)))
    writer.create_rows((BulletinFigure, BULLETIN_COLUMNS, rows), history=True)
    return len(rows)
