"""The synthetic campaign's sites, enterprises and events, generated town by town for generate_scale."""

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from clearance.bulk import BulkWriter
from clearance.choices import DISPOSALS_CLOSED_WITHOUT_VACATING, Disposal, Stage
from clearance.models import Enterprise, Event, Site

FIRST_YEAR = 2019
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

# The fields of the bulk rows, in the order the generator builds them.
SITE_COLUMNS = ("id", "town_id", "name", "parent_id", "area_mu", "land_use", "ownership_notes", "deadline", "notes",
                "version")
ENTERPRISE_COLUMNS = ("id", "town_id", "site_id", "name", "credit_code", "is_two_high_one_low", "is_high_consumption",
                      "is_low_scattered", "is_factory_in_factory", "is_tenant", "disposal", "annual_energy_tce",
                      "energy_freed_tce", "responsible_group_id", "plan_deadline", "plan_notes", "version")
# No id: nothing refers to a new event, so the database numbers them.
EVENT_COLUMNS = ("enterprise_id", "site_id", "stage", "occurred_on", "note", "recorded_by_id", "recorded_at", "version")

ProgressCallback = Callable[[int, int, int], None]


@dataclass
class EvaluationReport:
    """What the evaluation part of generate_scale added, and how long it took."""

    evaluated: int = 0
    joined_by_code: int = 0
    joined_by_name: int = 0
    indicator_rows: int = 0
    adjustments: int = 0
    years: tuple[int, ...] = ()
    seconds: float = 0.0  # generating and writing the rows
    scoring_seconds: float = 0.0

    @property
    def rows(self) -> int:
        return self.evaluated + self.indicator_rows + self.adjustments


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
    projects: int = 0  # 换鸟: projects, the land each takes from a site, their stage events
    project_sites: int = 0
    project_events: int = 0
    register_items: int = 0
    history_rows: int = 0
    seconds: float = 0.0
    evaluation: "EvaluationReport | None" = None  # with generate_scale --evaluated

    @property
    def rows(self) -> int:
        evaluation = self.evaluation.rows if self.evaluation is not None else 0
        reuse = self.projects + self.project_sites + self.project_events
        return (self.towns + self.sites + self.enterprises + self.events + self.targets + self.bulletin_figures
                + self.register_items + evaluation + reuse)


class Campaign:
    """Generates sites, enterprises and events town by town, and hands them to the writer a chunk at a time."""

    def __init__(self, rng: random.Random, *, today: date, writer: BulkWriter, report: ScaleReport, now: datetime, chunk: int,
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
        self.sites[slot] = (area_id, self.town_id, name, None, from_cents(area_cents), "", "",
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
        self.sites.append((site_id, self.town_id, name, parent_id, from_cents(cents), land_use, "",
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
        self.enterprises.append((enterprise_id, self.town_id, site_id, name, None, *flags, disposal, from_cents(annual), from_cents(freed),
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
        self.writer.create_rows((Site, SITE_COLUMNS, self.sites), (Enterprise, ENTERPRISE_COLUMNS, self.enterprises),
                                (Event, EVENT_COLUMNS, self.events), in_background=True)
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


def from_cents(cents: int) -> Decimal:
    """Return a whole number of hundredths (of a mu, of a tce) as the Decimal a two-decimal field stores."""
    return Decimal(cents).scaleb(-2)
