"""Reporting periods (通报期): the months closed once Jiaxing's bulletin is out, with the figures published then."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..rules import MAX_YEAR, MIN_YEAR


class ReportingPeriod(models.Model):
    """A month that was closed: its figures as /api/summary/ gave them then, and, once reopened, why.

    One row per month. Reopening keeps the row (closed false, with the reason);
    closing it again takes a new snapshot. Every change is in the history.
    """

    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
    )
    month = models.PositiveSmallIntegerField(_("month"), validators=[MinValueValidator(1), MaxValueValidator(12)])
    closed = models.BooleanField(_("closed"), default=True)
    closed_at = models.DateTimeField(_("closed at"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="closed_periods",
        verbose_name=_("closed by"),
    )
    # The JSON /api/summary/ answered for the month when it was closed (clearance.api.summary_json): never changed.
    snapshot = models.JSONField(_("published figures"))
    reopened_at = models.DateTimeField(_("reopened at"), null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="reopened_periods",
        verbose_name=_("reopened by"),
    )
    reopen_reason = models.TextField(_("reason for reopening"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("reporting period")
        verbose_name_plural = _("reporting periods")
        ordering = ["-year", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["year", "month"], name="one_reporting_period_per_month"),
            models.CheckConstraint(condition=Q(month__gte=1) & Q(month__lte=12), name="reporting_period_month_valid"),
        ]

    def __str__(self):
        return f"{self.year}-{self.month:02d}"
