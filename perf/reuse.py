"""Synthetic 换鸟 data for generate_scale: projects on the generated towns' vacated parcels, their land and stages.

Each project takes part of one to three vacated parcels (never an area, never more over all projects than a
parcel holds); its 供地 (复垦: 验收 follows it) comes after every parcel it takes is vacated; stages are dated in
order up to today; some 招商项目 are run by the town's evaluated enterprises, so 履约 has met, missed and
unverified commitments to show. Written in bulk; the caller stores each project's land as the sum of its areas
(here, as it generates them) and rebuilds the reuse rollup.
"""

import random
from datetime import date

from django.db.models import Count, Exists, OuterRef, Subquery
from django.utils import timezone

from clearance.bulk import BulkWriter
from clearance.choices import CommitmentState, ProjectKind, ProjectStage, Stage
from clearance.models import EvaluatedEnterprise, Event, Project, ProjectEvent, ProjectSite, Site

from .campaign import CHUNK, FIRST_YEAR, PLACES, from_cents

MAX_PROJECTS = 1_000_000
# Without --projects: one project for about this many enterprises.
ENTERPRISES_PER_PROJECT = 50
RECLAMATION_SHARE = 0.15
OPERATED_SHARE = 0.75  # of the 招商项目 of a town with evaluated enterprises
INDUSTRIES = ("高端装备制造", "新材料", "数字经济", "生物医药", "新能源", "智能制造", "汽车零部件", "光电子",
              "现代物流", "节能环保")
# The parcels a project takes, and the share of what is left of each that it takes.
PARCELS_TAKEN = (1, 1, 1, 2, 2, 3)
SHARE_TAKEN = (0.2, 0.7)
# The furthest stage a project is meant to reach, unless today comes first: (choices, cumulative weights).
INVESTMENT_GOALS = ((ProjectStage.SIGNED, ProjectStage.LAND_SUPPLIED, ProjectStage.CONSTRUCTION_STARTED,
                     ProjectStage.IN_PRODUCTION, ProjectStage.FULL_PRODUCTION), (10, 25, 45, 65, 100))
RECLAMATION_GOALS = ((ProjectStage.LAND_SUPPLIED, ProjectStage.ACCEPTED), (35, 100))
# Days: 签约 before the land is vacated (low, high), and between one stage and the next.
SIGNED_BEFORE_VACATED = (0, 150)
GAPS = {
    ProjectStage.LAND_SUPPLIED: (10, 120),
    ProjectStage.CONSTRUCTION_STARTED: (15, 90),
    ProjectStage.IN_PRODUCTION: (120, 420),
    ProjectStage.FULL_PRODUCTION: (90, 365),
    ProjectStage.ACCEPTED: (60, 300),
}
# The committed dates after 签约: 开工, then 投产, then 达产.
COMMITTED_GAPS = ((60, 240), (180, 540), (120, 480))
INVESTMENT_PER_MU_WAN = (150, 900)
# The committed 亩均税收 (万元/亩): around what the generated evaluation gives, so some are met and some missed.
TAX_PER_MU_WAN = (4, 30)
NOTE_SHARE = 0.2
NOTES = {ProjectStage.SIGNED: "签订投资协议", ProjectStage.LAND_SUPPLIED: "完成供地", ProjectStage.CONSTRUCTION_STARTED: "项目开工",
         ProjectStage.IN_PRODUCTION: "竣工投产", ProjectStage.FULL_PRODUCTION: "达产", ProjectStage.ACCEPTED: "复垦验收"}

PROJECT_COLUMNS = (
    "id", "town_id", "name", "kind", "investor", "industry", "operator_id", "committed_investment_wan",
    "committed_tax_per_mu_wan", "committed_start_on", "committed_production_on", "committed_full_production_on",
    "deadline", "land_mu", "notes", "commitment", "version",
)
# Judged from the evaluation once everything is written (derived.commitments, by the caller).
UNJUDGED = CommitmentState.UNVERIFIED.value
ALLOCATION_COLUMNS = ("project_id", "site_id", "area_mu")
EVENT_COLUMNS = ("project_id", "stage", "occurred_on", "note", "recorded_by_id", "recorded_at", "version")


def default_projects(enterprises: int) -> int:
    return enterprises // ENTERPRISES_PER_PROJECT


def vacated_parcels(town_ids: list[int]):
    """The vacated leaf sites of TOWN_IDS."""
    return (Site.objects.filter(town_id__in=town_ids)
            .filter(Exists(Event.objects.filter(site_id=OuterRef("pk"), stage=Stage.VACATED)))
            .exclude(Exists(Site.objects.filter(parent_id=OuterRef("pk")))))


def _vacated_on():
    return Subquery(Event.objects.filter(site_id=OuterRef("pk"), stage=Stage.VACATED).values("occurred_on")[:1])


class Projects:
    """Generates the projects of each town and hands them to the writer a chunk at a time."""

    def __init__(self, rng: random.Random, *, writer: BulkWriter, today: date, user_id: int | None,
                 chunk: int = CHUNK):
        self.rng, self.writer, self.user_id, self.chunk = rng, writer, user_id, chunk
        self.today = today.toordinal()
        self.first_day = date(FIRST_YEAR, 1, 1).toordinal()
        self.now = timezone.now()
        self.projects: list[tuple] = []
        self.allocations: list[tuple] = []
        self.events: list[tuple] = []
        self.written = {"projects": 0, "allocations": 0, "events": 0}

    def generate(self, town_ids: list[int], total: int) -> None:
        """Spread TOTAL projects over TOWN_IDS in proportion to their vacated parcels, and write them."""
        self.writer.wait()
        counts = dict(vacated_parcels(town_ids).order_by().values("town_id").annotate(n=Count("pk"))
                      .values_list("town_id", "n"))
        towns = [town_id for town_id in town_ids if counts.get(town_id)]
        parcels = sum(counts.values())
        if not parcels or not total:
            return
        quotas = [total * counts[town_id] // parcels for town_id in towns]
        for k in range(total - sum(quotas)):
            quotas[k % len(towns)] += 1
        for town_id, quota in zip(towns, quotas):
            if quota:
                self.town(town_id, quota)
        self.flush()

    def town(self, town_id: int, quota: int) -> None:
        """Add up to QUOTA projects to TOWN_ID; fewer where its vacated land runs out."""
        rng = self.rng
        self.writer.wait()
        # [site id, cents of a mu left, day vacated]
        left = [[pk, int(area * 100), on.toordinal()] for pk, area, on in
                vacated_parcels([town_id]).annotate(vacated_on=_vacated_on()).order_by("pk")
                .values_list("pk", "area_mu", "vacated_on")]
        operators = list(EvaluatedEnterprise.objects.filter(town_id=town_id).order_by("pk")
                         .values_list("pk", flat=True))
        for number in range(1, quota + 1):
            available = [parcel for parcel in left if parcel[1] > 0]
            if not available:
                return
            taken = rng.sample(available, min(len(available), rng.choice(PARCELS_TAKEN)))
            self._project(town_id, number, taken, operators)
            if len(self.projects) >= self.chunk:
                self.flush()

    def _project(self, town_id: int, number: int, taken: list[list], operators: list[int]) -> None:
        rng = self.rng
        project_id = self.writer.next_id(Project)
        land = 0
        for parcel in taken:
            cents = max(1, int(parcel[1] * rng.uniform(*SHARE_TAKEN)))
            parcel[1] -= cents
            land += cents
            self.allocations.append((project_id, parcel[0], from_cents(cents)))
        vacated = max(parcel[2] for parcel in taken)
        place, industry = rng.choice(PLACES), rng.choice(INDUSTRIES)
        reclamation = rng.random() < RECLAMATION_SHARE
        if reclamation:
            stages = self._stages(vacated, None, RECLAMATION_GOALS)
            # Acceptance is due within about a year of the land being vacated.
            row = (project_id, town_id, f"{place}{number:05d}号复垦项目", ProjectKind.RECLAMATION.value, "", "", None,
                   None, None, None, None, None, date.fromordinal(vacated + 400), from_cents(land), "", UNJUDGED, 1)
        else:
            signed = max(self.first_day, vacated - self._gap(SIGNED_BEFORE_VACATED))
            stages = self._stages(vacated, signed, INVESTMENT_GOALS)
            committed, on = [], signed
            for gap in COMMITTED_GAPS:
                on += self._gap(gap)
                committed.append(date.fromordinal(on))
            operator = rng.choice(operators) if operators and rng.random() < OPERATED_SHARE else None
            investment = land * rng.uniform(*INVESTMENT_PER_MU_WAN)
            tax = rng.uniform(*TAX_PER_MU_WAN)
            row = (project_id, town_id, f"{place}{industry}项目{number:05d}", ProjectKind.INVESTMENT.value,
                   f"{place}{industry}投资有限公司", industry, operator, from_cents(int(investment)),
                   from_cents(int(tax * 100)), *committed, None, from_cents(land), "", UNJUDGED, 1)
        self.projects.append(row)
        for stage, on in stages:
            note = NOTES[stage] if rng.random() < NOTE_SHARE else ""
            self.events.append((project_id, int(stage), date.fromordinal(on), note, self.user_id, self.now, 1))

    def _stages(self, vacated: int, signed: int | None, goals: tuple) -> list[tuple[ProjectStage, int]]:
        """Return the stages reached by today, in order: 签约 on SIGNED (if any), 供地 after VACATED, then the rest.

        Everything is drawn whether or not its day has come, so a seed gives the same projects on any day.
        """
        rng = self.rng
        goal = rng.choices(goals[0], cum_weights=goals[1])[0]
        planned = [] if signed is None else [(ProjectStage.SIGNED, signed)]
        on = max(vacated, signed or vacated)
        for stage in goals[0]:
            if stage == ProjectStage.SIGNED:
                continue
            on += self._gap(GAPS[stage])
            if stage <= goal:
                planned.append((stage, on))
        reached = []
        for stage, on in planned:
            if on > self.today:
                break
            reached.append((stage, on))
        return reached

    def _gap(self, bounds: tuple[int, int]) -> int:
        low, high = bounds
        return int(low + self.rng.random() * (high - low))

    def flush(self) -> None:
        """Hand the rows generated so far to the writer (projects, then their land and stages)."""
        self.writer.create_rows((Project, PROJECT_COLUMNS, self.projects),
                                (ProjectSite, ALLOCATION_COLUMNS, self.allocations),
                                (ProjectEvent, EVENT_COLUMNS, self.events))
        self.written["projects"] += len(self.projects)
        self.written["allocations"] += len(self.allocations)
        self.written["events"] += len(self.events)
        self.projects, self.allocations, self.events = [], [], []
