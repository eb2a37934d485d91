"""A large synthetic campaign for load tests, deterministic for a seed and written in bulk (COPY on PostgreSQL)."""

import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.apps import apps
from django.contrib.auth.models import AbstractBaseUser
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from clearance import pgcopy, services
from clearance.derived import rollup, site_tree
from clearance.choices import DISPOSALS_CLOSED_WITHOUT_VACATING, Disposal, Metric, Stage, TownKind
from clearance.demo import COUNTIES, HOME_COUNTY
from clearance.models import BulletinFigure, County, Enterprise, Event, Site, Target, Town

FIRST_YEAR = 2019
TOWN_NAME = "规模镇S{seed}-{number:03d}"
# Synthetic towns sort after the demo's eight (display order 1–8), in their own order.
DISPLAY_ORDER_BASE = 100
MAX_TOWNS = 9999
MAX_ENTERPRISES = 10_000_000
MAX_SEED = 2**31 - 1
# Enterprises generated between two writes: bounds the memory held, whatever the total.
CHUNK = 20_000
# How often (in enterprises) the progress callback hears from the generator.
PROGRESS_EVERY = 1000

PLACES = ("东港", "西河", "南桥", "北塘", "新华", "前进", "红旗", "胜利", "六店", "徐家埭", "虹霓", "全塘",
          "白马", "九里", "大齐", "金桥", "黄姑", "衙前", "新庙", "三叉河")
TRADES = ("针织制造", "机械加工", "废品回收", "五金配件", "塑料制品", "木制品加工", "纸制品", "服装加工",
          "箱包加工", "印染", "金属铸造", "化工助剂", "建材", "电镀", "食品加工", "家具制造")
DIRTY_TRADES = frozenset({"废品回收", "印染", "金属铸造", "化工助剂", "电镀"})
FORMS = ("有限公司", "厂", "加工场", "经营部")
LAND_USES = ("工业用地", "工业用地", "工业用地", "集体建设用地", "仓储用地")
# Tenants on a parcel besides its landlord: about eight enterprises per parcel.
TENANT_COUNTS = (0, 0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25)
# Share of parcels that lie inside a larger area, and how many parcels an area holds.
AREA_SHARE = 0.12
AREA_PARCELS = (2, 6)

# (choices, cumulative weights)
TOWN_KINDS = ((TownKind.TOWN, TownKind.SUBDISTRICT, TownKind.DEVELOPMENT_ZONE), (6, 9, 10))
LANDLORD_DISPOSALS = (
    (Disposal.VACATE, Disposal.SHUT_DOWN, Disposal.UPGRADE, Disposal.MERGE, Disposal.MOVE_TO_PARK),
    (35, 55, 75, 85, 100),
)
TENANT_DISPOSALS = (
    (Disposal.SHUT_DOWN, Disposal.MOVE_TO_PARK, Disposal.VACATE, Disposal.UPGRADE, Disposal.MERGE),
    (40, 65, 85, 95, 100),
)
# Energy freed as a percentage of annual use: a shut-down frees it all, an upgrade about a quarter.
FREED_PERCENT = {Disposal.SHUT_DOWN: 100, Disposal.VACATE: 100, Disposal.MOVE_TO_PARK: 80, Disposal.MERGE: 50,
                 Disposal.UPGRADE: 25}
# The furthest stage an enterprise is meant to reach, unless today comes first: most get there, some stall.
GOALS = ((Stage.SURVEYED, Stage.NEGOTIATING, Stage.SIGNED, Stage.VACATED, Stage.CLOSED), (5, 15, 27, 35, 100))
# Days between stages (low, high), stretched by each site's pace.
SURVEY_DELAY = (0, 60)
NEGOTIATE_GAP = (7, 60)
SIGN_GAP = (10, 120)
VACATE_GAP = (10, 90)
DEMOLISH_GAP = (5, 60)
CLOSE_GAP = (5, 90)
CLOSE_IN_PLACE_GAP = (30, 240)
SITE_VACATE_GAP = (0, 30)
# Early stages are not always written down (a ledger often starts at 签约): the share that is, by stage.
RECORDED_SHARE = {Stage.SURVEYED: 0.75, Stage.NEGOTIATING: 0.6}
NOTES = {Stage.SURVEYED: "入企摸底", Stage.NEGOTIATING: "上门洽谈", Stage.SIGNED: "签订腾退协议",
         Stage.VACATED: "完成腾退", Stage.DEMOLISHED: "厂房拆除", Stage.CLOSED: "整治销号"}
NOTE_SHARE = 0.2

METRICS = (Metric.ENTERPRISES_RECTIFIED, Metric.LAND_VACATED_MU, Metric.ENERGY_FREED_TCE)
# A target is the year's achievement divided by a factor in this range, so completions vary around 100%.
TARGET_FACTOR = (0.8, 1.25)
CITY_TARGET_FACTOR = (0.95, 1.05)
# Another county's target against Pinghu's, and its full year's actual against its target.
COUNTY_SCALE = (0.6, 1.4)
COUNTY_ACHIEVEMENT = (0.85, 1.2)

# Columns of the bulk rows, in the order the generator builds them, with how each is written.
SITE_COLUMNS = (("id", "int"), ("town_id", "int"), ("name", "text"), ("parent_id", "int"), ("area_mu", "cents"),
                ("land_use", "text"), ("ownership_notes", "text"), ("deadline", "date"), ("notes", "text"),
                ("version", "int"))
ENTERPRISE_COLUMNS = (("id", "int"), ("town_id", "int"), ("site_id", "int"), ("name", "text"),
                      ("credit_code", "text"), ("is_two_high_one_low", "bool"), ("is_high_consumption", "bool"),
                      ("is_low_scattered", "bool"), ("is_factory_in_factory", "bool"), ("is_tenant", "bool"),
                      ("disposal", "text"), ("annual_energy_tce", "cents"), ("energy_freed_tce", "cents"),
                      ("responsible_group_id", "int"), ("plan_deadline", "date"), ("plan_notes", "text"),
                      ("version", "int"))
# No id: nothing refers to a new event, so the database numbers them.
EVENT_COLUMNS = (("enterprise_id", "int"), ("site_id", "int"), ("stage", "int"),
                 ("occurred_on", "date"), ("note", "text"), ("recorded_by_id", "int"), ("recorded_at", "datetime"),
                 ("version", "int"))
TARGET_COLUMNS = (("id", "int"), ("year", "int"), ("metric", "text"), ("town_id", "int"), ("value", "cents"))
BULLETIN_COLUMNS = (("id", "int"), ("county_id", "int"), ("year", "int"), ("month", "int"), ("metric", "text"),
                    ("actual", "cents"), ("target", "cents"))
HISTORY_COLUMNS = (("history_date", "datetime"), ("history_change_reason", "text"), ("history_type", "text"),
                   ("history_user_id", "int"))

ProgressCallback = Callable[[int, int, int], None]


class ScaleError(Exception):
    """Bad arguments, or a seed already generated: nothing was written."""


@dataclass
class ScaleReport:
    """What generate_scale added; `rows` counts the campaign's rows, `history_rows` their history."""

    seed: int
    towns: int = 0
    sites: int = 0
    enterprises: int = 0
    events: int = 0
    targets: int = 0
    bulletin_figures: int = 0
    history_rows: int = 0
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return self.towns + self.sites + self.enterprises + self.events + self.targets + self.bulletin_figures


def town_name(seed: int, number: int) -> str:
    """Return the name of synthetic town NUMBER (from 1) of SEED."""
    return TOWN_NAME.format(seed=seed, number=number)


def town_prefix(seed: int) -> str:
    """Return the start every synthetic town name of SEED shares, and no other seed's."""
    return town_name(seed, 0).removesuffix("000")


def generate_scale(
    *, enterprises: int, towns: int = 100, seed: int = 0, user: AbstractBaseUser | None = None,
    progress: ProgressCallback | None = None, chunk: int = CHUNK,
) -> ScaleReport:
    """Add a synthetic campaign of TOWNS new towns and ENTERPRISES enterprises, all or nothing; return what was added.

    Sites (about one per eight enterprises, some areas holding parcels), their
    enterprises (landlords and tenants, every category and disposal), events from
    2019 to today in stage order, yearly targets per town and for the city where
    none is set, and monthly bulletins of the other counties for years without
    any. The same SEED gives the same rows on the same day (the campaign runs
    from 2019 to today); a seed already generated is refused (ScaleError). Rows
    already there are left as they are. PROGRESS(enterprises done, total, rows
    generated so far) is called as it goes.
    """
    _check_arguments(enterprises=enterprises, towns=towns, seed=seed)
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
        writer = (_CopyWriter if connection.vendor == "postgresql" else _InsertWriter)(
            user_id=user.pk if user is not None else None, now=now
        )
        builder = _Campaign(rng, today=today, writer=writer, report=report, now=now, chunk=chunk,
                            user_id=user.pk if user is not None else None, progress=progress, total=enterprises)
        town_ids = [town.pk for town in town_rows]
        with writer.checking_each_statement():
            try:
                for town, quota in zip(town_rows, _apportion(rng, enterprises, len(town_rows))):
                    builder.town(town.pk, quota)
                builder.flush()
                writer.wait()
            except BaseException:
                writer.stop()  # the connection must be free again before the rollback
                raise
            _bulk_history(writer, town_ids)
            report.targets = _targets(rng, builder.achieved, writer=writer, town_ids=town_ids, today=today)
            report.bulletin_figures = _bulletins(rng, writer=writer, today=today)
        report.history_rows = writer.history_rows + report.towns  # the services wrote the towns' own
        site_tree.rebuild(town_ids=town_ids)
        rollup.rebuild(town_ids=town_ids)
    _analyze()
    report.seconds = time.perf_counter() - started
    return report


def _analyze() -> None:
    """Refresh PostgreSQL's statistics of the app's tables (it samples: seconds, whatever the size).

    Without them a million new rows look like none to the planner, and the pages'
    queries run with plans for empty tables until autovacuum gets round to it.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in apps.get_app_config("clearance").get_models():
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _check_arguments(*, enterprises: int, towns: int, seed: int) -> None:
    if not isinstance(enterprises, int) or not 1 <= enterprises <= MAX_ENTERPRISES:
        raise ScaleError(_("The number of enterprises must be a whole number from 1 to %(max)s.")
                         % {"max": f"{MAX_ENTERPRISES:,}"})
    if not isinstance(towns, int) or not 1 <= towns <= MAX_TOWNS:
        raise ScaleError(_("The number of towns must be a whole number from 1 to %(max)s.") % {"max": MAX_TOWNS})
    if not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ScaleError(_("The seed must be a whole number from 0 to %(max)s.") % {"max": MAX_SEED})


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


class _Campaign:
    """Generates sites, enterprises and events town by town, and hands them to the writer a chunk at a time."""

    def __init__(self, rng: random.Random, *, today: date, writer, report: ScaleReport, now: datetime, chunk: int,
                 user_id: int | None, progress: ProgressCallback | None, total: int):
        self.rng = rng
        self.today = today.toordinal()
        self.first_day = date(FIRST_YEAR, 1, 1).toordinal()
        # Work starting in the last fortnight would leave nothing to show yet.
        self.last_start = max(self.first_day, self.today - 14)
        self.writer = writer
        self.report = report
        self.now = now
        self.chunk = chunk
        self.user_id = user_id
        self.progress = progress
        self.total = total
        self.sites: list[tuple] = []
        self.enterprises: list[tuple] = []
        self.events: list[tuple] = []
        self.done = 0
        self.town_id = self.site_number = self.enterprise_number = 0  # set per town; names are numbered per town
        # (town id, year) -> [enterprises closed out, land vacated in cents of a mu, energy freed in cents of a tce]
        self.achieved: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0])

    # Town, areas and parcels

    def town(self, town_id: int, quota: int) -> None:
        """Add QUOTA enterprises to the town TOWN_ID, on parcels of their own, some of them inside areas."""
        self.town_id = town_id
        self.site_number = self.enterprise_number = 0
        left = quota
        while left > 0:
            if left >= 2 * AREA_PARCELS[0] and self.rng.random() < AREA_SHARE:
                left -= self._area(left)
            else:
                left -= self._parcel(left, parent_id=None, start=self._start(), pace=self._pace())[0]
            if len(self.enterprises) >= self.chunk:
                self.flush()

    def _start(self) -> int:
        return self.first_day + int(self.rng.random() * (self.last_start - self.first_day + 1))

    def _pace(self) -> float:
        return 0.4 + 1.2 * self.rng.random()

    def _site_name(self, kind: str) -> str:
        self.site_number += 1
        return f"{self.rng.choice(PLACES)}{self.site_number:04d}号{kind}"

    def _area(self, left: int) -> int:
        """Add an area and its parcels; vacate the area once every parcel is. Return the enterprises added."""
        rng = self.rng
        area_id = self.writer.next_id(Site)
        name = self._site_name("区域")
        slot = len(self.sites)
        self.sites.append(None)  # the area's row, written before its parcels
        start, pace = self._start(), self._pace()
        parcels = AREA_PARCELS[0] + int(rng.random() * (AREA_PARCELS[1] - AREA_PARCELS[0] + 1))
        added, area_cents, cleared = 0, 0, []
        for _k in range(parcels):
            if left - added <= 0:
                break
            count, cents, vacated_on = self._parcel(left - added, parent_id=area_id,
                                                    start=start + int(rng.random() * 120), pace=pace)
            added += count
            area_cents += cents
            cleared.append(vacated_on)
        vacated_on = self._site_vacated(cleared, chance=0.8)
        deadline = self._deadline(start)
        note = self._note(Stage.VACATED)
        self.sites[slot] = (area_id, self.town_id, name, None, area_cents, "", "",
                            None if vacated_on is not None else deadline, "", 1)
        if vacated_on is not None:
            # An area's own 腾退 counts for no land: its parcels already did (DOMAIN.md).
            self._event(None, area_id, Stage.VACATED, vacated_on, note)
        return added

    def _parcel(self, left: int, *, parent_id: int | None, start: int, pace: float) -> tuple[int, int, int | None]:
        """Add a parcel with its landlord and tenants; return (enterprises, area in cents of a mu, vacated on)."""
        rng = self.rng
        site_id = self.writer.next_id(Site)
        name = self._site_name("地块")
        count = min(1 + rng.choice(TENANT_COUNTS), left)
        cents = count * (300 + int(rng.random() * 500)) + 200 + int(rng.random() * 1800)
        outs, tenants_vacated = [], None
        # Tenants first: the landlord's own 腾退 follows theirs.
        for _k in range(count - 1):
            out_on, planned_vacated = self._enterprise(site_id, start=start, pace=pace, landlord=False)
            outs.append(out_on)
            if planned_vacated is not None:
                tenants_vacated = max(tenants_vacated or 0, planned_vacated)
        out_on, _planned_vacated = self._enterprise(site_id, start=start, pace=pace, landlord=True,
                                                    after=tenants_vacated)
        outs.append(out_on)
        vacated_on = self._site_vacated(outs, chance=0.9)
        deadline = self._deadline(start)
        land_use = rng.choice(LAND_USES)
        note = self._note(Stage.VACATED)
        self.sites.append((site_id, self.town_id, name, parent_id, cents, land_use, "",
                           None if vacated_on is not None else deadline, "", 1))
        if vacated_on is not None:
            self._event(None, site_id, Stage.VACATED, vacated_on, note)
            self.achieved[(self.town_id, date.fromordinal(vacated_on).year)][1] += cents
        return count, cents, vacated_on

    def _site_vacated(self, out_dates: list[int | None], *, chance: float) -> int | None:
        """Return the day a site is vacated: some time after the last of OUT_DATES, when all are out by today."""
        lucky = self.rng.random() < chance
        gap = self._gap(SITE_VACATE_GAP, 1.0)
        if not lucky or not out_dates or not all(out_dates):
            return None
        on = max(out_dates) + gap
        return on if on <= self.today else None

    def _deadline(self, start: int) -> date:
        """Return a plan deadline: the end of the year after the start, renewed to this year's end when past."""
        year = date.fromordinal(start).year + 1
        today = date.fromordinal(self.today)
        if self.rng.random() < 0.7 and year < today.year:
            year = today.year
        return date(year, 12, 31)

    # Enterprises and their events

    def _enterprise(self, site_id: int, *, start: int, pace: float, landlord: bool,
                    after: int | None = None) -> tuple[int | None, int | None]:
        """Add an enterprise and the events it has reached by today.

        Return the day it is out (its 腾退, or its 销号 where it closes without
        vacating), None while it is not, and the planned day of its 腾退.
        """
        rng = self.rng
        enterprise_id = self.writer.next_id(Enterprise)
        disposals, weights = LANDLORD_DISPOSALS if landlord else TENANT_DISPOSALS
        disposal = rng.choices(disposals, cum_weights=weights)[0]
        in_place = disposal in DISPOSALS_CLOSED_WITHOUT_VACATING
        goal = rng.choices(GOALS[0], cum_weights=GOALS[1])[0]
        if in_place and goal == Stage.VACATED:
            goal = Stage.SIGNED
        planned = self._stages(start, pace, goal=goal, in_place=in_place, landlord=landlord, after=after)
        reached = {}
        for stage, on, note in planned:
            if on > self.today:
                break
            self._event(enterprise_id, None, stage, on, note)
            reached[stage] = on
        closed_on, vacated_on = reached.get(Stage.CLOSED), reached.get(Stage.VACATED)
        out_on = vacated_on if vacated_on is not None else closed_on

        trade = rng.choice(TRADES)
        self.enterprise_number += 1
        name = f"{rng.choice(PLACES)}{trade}{rng.choice(FORMS)}{self.enterprise_number:05d}"
        dirty = trade in DIRTY_TRADES or rng.random() < 0.2
        if landlord:
            two_high = rng.random() < 0.35
            flags = (two_high, not two_high or rng.random() < 0.3, dirty and rng.random() < 0.3, False, False)
            annual = int(rng.lognormvariate(6.5, 0.8) * 100)  # about 700 tce a year
        else:
            flags = (False, not dirty or rng.random() < 0.2, dirty, rng.random() < 0.5, True)
            annual = int(rng.lognormvariate(4.6, 0.8) * 100)  # about 100 tce a year
        freed = annual * FREED_PERCENT[disposal] // 100
        deadline = self._deadline(start)
        notes = f"业主；{trade}" if landlord else trade
        self.enterprises.append((enterprise_id, self.town_id, site_id, name, None, *flags, disposal, annual, freed,
                                 None, None if closed_on is not None else deadline, notes, 1))
        if closed_on is not None:
            achieved = self.achieved[(self.town_id, date.fromordinal(closed_on).year)]
            achieved[0] += 1
            achieved[2] += freed
        self.done += 1
        if self.progress is not None and self.done % PROGRESS_EVERY == 0:
            self.progress(self.done, self.total, self._rows())
        return out_on, next((on for stage, on, _note in planned if stage == Stage.VACATED), None)

    def _stages(self, start: int, pace: float, *, goal: Stage, in_place: bool, landlord: bool,
                after: int | None) -> list[tuple[Stage, int, str]]:
        """Return the stages to be written, in stage order, each dated no earlier than the one before, with notes.

        Everything is drawn whether or not its day has come: a seed gives the
        same campaign on any day, only further along.
        """
        rng = self.rng
        on = start + self._gap(SURVEY_DELAY, pace)
        plan = [(Stage.SURVEYED, on)]
        if goal >= Stage.NEGOTIATING:
            on += self._gap(NEGOTIATE_GAP, pace)
            plan.append((Stage.NEGOTIATING, on))
        if goal >= Stage.SIGNED:
            on += self._gap(SIGN_GAP, pace)
            plan.append((Stage.SIGNED, on))
        if goal >= Stage.VACATED and not in_place:
            on += self._gap(VACATE_GAP, pace)
            if after is not None:
                on = max(on, after + 1 + int(rng.random() * 10))
            plan.append((Stage.VACATED, on))
            if rng.random() < (0.6 if landlord else 0.1):
                on += self._gap(DEMOLISH_GAP, pace)
                plan.append((Stage.DEMOLISHED, on))
        if goal == Stage.CLOSED:
            on += self._gap(CLOSE_IN_PLACE_GAP if in_place else CLOSE_GAP, pace)
            plan.append((Stage.CLOSED, on))
        written = []
        for stage, on in plan:
            # 摸底 and 洽谈 are often not written down, unless the enterprise got no further.
            skipped = stage in RECORDED_SHARE and goal > stage and rng.random() >= RECORDED_SHARE[stage]
            note = self._note(stage)
            if not skipped:
                written.append((stage, on, note))
        return written

    def _gap(self, bounds: tuple[int, int], pace: float) -> int:
        low, high = bounds
        return int((low + self.rng.random() * (high - low)) * pace)

    def _note(self, stage: Stage) -> str:
        return NOTES[stage] if self.rng.random() < NOTE_SHARE else ""

    def _event(self, enterprise_id: int | None, site_id: int | None, stage: Stage, on: int, note: str) -> None:
        self.events.append((enterprise_id, site_id, int(stage), date.fromordinal(on), note, self.user_id, self.now, 1))

    def flush(self) -> None:
        """Hand the rows generated so far to the writer (sites, then enterprises, then events) and start afresh."""
        self.writer.write_chunk([(Site, SITE_COLUMNS, self.sites), (Enterprise, ENTERPRISE_COLUMNS, self.enterprises),
                                 (Event, EVENT_COLUMNS, self.events)])
        self.report.sites += len(self.sites)
        self.report.enterprises += len(self.enterprises)
        self.report.events += len(self.events)
        self.sites, self.enterprises, self.events = [], [], []
        if self.progress is not None:
            self.progress(self.done, self.total, self._rows())

    def _rows(self) -> int:
        """Return the sites, enterprises and events generated so far, written or waiting in the chunk."""
        report = self.report
        return (report.sites + report.enterprises + report.events + len(self.sites) + len(self.enterprises)
                + len(self.events))


def _bulk_history(writer: "_Writer", town_ids: list[int]) -> None:
    """Write the creation history of every site, enterprise and event of the new towns, nobody else's.

    The database copies them from the rows just written, which no other
    transaction can see or add to before this one commits.
    """
    quote = connection.ops.quote_name
    towns = ", ".join(str(int(pk)) for pk in town_ids)
    writer.history_from_rows(Site, f"town_id IN ({towns})")
    writer.history_from_rows(Enterprise, f"town_id IN ({towns})")
    writer.history_from_rows(
        Event, f"enterprise_id IN (SELECT id FROM {quote(Enterprise._meta.db_table)} WHERE town_id IN ({towns}))")
    writer.history_from_rows(
        Event, f"site_id IN (SELECT id FROM {quote(Site._meta.db_table)} WHERE town_id IN ({towns}))")


def _check_columns(model: type[models.Model], columns: tuple) -> None:
    """Fail loudly when MODEL gained or lost a field: the bulk rows would silently miss it.

    Only the id may be left out, for the database to number the rows.
    """
    names = {name for name, _kind in columns}
    fields = {field.attname for field in model._meta.concrete_fields}
    history = {field.attname for field in model.history.model._meta.concrete_fields}
    if names | {"id"} != fields or history != fields | {"history_id", *(name for name, _kind in HISTORY_COLUMNS)}:
        raise RuntimeError(f"perf/scale.py's columns for {model.__name__} no longer match the model's fields")


class _Writer:
    """What both writers share: rows in, with their history rows (history_type "+") alongside or copied after."""

    def __init__(self, *, user_id: int | None, now: datetime):
        self.user_id = user_id
        self.now = now
        self.history_rows = 0

    @contextmanager
    def checking_each_statement(self):
        """Check constraints as the database does by default (SQLite checks its foreign keys at commit)."""
        yield

    def write_chunk(self, tables: list[tuple[type[models.Model], tuple, list[tuple]]]) -> None:
        """Write each (model, columns, rows) of TABLES in turn; see write()."""
        for model, columns, rows in tables:
            self.write(model, columns, rows)

    def wait(self) -> None:
        """Return once every row handed over is written."""

    def stop(self) -> None:
        """Return once nothing is being written, ignoring any failure (another error is on its way)."""

    def write(self, model: type[models.Model], columns: tuple, rows: list[tuple], *, history: bool = False) -> None:
        """Write ROWS (tuples in the order of COLUMNS) to MODEL's table, and their history rows when HISTORY."""
        if not rows:
            return
        _check_columns(model, columns)
        self.wait()
        self._write(model, columns, rows)
        if history:
            tail = (self.now, None, "+", self.user_id)
            self._write(model.history.model, columns + HISTORY_COLUMNS, [row + tail for row in rows])
            self.history_rows += len(rows)

    def history_from_rows(self, model: type[models.Model], where: str) -> None:
        """Write the history row of every row of MODEL matching WHERE (SQL), copied by the database itself."""
        self.wait()
        quote = connection.ops.quote_name
        names = ", ".join(quote(field.column) for field in model._meta.concrete_fields)
        history_names = ", ".join(quote(name) for name, _kind in HISTORY_COLUMNS)
        sql = (f"INSERT INTO {quote(model.history.model._meta.db_table)} ({names}, {history_names}) "
               f"SELECT {names}, %s, NULL, %s, %s FROM {quote(model._meta.db_table)} WHERE {where}")
        with connection.cursor() as cursor:
            cursor.execute(sql, [connection.ops.adapt_datetimefield_value(self.now), "+", self.user_id])
            self.history_rows += cursor.rowcount


class _CopyWriter(_Writer):
    """PostgreSQL: ids reserved from the tables' sequences, rows written with COPY.

    A chunk is copied by a background thread while the next one is generated:
    the server's work (indexes, foreign keys) and Python's then overlap, on the
    one connection. Nothing else may use the connection meanwhile (psycopg2
    does not lock it for the length of a COPY), so every other use waits first.
    """

    ESCAPES, NULL = pgcopy.TEXT_ESCAPES, pgcopy.NULL

    def __init__(self, *, user_id: int | None, now: datetime):
        super().__init__(user_id=user_id, now=now)
        self.free_ids: dict[type, list[int]] = defaultdict(list)
        self.block: dict[type, int] = defaultdict(lambda: 1000)
        self.copying: threading.Thread | None = None
        self.failure: BaseException | None = None
        null = self.NULL
        stamp = now.isoformat()  # the one datetime written: the time of this run
        self.formats = {
            "int": lambda value: null if value is None else str(value),
            "text": self._text,
            "date": lambda value: null if value is None else value.isoformat(),
            "datetime": lambda value: stamp if value is now else null if value is None else value.isoformat(),
            "bool": lambda value: "t" if value else "f",
            "cents": lambda value: f"{value // 100}.{value % 100:02d}",
        }

    def _text(self, value: str | None) -> str:
        if value is None:
            return self.NULL
        # Testing for the four characters is quicker than translating every (Chinese) name.
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.translate(self.ESCAPES)
        return value

    @contextmanager
    def checking_each_statement(self):
        """Check the foreign keys as each COPY ends rather than all at commit.

        The work is the same, but a million enterprises would otherwise queue some
        fifteen million checks in the server's memory for the commit. Django's
        foreign keys are all DEFERRABLE INITIALLY DEFERRED, so ALL DEFERRED
        afterwards restores them as they were.
        """
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # Not on an error: the transaction is rolled back then, and an aborted one would refuse the statement.
        yield
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def write_chunk(self, tables: list[tuple[type[models.Model], tuple, list[tuple]]]) -> None:
        # Everything Django is done here: the thread only formats the rows and drives psycopg.
        copies = []
        for model, columns, rows in tables:
            _check_columns(model, columns)
            if rows:
                copies.append((self._copy_sql(model, columns), [kind for _name, kind in columns], rows))
        self.wait()
        connection.ensure_connection()
        self.copying = threading.Thread(target=self._copy_chunk, args=(connection.connection, copies), daemon=True)
        self.copying.start()

    def stop(self) -> None:
        if self.copying is not None:
            self.copying.join()
            self.copying = None

    def _copy_chunk(self, raw_connection, copies: list[tuple[str, list[str], list[tuple]]]) -> None:
        try:
            for sql, kinds, rows in copies:
                self._copy(raw_connection, sql, kinds, rows)
        except BaseException as error:  # handed to the generating thread by wait()
            self.failure = error

    def wait(self) -> None:
        self.stop()
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure

    def next_id(self, model: type[models.Model]) -> int:
        free = self.free_ids[model]
        if not free:
            self.wait()
            # nextval in one statement: safe beside other writers, and the sequence stays ahead of every id used.
            size = self.block[model]
            self.block[model] = min(2 * size, 100_000)
            free.extend(reversed(pgcopy.reserve_ids(model._meta.db_table, size)))
        return free.pop()

    def _write(self, model: type[models.Model], columns: tuple, rows: list[tuple]) -> None:
        connection.ensure_connection()
        self._copy(connection.connection, self._copy_sql(model, columns), [kind for _name, kind in columns], rows)

    @staticmethod
    def _copy_sql(model: type[models.Model], columns: tuple) -> str:
        return pgcopy.copy_statement(model._meta.db_table, [name for name, _kind in columns])

    def _copy(self, raw_connection, sql: str, kinds: list[str], rows: list[tuple]) -> None:
        formats = [self.formats[kind] for kind in kinds]
        text = "".join(["\t".join([format_(value) for format_, value in zip(formats, row)]) + "\n" for row in rows])
        with raw_connection.cursor() as cursor:
            pgcopy.copy_text(cursor, sql, text)


class _InsertWriter(_Writer):
    """Other databases (SQLite): ids counted on from the largest in use, rows written by executemany in batches."""

    BATCH = 5000

    def __init__(self, *, user_id: int | None, now: datetime):
        super().__init__(user_id=user_id, now=now)
        self.next_ids: dict[type, int] = {}

    def next_id(self, model: type[models.Model]) -> int:
        if model not in self.next_ids:
            # The caller holds the write lock (the towns were written first), so nobody takes these ids meanwhile.
            table = connection.ops.quote_name(model._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT MAX(id) FROM {table}")
                largest = cursor.fetchone()[0] or 0
                if connection.vendor == "sqlite":
                    # AUTOINCREMENT never reuses the id of a deleted row; neither do we.
                    cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [model._meta.db_table])
                    row = cursor.fetchone()
                    largest = max(largest, row[0] if row else 0)
            self.next_ids[model] = largest + 1
        self.next_ids[model] += 1
        return self.next_ids[model] - 1

    def _write(self, model: type[models.Model], columns: tuple, rows: list[tuple]) -> None:
        # Each value as Django would send it (dates, datetimes and decimals differ by database).
        database = connections[DEFAULT_DB_ALIAS]  # the connection itself: the proxy costs a lookup per value
        fields = {field.attname: field for field in model._meta.concrete_fields}
        prepare = []
        for name, kind in columns:
            if kind == "cents":
                prepare.append(lambda value, field=fields[name]: field.get_db_prep_save(Decimal(value).scaleb(-2),
                                                                                        database))
            else:
                prepare.append(lambda value, field=fields[name]: field.get_db_prep_save(value, database))
        quote = connection.ops.quote_name
        sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(name) for name, _kind in columns)}) "
               f"VALUES ({', '.join(['%s'] * len(columns))})")
        with connection.cursor() as cursor:
            for start in range(0, len(rows), self.BATCH):
                cursor.executemany(sql, [[convert(value) for convert, value in zip(prepare, row)]
                                         for row in rows[start:start + self.BATCH]])


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
                rows.append((writer.next_id(Target), year, metric.value, town_id, 100 * value))
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
                rows.append((writer.next_id(Target), year, metric.value, None, 100 * value))
    writer.write(Target, TARGET_COLUMNS, rows, history=True)
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
                    rows.append((writer.next_id(BulletinFigure), county_id, year, month, metric.value, cents,
                                 100 * target))
    writer.write(BulletinFigure, BULLETIN_COLUMNS, rows, history=True)
    return len(rows)
