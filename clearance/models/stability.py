"""快中求稳: the economy's monthly figures beside the clearance, and the register of disputes, petitions and hazards."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import Region, RegisterKind
from ..rules import MAX_YEAR, MIN_YEAR, attack_group_problem
from .places import AttackGroup, Town
from .records import Enterprise, Site

YEAR_VALIDATORS = [MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
MONTH_VALIDATORS = [MinValueValidator(1), MaxValueValidator(12)]
# A growth rate (%) no statistics bureau publishes beyond these: anything outside is a typing error.
GROWTH_PCT_LIMITS = (-100, 1000)
# More employees than any county-level region (Jiaxing has about a million): a typing error.
EMPLOYMENT_LIMIT = 10_000_000


class EconomyFigure(models.Model):
    """One region's economy in one month, year to date, as the statistics bureau publishes it."""

    region = models.CharField(_("region"), max_length=10, choices=Region.choices)
    year = models.PositiveSmallIntegerField(_("year"), validators=YEAR_VALIDATORS)
    month = models.PositiveSmallIntegerField(_("month"), validators=MONTH_VALIDATORS)
    value_added_growth_pct = models.DecimalField(
        _("growth of industrial value added above designated size (%)"),
        max_digits=6, decimal_places=2, null=True, blank=True,
    )
    manufacturing_investment_yi = models.DecimalField(
        _("manufacturing investment (100 million yuan)"), max_digits=10, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )
    manufacturing_investment_growth_pct = models.DecimalField(
        _("growth of manufacturing investment (%)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    employment = models.PositiveIntegerField(
        _("employees of industrial enterprises above designated size"), null=True, blank=True
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("economy figure")
        verbose_name_plural = _("economy figures")
        ordering = ["-year", "-month", "region"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year", "month"], name="one_economy_figure"),
            models.CheckConstraint(condition=Q(month__gte=1) & Q(month__lte=12), name="economy_month_valid"),
        ]

    def __str__(self):
        return f"{self.get_region_display()} {self.year}-{self.month:02d}"

    def clean(self):
        errors = {}
        low, high = GROWTH_PCT_LIMITS
        for name in ("value_added_growth_pct", "manufacturing_investment_growth_pct"):
            value = getattr(self, name)
            if value is not None and not low <= value <= high:
                errors[name] = ValidationError(
                    _("A growth rate must lie between %(low)s and %(high)s per cent."),
                    params={"low": low, "high": high}, code="economy_growth_range",
                )
        if self.employment is not None and self.employment > EMPLOYMENT_LIMIT:
            errors["employment"] = ValidationError(
                _("More than %(limit)s employees cannot be right; check the figure."),
                params={"limit": f"{EMPLOYMENT_LIMIT:,}"}, code="economy_employment_range",
            )
        today = timezone.localdate()
        if self.year and self.month and (self.year, self.month) > (today.year, today.month):
            errors["month"] = ValidationError(
                _("The figures of a month are known once it has begun: %(year)s-%(month)02d is in the future."),
                params={"year": self.year, "month": self.month}, code="economy_future_month",
            )
        if errors:
            raise ValidationError(errors)


class EconomyYear(models.Model):
    """A year's choices for the economy panel: the month whose employment the change is counted against."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True, validators=YEAR_VALIDATORS)
    employment_base_month = models.PositiveSmallIntegerField(
        _("base month for the change in employment"), validators=MONTH_VALIDATORS
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("economy year")
        verbose_name_plural = _("economy years")
        ordering = ["-year"]

    def __str__(self):
        return str(self.year)


class RegisterItem(models.Model):
    """A dispute, petition or safety hazard found during clearance, on a site or an enterprise, until resolved."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="register_items", verbose_name=_("town"))
    site = models.ForeignKey(
        Site, models.PROTECT, null=True, blank=True, related_name="register_items", verbose_name=_("site")
    )
    enterprise = models.ForeignKey(
        Enterprise, models.PROTECT, null=True, blank=True, related_name="register_items",
        verbose_name=_("enterprise"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=RegisterKind.choices)
    raised_on = models.DateField(_("date raised"))
    description = models.TextField(_("description"))
    responsible_group = models.ForeignKey(
        AttackGroup, models.SET_NULL, null=True, blank=True, related_name="register_items",
        verbose_name=_("responsible attack group"),
    )
    resolved_on = models.DateField(_("date resolved"), null=True, blank=True)
    resolution = models.TextField(_("how it was resolved"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="register_items",
        verbose_name=_("recorded by"),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("register item")
        verbose_name_plural = _("register items")
        ordering = ["-raised_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(site__isnull=False, enterprise__isnull=True)
                | Q(site__isnull=True, enterprise__isnull=False),
                name="register_item_on_site_or_enterprise",
            ),
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True) | Q(resolved_on__gte=F("raised_on")),
                name="register_item_resolved_after_raised",
            ),
        ]
        indexes = [
            # The period's counts: raised, resolved and open by the end of a month, per town.
            models.Index(fields=["raised_on"], name="register_raised_idx"),
            models.Index(fields=["resolved_on"], name="register_resolved_idx"),
            # A town's open items, oldest first (its page and workspace): read in order, not filtered out of every
            # town's (2,300 rows read for 22 at a million enterprises).
            models.Index(fields=["town", "raised_on", "id"], condition=Q(resolved_on__isnull=True),
                         name="register_open_town_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.raised_on:%Y-%m-%d} {self.subject}"

    def get_absolute_url(self):
        return reverse("clearance:register_item_update", args=[self.pk])

    @property
    def subject(self):
        return self.enterprise or self.site

    @property
    def is_open(self) -> bool:
        return self.resolved_on is None

    def clean(self):
        errors = {}
        if self.site_id and self.enterprise_id:
            raise ValidationError(_("An item is on a site or on an enterprise, not both."), code="two_subjects")
        if not self.site_id and not self.enterprise_id:
            raise ValidationError(_("Choose the site or the enterprise the item is about."), code="no_subject")
        today = timezone.localdate()
        for name in ("raised_on", "resolved_on"):
            on = getattr(self, name)
            if on is not None and on > today:
                errors[name] = ValidationError(_("The date cannot be in the future."), code="future_date")
        if self.resolved_on and self.raised_on and self.resolved_on < self.raised_on and "resolved_on" not in errors:
            errors["resolved_on"] = ValidationError(
                _("An item cannot be resolved before it was raised."), code="resolved_before_raised"
            )
        subject_town = (self.enterprise or self.site).town_id
        if self.town_id and self.town_id != subject_town:
            errors["town"] = ValidationError(
                _("The item's town must be the town of its site or enterprise."), code="register_other_town"
            )
        if self.responsible_group_id and self.responsible_group.task_force.town.pk != subject_town:
            errors["responsible_group"] = attack_group_problem()
        if errors:
            raise ValidationError(errors)
