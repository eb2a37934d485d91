"""The campaign's records: sites, enterprises, their dated events and photos."""

import uuid
from pathlib import PurePath
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import Category, Disposal, PhotoPhase, ProjectStage, Stage
from ..rules import (
    LEAVING_STAGES,
    attack_group_problem,
    enterprise_event_problem,
    parent_chain_contains,
    site_reused_problem,
    site_vacate_problem,
    stage_recorded_problem,
    vacated_site_problem,
)
from ..validators import validate_credit_code
from .places import AttackGroup, Town


class Site(models.Model):
    """A parcel or cluster of land under clearance; an area may contain parcels (children)."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="sites", verbose_name=_("town"))
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("containing area"),
    )
    area_mu = models.DecimalField(_("area (mu)"), max_digits=12, decimal_places=2)
    land_use = models.CharField(_("land use"), max_length=50, blank=True)
    ownership_notes = models.TextField(_("ownership notes"), blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["town__display_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["town", "name"], name="unique_site_name_per_town"),
            models.CheckConstraint(condition=Q(area_mu__gt=0), name="site_area_positive"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("clearance:site_detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.area_mu is not None and self.area_mu <= 0:
            errors["area_mu"] = ValidationError(_("The area must be a positive number of mu."), code="area_not_positive")
        if self.pk and self.town_id and self._town_changed() and (self.enterprises.exists() or self.children.exists()):
            errors["town"] = ValidationError(
                _("Move the enterprises and parcels of this site first: it cannot change town while it has any."),
                code="site_town_has_members",
            )
        if self.parent_id:
            if self.town_id and self.parent.town_id != self.town_id:
                errors["parent"] = ValidationError(
                    _("The containing area must be in the same town."), code="parent_other_town"
                )
            elif self.pk and parent_chain_contains(self.pk, self.parent_id, self._stored_parent_id):
                errors["parent"] = ValidationError(
                    _("A site cannot lie inside itself."), code="parent_cycle"
                )
        errors.update(self._allocation_problems())
        if errors:
            raise ValidationError(errors)

    def _allocation_problems(self) -> dict:
        """Land given to projects (换鸟) binds the site: its area covers it, and it stays a parcel (a leaf)."""
        errors = {}
        if self.pk and self.area_mu is not None:
            taken = self.allocations.aggregate(total=models.Sum("area_mu"))["total"]
            if taken is not None and Decimal(str(taken)) > self.area_mu:
                errors["area_mu"] = ValidationError(
                    _("Projects take %(taken)s mu of this site: its area cannot be less."),
                    code="site_area_below_allocated", params={"taken": taken},
                )
        if self.parent_id and self.parent.allocations.exists():
            errors["parent"] = ValidationError(
                _("Projects take land from %(area)s itself, so it cannot contain parcels."),
                code="parent_has_projects", params={"area": self.parent.name},
            )
        return errors

    def _town_changed(self) -> bool:
        stored = Site.objects.filter(pk=self.pk).values_list("town_id", flat=True).first()
        return stored is not None and stored != self.town_id

    @staticmethod
    def _stored_parent_id(pk: int) -> int | None:
        return Site.objects.filter(pk=pk).values_list("parent_id", flat=True).first()


class Enterprise(models.Model):
    """A business on a site, with its own plan (一企一策)."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="enterprises", verbose_name=_("town"))
    site = models.ForeignKey(Site, models.PROTECT, related_name="enterprises", verbose_name=_("site"))
    name = models.CharField(_("name"), max_length=100)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_credit_code],
    )
    is_two_high_one_low = models.BooleanField(Category.TWO_HIGH_ONE_LOW.label, default=False)
    is_high_consumption = models.BooleanField(Category.HIGH_CONSUMPTION.label, default=False)
    is_low_scattered = models.BooleanField(Category.LOW_SCATTERED.label, default=False)
    is_factory_in_factory = models.BooleanField(Category.FACTORY_IN_FACTORY.label, default=False)
    is_tenant = models.BooleanField(Category.TENANT.label, default=False)
    disposal = models.CharField(_("disposal method"), max_length=20, choices=Disposal.choices, blank=True)
    annual_energy_tce = models.DecimalField(
        _("annual energy use (tce)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    energy_freed_tce = models.DecimalField(
        _("energy freed (tce)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    responsible_group = models.ForeignKey(
        AttackGroup,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="enterprises",
        verbose_name=_("responsible attack group"),
    )
    plan_deadline = models.DateField(_("plan deadline"), null=True, blank=True)
    plan_notes = models.TextField(_("plan notes"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["town__display_order", "site__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["town", "name"], name="unique_enterprise_name_per_town"),
            models.CheckConstraint(
                condition=Q(annual_energy_tce__gte=0) & Q(energy_freed_tce__gte=0),
                name="enterprise_energy_not_negative",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("clearance:enterprise_detail", args=[self.pk])

    @property
    def categories(self) -> list[Category]:
        return [category for category in Category if getattr(self, category.value)]

    def clean(self):
        # An empty code is stored as NULL so that the unique constraint ignores it.
        self.credit_code = (self.credit_code or "").strip().upper() or None
        errors = {}
        if self.site_id and self.town_id and self.site.town_id != self.town_id:
            errors["site"] = ValidationError(
                _("The site %(site)s belongs to %(site_town)s, not to %(town)s."),
                code="site_other_town",
                params={"site": self.site.name, "site_town": self.site.town.name, "town": self.town.name},
            )
        if self.site_id and (problem := self._vacated_site_problem()) is not None:
            errors["site"] = problem
        if self.responsible_group_id and self.town_id and self.responsible_group.task_force.town.pk != self.town_id:
            errors["responsible_group"] = attack_group_problem()
        if errors:
            raise ValidationError(errors)


    def _vacated_site_problem(self) -> ValidationError | None:
        if not Event.objects.filter(site_id=self.site_id).exists():
            return None
        stored_site = Enterprise.objects.filter(pk=self.pk).values_list("site_id", flat=True).first() if self.pk else None
        return vacated_site_problem(
            site_vacated=True, stored_site_id=stored_site, site_id=self.site_id, site_name=self.site.name
        )


class Event(models.Model):
    """A stage reached on a date: by an enterprise (摸底 … 销号) or by a site (腾退 only)."""

    enterprise = models.ForeignKey(
        Enterprise, models.PROTECT, null=True, blank=True, related_name="events", verbose_name=_("enterprise")
    )
    site = models.ForeignKey(
        Site, models.PROTECT, null=True, blank=True, related_name="events", verbose_name=_("site")
    )
    stage = models.PositiveSmallIntegerField(_("stage"), choices=Stage.choices)
    occurred_on = models.DateField(_("date"))
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="recorded_events",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["occurred_on", "stage", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(enterprise__isnull=False, site__isnull=True)
                | Q(enterprise__isnull=True, site__isnull=False),
                name="event_of_enterprise_or_site",
            ),
            models.CheckConstraint(
                condition=Q(site__isnull=True) | Q(stage=Stage.VACATED), name="site_event_is_vacated"
            ),
            models.UniqueConstraint(
                fields=["enterprise", "stage"], condition=Q(enterprise__isnull=False), name="one_event_per_stage"
            ),
            models.UniqueConstraint(fields=["site"], condition=Q(site__isnull=False), name="one_event_per_site"),
        ]
        indexes = [
            models.Index(fields=["stage", "occurred_on"], name="event_stage_date_idx"),
            # The latest dated event: whether anything is recorded yet (the dashboard's empty state).
            models.Index(fields=["occurred_on"], name="event_date_idx"),
        ]

    def __str__(self):
        subject = self.enterprise or self.site
        return f"{subject} {self.get_stage_display()} {self.occurred_on:%Y-%m-%d}"

    @property
    def town(self) -> Town:
        return (self.enterprise or self.site).town

    def clean(self):
        if self.occurred_on and self.occurred_on > timezone.localdate():
            raise ValidationError(
                {"occurred_on": ValidationError(_("The date cannot be in the future."), code="future_date")}
            )
        if self.enterprise_id and self.site_id:
            raise ValidationError(_("An event belongs to an enterprise or to a site, not both."), code="two_subjects")
        if self.site_id:
            self._clean_site_event()
        elif self.enterprise_id and self.stage and self.occurred_on:
            self._clean_enterprise_event()

    def _others(self, events: Q) -> models.QuerySet:
        """The EVENTS other than this one, as (enterprise id, stage, date)."""
        found = Event.objects.filter(events)
        if self.pk is not None:
            found = found.exclude(pk=self.pk)
        return found.order_by().values_list("enterprise_id", "stage", "occurred_on")

    def _clean_site_event(self):
        if self.stage != Stage.VACATED:
            raise ValidationError(
                {"stage": ValidationError(_("A site only records the stage vacated."), code="site_stage")}
            )
        recorded = {stage: on for _enterprise, stage, on in self._others(Q(site_id=self.site_id))}
        if (problem := stage_recorded_problem(Stage.VACATED, recorded)) is not None:
            raise problem
        if not self.occurred_on:
            return
        out_dates = self.site.enterprises.annotate(
            out_on=models.Min("events__occurred_on", filter=Q(events__stage__in=LEAVING_STAGES))
        ).values_list("name", "out_on")
        problem = site_vacate_problem(self.occurred_on, out_dates) or site_reused_problem(
            site_name=self.site.name, vacated_on=self.occurred_on, supplied=supplied_projects(self.site_id)
        )
        if problem is not None:
            raise problem

    def _clean_enterprise_event(self):
        """Enforce the stage rules: not recorded yet, prerequisites recorded, dates in order, out by the site's 腾退.

        What they need, the enterprise's other events and its site's 腾退, comes in one query.
        """
        others, site_vacated_on = {}, None
        for enterprise_id, stage, on in self._others(Q(enterprise_id=self.enterprise_id) | Q(site_id=self.enterprise.site_id)):
            if enterprise_id is None:
                site_vacated_on = on
            else:
                others[stage] = on
        stage = Stage(self.stage)
        problem = stage_recorded_problem(stage, others) or enterprise_event_problem(
            stage, self.occurred_on, others, disposal=self.enterprise.disposal, site_vacated_on=site_vacated_on,
            # Only named in the refusal, which only a leaving stage after the site's 腾退 gets.
            site_name=self.enterprise.site.name if site_vacated_on and stage in LEAVING_STAGES else "",
        )
        if problem is not None:
            raise problem


def supplied_projects(site_id: int) -> list[tuple[str, object]]:
    """The name and 供地 date of each project whose land, taken partly from SITE_ID, is supplied (one query)."""
    # By name, not by import: the projects' module imports this one.
    project_events = apps.get_model("clearance", "ProjectEvent").objects
    return list(
        project_events.filter(stage=ProjectStage.LAND_SUPPLIED, project__allocations__site_id=site_id)
        .order_by().values_list("project__name", "occurred_on")
    )


def photo_upload_to(instance, filename: str) -> str:
    """Store under a random name: uploaded names can neither collide nor escape MEDIA_ROOT."""
    suffix = PurePath(filename).suffix.lower()[:8]
    return f"photos/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class PhotoFields(models.Model):
    """What every photo holds, whatever it is a photo of (a clearance event, a project's stage)."""

    image = models.ImageField(_("image"), upload_to=photo_upload_to)
    thumbnail = models.ImageField(_("thumbnail"), upload_to=photo_upload_to, blank=True)
    phase = models.CharField(_("phase"), max_length=10, choices=PhotoPhase.choices, default=PhotoPhase.DURING)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.caption or self.image.name


class Photo(PhotoFields):
    event = models.ForeignKey(Event, models.CASCADE, related_name="photos", verbose_name=_("event"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["event", "uploaded_at"]
