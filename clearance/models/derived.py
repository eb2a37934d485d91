"""Tables derived from the records, never edited: the site tree and the monthly rollup, kept by the write path."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from .places import Town
from .records import Site


class SiteAncestry(models.Model):
    """The site tree as a closure table: one row per site and each site it lies in, itself included (depth 0).

    Why: "a site and every parcel inside it" is then one indexed lookup (ancestor = S)
    at any depth, where following parent links needs ORs through joins that the
    database cannot serve from an index (minutes at a million enterprises). Derived
    from Site.parent and kept in step with it by clearance.derived.site_tree.
    """

    site = models.ForeignKey(Site, models.CASCADE, related_name="ancestry", verbose_name=_("site"))
    ancestor = models.ForeignKey(Site, models.CASCADE, related_name="descendancy", verbose_name=_("containing site"))
    depth = models.PositiveSmallIntegerField(_("levels down"))

    class Meta:
        verbose_name = _("site ancestry")
        verbose_name_plural = _("site ancestry")
        constraints = [models.UniqueConstraint(fields=["ancestor", "site"], name="unique_site_ancestor")]

    def __str__(self):
        return f"{self.site_id} ⊂ {self.ancestor_id} ({self.depth})"


class MonthlyFigure(models.Model):
    """Derived, never edited: one town's figures for the events dated in one calendar month.

    The dashboard sums at most twelve of these per town instead of scanning every
    event, so its cost does not grow with the years of history. clearance.derived.rollup
    keeps them in step with the events in the same transaction as each write, and
    `verify_rollups` recomputes them from the events to prove it.
    """

    town = models.ForeignKey(Town, models.CASCADE, related_name="monthly_figures", verbose_name=_("town"))
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    enterprises_rectified = models.IntegerField(default=0)
    land_vacated_mu = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    energy_freed_tce = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    signed = models.IntegerField(default=0)
    vacated = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("monthly figure")
        verbose_name_plural = _("monthly figures")
        constraints = [models.UniqueConstraint(fields=["town", "year", "month"], name="one_monthly_figure")]
        # The dashboard reads one year's months for every town.
        indexes = [models.Index(fields=["year", "month"], name="monthly_figure_period_idx")]

    def __str__(self):
        return f"{self.town} {self.year}-{self.month:02d}"
