"""The models of the campaign, by sub-domain; import them from here."""

from .derived import (
    EvaluationTownFigure, MonthlyFigure, RegisterMonthlyFigure, RegisterYearlyFigure, SiteAncestry, SiteProgress,
    YearlyFigure,
)
from .evaluation import Adjustment, EvaluatedEnterprise, IndicatorRow, Scheme, SchemeWeight, ScoringRequest
from .jobs import BackgroundJob, JobFile
from .periods import ReportingPeriod
from .people import Profile
from .places import AttackGroup, Bureau, BureauHead, County, Pairing, PairingQuerySet, TaskForce, TaskForceMember, Town
from .records import Enterprise, Event, Photo, PhotoFields, Site, photo_upload_to
from .reuse import (
    Project, ProjectEvent, ProjectPhoto, ProjectSite, ReuseMonthlyFigure, ReuseYearlyFigure, project_sites_vacated,
)
from .stability import EconomyFigure, EconomyYear, RegisterItem
from .targets import BulletinFigure, Target

__all__ = [
    "EconomyFigure",
    "EconomyYear",
    "EvaluationTownFigure",
    "PhotoFields",
    "Project",
    "ProjectEvent",
    "ProjectPhoto",
    "ProjectSite",
    "RegisterItem",
    "RegisterMonthlyFigure",
    "RegisterYearlyFigure",
    "ReuseMonthlyFigure",
    "ReuseYearlyFigure",
    "YearlyFigure",
    "project_sites_vacated",
    "SchemeWeight",
    "ScoringRequest",
    "Scheme",
    "IndicatorRow",
    "EvaluatedEnterprise",
    "Adjustment",
    "AttackGroup",
    "BackgroundJob",
    "Bureau",
    "BureauHead",
    "BulletinFigure",
    "County",
    "Enterprise",
    "Event",
    "JobFile",
    "MonthlyFigure",
    "Pairing",
    "PairingQuerySet",
    "Photo",
    "ReportingPeriod",
    "Profile",
    "Site",
    "SiteAncestry",
    "SiteProgress",
    "TaskForce",
    "TaskForceMember",
    "Target",
    "Town",
    "photo_upload_to",
]
