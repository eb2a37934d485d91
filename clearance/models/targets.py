"""What the campaign is measured against: yearly targets and Jiaxing's monthly bulletins (通报)."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from ..choices import TARGET_METRIC_CHOICES, Metric
from ..rules import MAX_YEAR, MIN_YEAR
from .places import County, Town


class Target(models.Model):
    """A yearly target for one metric: the city's (town empty, set by Jiaxing) or a town's allocation."""

    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
    )
    metric = models.CharField(_("metric"), max_length=30, choices=TARGET_METRIC_CHOICES)
    town = models.ForeignKey(
        Town,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="targets",
        verbose_name=_("town"),
        help_text=_("Leave empty for the city's target set by Jiaxing."),
    )
    value = models.DecimalField(
        _("target"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    history = HistoricalRecords()

    class Meta:
        # "target" alone is the figure (目标); the record is 目标任务.
        verbose_name = pgettext_lazy("model", "target")
        verbose_name_plural = _("targets")
        ordering = ["-year", "metric", "town__display_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "metric", "town"], condition=Q(town__isnull=False), name="one_target_per_town"
            ),
            models.UniqueConstraint(
                fields=["year", "metric"], condition=Q(town__isnull=True), name="one_city_target"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="target_not_negative"),
        ]
        # The years that have a target, an index probe each (selectors.distinct_years): the unique indexes above
        # are partial, so neither holds every row.
        indexes = [models.Index(fields=["year"], name="target_year_idx")]

    def __str__(self):
        return f"{self.year} {self.get_metric_display()} {self.town or _('city')}: {self.value}"


class BulletinFigure(models.Model):
    """One county's published figure for one metric in one month (Jiaxing's 通报)."""

    county = models.ForeignKey(County, models.CASCADE, related_name="bulletin_figures", verbose_name=_("county"))
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
    )
    month = models.PositiveSmallIntegerField(_("month"), validators=[MinValueValidator(1), MaxValueValidator(12)])
    metric = models.CharField(_("metric"), max_length=30, choices=Metric.choices)
    actual = models.DecimalField(
        _("actual"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    target = models.DecimalField(
        _("target"), max_digits=14, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bulletin figure")
        verbose_name_plural = _("bulletin figures")
        ordering = ["-year", "-month", "county__display_order", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["county", "year", "month", "metric"], name="one_bulletin_figure"),
            models.CheckConstraint(condition=Q(month__gte=1) & Q(month__lte=12), name="bulletin_month_valid"),
        ]

    def __str__(self):
        return f"{self.county} {self.year}-{self.month:02d} {self.get_metric_display()}"
