"""换鸟: the projects that take vacated land (招商项目 and 复垦), the land each takes, their dated stages and photos.

A project's land is the sum of the areas it takes from leaf sites of its town (`ProjectSite`); over all
projects a site never gives more than its area. The reuse figures are computed from the projects' events
and summed per town and month in `ReuseMonthlyFigure`, kept in step by the services.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import PROJECT_STAGES, CommitmentState, ProjectKind, ProjectStage
from ..rules import land_supply_problem, project_stage_problem
from .evaluation import EvaluatedEnterprise
from .places import Town
from .records import Event, PhotoFields, Site

MONEY = {"max_digits": 14, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class Project(models.Model):
    """A project on vacated land: an investor's (招商项目) under written commitments, or land returned to farmland."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="projects", verbose_name=_("town"))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=ProjectKind.choices, default=ProjectKind.INVESTMENT)
    investor = models.CharField(_("investor"), max_length=100, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    operator = models.ForeignKey(
        EvaluatedEnterprise,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("operating enterprise"),
        help_text=_("The evaluated enterprise that runs the project: its 亩均税收 decides whether the commitment is kept."),
    )
    committed_investment_wan = models.DecimalField(_("committed investment (10k yuan)"), null=True, blank=True, **MONEY)
    committed_tax_per_mu_wan = models.DecimalField(
        _("committed tax per mu at full production (10k yuan/mu)"), null=True, blank=True, **MONEY
    )
    committed_start_on = models.DateField(_("committed construction start"), null=True, blank=True)
    committed_production_on = models.DateField(_("committed start of production"), null=True, blank=True)
    committed_full_production_on = models.DateField(_("committed full production"), null=True, blank=True)
    deadline = models.DateField(
        _("deadline"), null=True, blank=True, help_text=_("For reclamation: the date acceptance is due.")
    )
    # Derived, never edited: the sum of the areas taken from each site, kept by services.reuse with the allocations.
    land_mu = models.DecimalField(_("land (mu)"), max_digits=12, decimal_places=2, default=Decimal("0"), editable=False)
    notes = models.TextField(_("notes"), blank=True)
    # Derived, never edited: 履约 as the operator's evaluations judge it (selectors.reuse.commitment_of), kept by
    # derived.commitments in the transaction of each write that can change it, so that a page counting or listing
    # ten thousand commitments reads a column instead of looking through the evaluation for each.
    commitment = models.CharField(_("commitment"), max_length=12, choices=CommitmentState.choices,
                                  default=CommitmentState.UNVERIFIED, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # The history is of what people wrote; the derived state follows the evaluation.
    history = HistoricalRecords(excluded_fields=["commitment"])

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["town__display_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["town", "name"], name="unique_project_name_per_town"),
            models.CheckConstraint(
                condition=Q(committed_investment_wan__isnull=True) | Q(committed_investment_wan__gte=0),
                name="project_investment_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(committed_tax_per_mu_wan__isnull=True) | Q(committed_tax_per_mu_wan__gte=0),
                name="project_tax_not_negative",
            ),
        ]
        indexes = [
            # 履约: the due commitments of a period are the investment projects committed to full production by then.
            # With the town and the state: the counts per town read the index alone (a third of the time of reading
            # every project at a million enterprises' 20,000 projects).
            models.Index(fields=["kind", "committed_full_production_on"], include=["town", "commitment"],
                         name="project_due_idx"),
            # One town's due commitments (its page): a range of this index, not a filter over every town's.
            models.Index(fields=["town", "kind", "committed_full_production_on"], include=["commitment"],
                         name="project_town_due_idx"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("clearance:project_detail", args=[self.pk])

    @property
    def stages(self) -> tuple[ProjectStage, ...]:
        return PROJECT_STAGES[ProjectKind(self.kind)]

    def clean(self):
        errors = {}
        if self.kind == ProjectKind.INVESTMENT and not (self.investor or "").strip():
            errors["investor"] = ValidationError(_("An investment project names its investor."), code="no_investor")
        if self.operator_id and self.town_id and self.operator.town_id != self.town_id:
            errors["operator"] = ValidationError(
                _("The operating enterprise must be one of the project's town."), code="operator_other_town"
            )
        committed = [
            ("committed_start_on", self.committed_start_on),
            ("committed_production_on", self.committed_production_on),
            ("committed_full_production_on", self.committed_full_production_on),
        ]
        given = [(name, on) for name, on in committed if on is not None]
        for (earlier_name, earlier), (name, later) in zip(given, given[1:]):
            if later < earlier:
                errors[name] = ValidationError(
                    _("The committed dates must be in order: construction start, production, full production."),
                    code="committed_dates_out_of_order",
                )
                break
        if self.pk and self.town_id and self._town_changed() and self.allocations.exists():
            errors["town"] = ValidationError(
                _("Release the project's land first: it cannot change town while it takes land."),
                code="project_town_has_land",
            )
        if errors:
            raise ValidationError(errors)

    def _town_changed(self) -> bool:
        stored = Project.objects.filter(pk=self.pk).values_list("town_id", flat=True).first()
        return stored is not None and stored != self.town_id


class ProjectSite(models.Model):
    """The land one project takes from one site: part or all of it."""

    project = models.ForeignKey(Project, models.CASCADE, related_name="allocations", verbose_name=_("project"))
    site = models.ForeignKey(Site, models.PROTECT, related_name="allocations", verbose_name=_("site"))
    area_mu = models.DecimalField(
        _("area taken (mu)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("land of a project")
        verbose_name_plural = _("land of projects")
        ordering = ["project", "site__name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "site"], name="one_allocation_per_project_site"),
            models.CheckConstraint(condition=Q(area_mu__gt=0), name="allocation_area_positive"),
        ]

    def __str__(self):
        return f"{self.project} ← {self.site} {self.area_mu}"

    def clean(self):
        errors = {}
        if self.site_id and self.project_id:
            if self.site.town_id != self.project.town_id:
                errors["site"] = ValidationError(
                    _("%(site)s is in %(site_town)s, not in the project's town %(town)s."),
                    code="allocation_other_town",
                    params={"site": self.site.name, "site_town": self.site.town.name, "town": self.project.town.name},
                )
            elif self.site.children.exists():
                errors["site"] = ValidationError(
                    _("%(site)s is an area with parcels inside: take land from its parcels."),
                    code="allocation_not_leaf",
                    params={"site": self.site.name},
                )
        if errors:
            raise ValidationError(errors)


class ProjectEvent(models.Model):
    """A project's stage reached on a date; at most one per stage, corrected in place (kept in the history)."""

    project = models.ForeignKey(Project, models.PROTECT, related_name="events", verbose_name=_("project"))
    stage = models.PositiveSmallIntegerField(_("stage"), choices=ProjectStage.choices)
    occurred_on = models.DateField(_("date"))
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="recorded_project_events",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("project event")
        verbose_name_plural = _("project events")
        ordering = ["occurred_on", "stage", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["project", "stage"], name="one_project_event_per_stage"),
        ]
        indexes = [models.Index(fields=["stage", "occurred_on"], name="project_event_stage_date_idx")]

    def __str__(self):
        return f"{self.project} {self.get_stage_display()} {self.occurred_on:%Y-%m-%d}"

    @property
    def town(self) -> Town:
        return self.project.town

    def clean(self):
        if self.occurred_on and self.occurred_on > timezone.localdate():
            raise ValidationError(
                {"occurred_on": ValidationError(_("The date cannot be in the future."), code="future_date")}
            )
        if not (self.project_id and self.stage and self.occurred_on):
            return
        stage = ProjectStage(self.stage)
        others = dict(
            ProjectEvent.objects.filter(project_id=self.project_id).exclude(pk=self.pk).values_list("stage", "occurred_on")
        )
        problem = project_stage_problem(self.project.kind, stage, self.occurred_on, others)
        if problem is None and stage == ProjectStage.LAND_SUPPLIED:
            problem = land_supply_problem(self.occurred_on, project_sites_vacated(self.project_id))
        if problem is not None:
            raise problem


def project_sites_vacated(project_id: int) -> list[tuple[str, object]]:
    """Return the name and 腾退 date (or None) of each site PROJECT_ID takes land from (one query)."""
    vacated_on = Event.objects.filter(site_id=models.OuterRef("site_id")).values("occurred_on")[:1]
    return list(
        ProjectSite.objects.filter(project_id=project_id)
        .annotate(vacated_on=models.Subquery(vacated_on))
        .order_by("site__name")
        .values_list("site__name", "vacated_on")
    )


class ProjectPhoto(PhotoFields):
    """A photo of a project's stage: the land in use, the farmland restored."""

    event = models.ForeignKey(ProjectEvent, models.CASCADE, related_name="photos", verbose_name=_("project event"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("project photo")
        verbose_name_plural = _("project photos")
        ordering = ["event", "uploaded_at"]


class ReuseFigures(models.Model):
    """One town's reuse figures of a period (selectors.reuse.ROLLUP_KEYS): the columns the monthly and the yearly
    reuse rollup share."""

    projects_signed = models.IntegerField(default=0)
    investment_signed_wan = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    land_reused_mu = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))

    class Meta:
        abstract = True


class ReuseMonthlyFigure(ReuseFigures):
    """Derived, never edited: one town's reuse figures for the project events dated in one calendar month.

    `land_awaiting_mu` needs no column: it is the vacated leaf land of MonthlyFigure up to a month, less
    the reused land here up to it.
    """

    town = models.ForeignKey(Town, models.CASCADE, related_name="reuse_figures", verbose_name=_("town"))
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))

    class Meta:
        verbose_name = _("monthly reuse figure")
        verbose_name_plural = _("monthly reuse figures")
        constraints = [models.UniqueConstraint(fields=["town", "year", "month"], name="one_reuse_figure")]
        indexes = [models.Index(fields=["year", "month"], name="reuse_figure_period_idx")]

    def __str__(self):
        return f"{self.town} {self.year}-{self.month:02d}"


class ReuseYearlyFigure(ReuseFigures):
    """Derived, never edited: one town's reuse figures for the project events dated in one calendar year.

    The land awaiting reuse at a period's end takes the land reused up to it, over every year: the earlier years'
    rows and the period's year's months (ReuseMonthlyFigure) rather than every month of every year. Kept with the
    monthly rows by clearance.derived.reuse_rollup; `verify_rollups` checks them.
    """

    town = models.ForeignKey(Town, models.CASCADE, related_name="reuse_years", verbose_name=_("town"))
    year = models.PositiveSmallIntegerField(_("year"))

    class Meta:
        verbose_name = _("yearly reuse figure")
        verbose_name_plural = _("yearly reuse figures")
        constraints = [models.UniqueConstraint(fields=["town", "year"], name="one_reuse_year_figure")]

    def __str__(self):
        return f"{self.town} {self.year}"
