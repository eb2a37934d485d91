"""Fixed vocabularies of the campaign: stages, disposal methods, categories, metrics."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TownKind(models.TextChoices):
    SUBDISTRICT = "subdistrict", _("Subdistrict")
    # "Town" is also the model (镇街道); as a kind of town it is 镇.
    TOWN = "town", pgettext_lazy("town kind", "Town")
    DEVELOPMENT_ZONE = "development_zone", _("Development zone")


class Stage(models.IntegerChoices):
    """Progress stages in campaign order; the integer order is the stage order."""

    SURVEYED = 10, _("Surveyed")
    NEGOTIATING = 20, _("Negotiating")
    SIGNED = 30, _("Signed")
    VACATED = 40, _("Vacated")
    DEMOLISHED = 50, _("Demolished")
    CLOSED = 60, _("Closed out")


class Disposal(models.TextChoices):
    UPGRADE = "upgrade", _("Upgrade in place")
    SHUT_DOWN = "shut_down", _("Shut down")
    VACATE = "vacate", _("Vacate and reclaim")
    MERGE = "merge", _("Merge and reorganise")
    MOVE_TO_PARK = "move_to_park", _("Move into a park")


# Disposal methods under which the enterprise stays where it is: it can be
# closed out once it has signed, without a 腾退 event. Every other method (and
# an enterprise without a method yet) must be vacated before it is closed out.
DISPOSALS_CLOSED_WITHOUT_VACATING = frozenset({Disposal.UPGRADE, Disposal.MERGE})


class Category(models.TextChoices):
    """Categories an enterprise can carry; each is a boolean field of Enterprise."""

    TWO_HIGH_ONE_LOW = "is_two_high_one_low", _("Two highs, one low")
    HIGH_CONSUMPTION = "is_high_consumption", _("High consumption, low efficiency")
    LOW_SCATTERED = "is_low_scattered", _("Low-end, scattered, disorderly, polluting")
    FACTORY_IN_FACTORY = "is_factory_in_factory", _("Factory within a factory")
    TENANT = "is_tenant", _("Tenant enterprise")


class Metric(models.TextChoices):
    """The three figures Jiaxing sets yearly targets for (keys as in the API)."""

    ENTERPRISES_RECTIFIED = "enterprises_rectified", _("Enterprises rectified and closed out")
    LAND_VACATED_MU = "land_vacated_mu", _("Low-efficiency land vacated")
    ENERGY_FREED_TCE = "energy_freed_tce", _("Energy freed")


METRIC_UNITS = {
    # The unit of a count of enterprises (家), not the model's plural name (企业).
    Metric.ENTERPRISES_RECTIFIED: pgettext_lazy("unit", "enterprises"),
    Metric.LAND_VACATED_MU: _("mu"),
    Metric.ENERGY_FREED_TCE: _("tce"),
}


class MemberRole(models.TextChoices):
    HEAD = "head", _("Paired bureau head")
    LEADER = "leader", _("Task force leader")
    MEMBER = "member", _("Member")
    LIAISON = "liaison", _("Liaison")


class PersonRole(models.TextChoices):
    """The roles of DOMAIN.md a person acts in; clearance/permissions.py decides what each may do."""

    ADMIN = "admin", _("Administrator")
    LEADER = "leader", _("Leader")
    OFFICIAL = "official", _("Task force official")


class PhotoPhase(models.TextChoices):
    BEFORE = "before", _("Before")
    DURING = "during", _("During")
    AFTER = "after", _("After")


class JobKind(models.TextChoices):
    """What a background job does; evaluation imports and recomputations join here."""

    LEDGER_IMPORT = "ledger_import", _("Ledger import")
    INDICATORS_IMPORT = "indicators_import", _("Evaluation data import")


class JobStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("job status", "Queued")
    RUNNING = "running", pgettext_lazy("job status", "Running")
    # A dry run ended without a bad row: the job waits for the admin to confirm.
    PREVIEWED = "previewed", pgettext_lazy("job status", "Previewed")
    SUCCEEDED = "succeeded", pgettext_lazy("job status", "Succeeded")
    FAILED = "failed", pgettext_lazy("job status", "Failed")


class JobPhase(models.TextChoices):
    """The phases of an import, in order; `checking` counts rows, the others are one step each."""

    READING = "reading", pgettext_lazy("job phase", "Reading")
    CHECKING = "checking", pgettext_lazy("job phase", "Checking")
    WRITING = "writing", pgettext_lazy("job phase", "Writing")


class SizeClass(models.TextChoices):
    """An evaluated enterprise's size class for a year: each is scored against its own class."""

    ABOVE = "above", _("Above designated size")  # 规上
    BELOW = "below", _("Below designated size")  # 规下


class Grade(models.TextChoices):
    """The classes of the 亩均效益 evaluation, best first."""

    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"


class Indicator(models.TextChoices):
    """The derived indicators of the evaluation (keys as in /api/evaluation/)."""

    TAX_PER_MU = "tax_per_mu", _("Tax per mu")
    VALUE_ADDED_PER_MU = "value_added_per_mu", _("Value added per mu")
    VALUE_ADDED_PER_ENERGY = "value_added_per_energy", _("Value added per tonne of energy")
    VALUE_ADDED_PER_EMISSION = "value_added_per_emission", _("Value added per tonne of emissions")
    RD_INTENSITY_PCT = "rd_intensity_pct", _("R&D intensity")
    LABOUR_PRODUCTIVITY = "labour_productivity", _("Labour productivity")
    TAX_PER_POWER = "tax_per_power", _("Tax per unit of power")


INDICATOR_UNITS = {
    Indicator.TAX_PER_MU: _("10k yuan/mu"),
    Indicator.VALUE_ADDED_PER_MU: _("10k yuan/mu"),
    Indicator.VALUE_ADDED_PER_ENERGY: _("10k yuan/tce"),
    Indicator.VALUE_ADDED_PER_EMISSION: _("10k yuan/t"),
    Indicator.RD_INTENSITY_PCT: "%",
    Indicator.LABOUR_PRODUCTIVITY: _("10k yuan/person"),
    Indicator.TAX_PER_POWER: _("10k yuan/10k kWh"),
}


class ProjectKind(models.TextChoices):
    """What takes vacated land (换鸟): an investor's project, or the land returned to farmland."""

    INVESTMENT = "investment", _("Investment project")  # 招商项目
    RECLAMATION = "reclamation", _("Reclamation")  # 复垦


class ProjectStage(models.IntegerChoices):
    """A project's stages, each a dated event; 复垦 goes 供地 → 验收 only."""

    SIGNED = 10, pgettext_lazy("project stage", "Signed")
    LAND_SUPPLIED = 20, pgettext_lazy("project stage", "Land supplied")
    CONSTRUCTION_STARTED = 30, pgettext_lazy("project stage", "Construction started")
    IN_PRODUCTION = 40, pgettext_lazy("project stage", "In production")
    FULL_PRODUCTION = 50, pgettext_lazy("project stage", "Full production")
    ACCEPTED = 60, pgettext_lazy("project stage", "Accepted")


# Each kind's stages in order; a stage needs every earlier one of its kind recorded first, dated no later.
PROJECT_STAGES = {
    ProjectKind.INVESTMENT: (
        ProjectStage.SIGNED, ProjectStage.LAND_SUPPLIED, ProjectStage.CONSTRUCTION_STARTED,
        ProjectStage.IN_PRODUCTION, ProjectStage.FULL_PRODUCTION,
    ),
    ProjectKind.RECLAMATION: (ProjectStage.LAND_SUPPLIED, ProjectStage.ACCEPTED),
}

# The stage whose date counts a project's land as reused (DOMAIN.md: 供地; 复垦: 验收).
LAND_REUSED_STAGE = {
    ProjectKind.INVESTMENT: ProjectStage.LAND_SUPPLIED,
    ProjectKind.RECLAMATION: ProjectStage.ACCEPTED,
}


class ReuseMetric(models.TextChoices):
    """The figures of 换鸟 (keys as in /api/reuse/); the first three may have yearly targets."""

    PROJECTS_SIGNED = "projects_signed", _("Projects signed")
    INVESTMENT_SIGNED_WAN = "investment_signed_wan", _("Investment signed")
    LAND_REUSED_MU = "land_reused_mu", _("Land reused")
    LAND_AWAITING_MU = "land_awaiting_mu", _("Land awaiting reuse")


REUSE_TARGET_METRICS = (ReuseMetric.PROJECTS_SIGNED, ReuseMetric.INVESTMENT_SIGNED_WAN, ReuseMetric.LAND_REUSED_MU)

REUSE_METRIC_UNITS = {
    ReuseMetric.PROJECTS_SIGNED: pgettext_lazy("unit", "projects"),
    ReuseMetric.INVESTMENT_SIGNED_WAN: _("10k yuan"),
    ReuseMetric.LAND_REUSED_MU: _("mu"),
    ReuseMetric.LAND_AWAITING_MU: _("mu"),
}

# Every metric a yearly target may be set for: the clearance metrics, then the reuse ones.
TARGET_METRIC_CHOICES = Metric.choices + [(metric.value, metric.label) for metric in REUSE_TARGET_METRICS]


class CommitmentState(models.TextChoices):
    """履约: a due 招商项目's committed 亩均税收 against the evaluation of its 达产 year or a later one."""

    MET = "met", _("Met")
    MISSED = "missed", _("Missed")
    UNVERIFIED = "unverified", _("Unverified")


class Region(models.TextChoices):
    """Whose economy a monthly figure describes (快中求稳)."""

    PINGHU = "pinghu", _("Pinghu")
    JIAXING = "jiaxing", _("Jiaxing")


class RegisterKind(models.TextChoices):
    """What the register of order (快中求稳) records, found during clearance."""

    DISPUTE = "dispute", _("Dispute")  # 矛盾纠纷
    PETITION = "petition", _("Petition")  # 信访
    HAZARD = "hazard", _("Safety hazard")  # 安全隐患
