"""Tables derived from the records, never edited: the site tree and the rollups the pages read, kept by the write path."""

from datetime import date
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import RegisterKind
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


class TownFigures(models.Model):
    """The clearance figures of one town's events of a period (derived.rollup's FIGURE_KEYS): the columns the monthly
    and the yearly rollup share."""

    enterprises_rectified = models.IntegerField(default=0)
    land_vacated_mu = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    energy_freed_tce = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    signed = models.IntegerField(default=0)
    vacated = models.IntegerField(default=0)

    class Meta:
        abstract = True


class MonthlyFigure(TownFigures):
    """Derived, never edited: one town's figures for the events dated in one calendar month.

    The dashboard sums at most twelve of these per town instead of scanning every
    event, so its cost does not grow with the years of history. clearance.derived.rollup
    keeps them in step with the events in the same transaction as each write, and
    `verify_rollups` recomputes them from the events to prove it.
    """

    town = models.ForeignKey(Town, models.CASCADE, related_name="monthly_figures", verbose_name=_("town"))
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))

    class Meta:
        verbose_name = _("monthly figure")
        verbose_name_plural = _("monthly figures")
        constraints = [models.UniqueConstraint(fields=["town", "year", "month"], name="one_monthly_figure")]
        # The dashboard reads one year's months for every town.
        indexes = [models.Index(fields=["year", "month"], name="monthly_figure_period_idx")]

    def __str__(self):
        return f"{self.town} {self.year}-{self.month:02d}"


class YearlyFigure(TownFigures):
    """Derived, never edited: one town's figures for the events dated in one calendar year (MonthlyFigure's months
    summed).

    The land awaiting reuse takes the land vacated up to a period's end, over every year: the earlier years' rows
    and the period's year's months, rather than every month of every year (a hundred towns' eight years of months
    at a province's scale). clearance.derived.rollup adds to it what it adds to a month, in the same transaction
    (the year's row before the month's, in every writer), and `verify_rollups` recomputes it from the events.
    """

    town = models.ForeignKey(Town, models.CASCADE, related_name="yearly_figures", verbose_name=_("town"))
    year = models.PositiveSmallIntegerField(_("year"))

    class Meta:
        verbose_name = _("yearly figure")
        verbose_name_plural = _("yearly figures")
        constraints = [models.UniqueConstraint(fields=["town", "year"], name="one_yearly_figure")]

    def __str__(self):
        return f"{self.town} {self.year}"


def _sum_field(**options):
    """A sum of the indicator rows' figures (six decimals each), large enough for a province's year."""
    return models.DecimalField(max_digits=26, decimal_places=6, **options)


class EvaluationTownFigure(models.Model):
    """Derived, never edited: one town's evaluation of one year — enterprises per class, the land and energy held by
    classes C and D (and how much of it is in clearance), the candidates, the sums behind 亩均税收 and 亩均增加值.

    The dashboard's evaluation panel and a town's evaluation page read a row per town instead of aggregating a
    year's indicator rows (a million at province scale). clearance.derived.evaluation_rollup recomputes a year's
    rows (or some towns') in the transaction of each write that can move them; `verify_rollups` checks them.
    A town with no row of the year (rows = 0) is not in that year's evaluation.
    """

    town = models.ForeignKey(Town, models.CASCADE, related_name="+", verbose_name=_("town"))
    year = models.PositiveSmallIntegerField(_("year"))
    rows = models.IntegerField(default=0)
    count_a = models.IntegerField(default=0)
    count_b = models.IntegerField(default=0)
    count_c = models.IntegerField(default=0)
    count_d = models.IntegerField(default=0)
    count_exempt = models.IntegerField(default=0)
    count_ungraded = models.IntegerField(default=0)
    land_c = _sum_field(default=Decimal("0"))
    land_c_in_clearance = _sum_field(default=Decimal("0"))
    energy_c = _sum_field(default=Decimal("0"))
    energy_c_in_clearance = _sum_field(default=Decimal("0"))
    land_d = _sum_field(default=Decimal("0"))
    land_d_in_clearance = _sum_field(default=Decimal("0"))
    energy_d = _sum_field(default=Decimal("0"))
    energy_d_in_clearance = _sum_field(default=Decimal("0"))
    candidates = models.IntegerField(default=0)
    # Null where no enterprise with land gives the figure, so that 亩均 is "—" rather than 0.
    tax = _sum_field(null=True)
    land_for_tax = _sum_field(null=True)
    value_added = _sum_field(null=True)
    land_for_value_added = _sum_field(null=True)

    # The figures, as selectors.evaluation.class_aggregates computes them from the rows.
    FIGURES = (
        "rows", "count_a", "count_b", "count_c", "count_d", "count_exempt", "count_ungraded",
        "land_c", "land_c_in_clearance", "energy_c", "energy_c_in_clearance",
        "land_d", "land_d_in_clearance", "energy_d", "energy_d_in_clearance",
        "candidates", "tax", "land_for_tax", "value_added", "land_for_value_added",
    )
    MAY_BE_NONE = ("tax", "land_for_tax", "value_added", "land_for_value_added")

    class Meta:
        verbose_name = _("evaluation figure of a town")
        verbose_name_plural = _("evaluation figures of the towns")
        constraints = [models.UniqueConstraint(fields=["year", "town"], name="one_evaluation_town_figure")]

    def __str__(self):
        return f"{self.town} {self.year}"


class RegisterCounts(models.Model):
    """One town's register items of one kind raised in a period, and those resolved in it: the columns the monthly
    and the yearly register rollup share."""

    kind = models.CharField(_("kind"), max_length=10, choices=RegisterKind.choices)
    raised = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)

    class Meta:
        abstract = True


class RegisterMonthlyFigure(RegisterCounts):
    """Derived, never edited: one town's items of the register (快中求稳) of one kind raised in one calendar month, and
    those resolved in it.

    The dashboard, the bulletin and a town's page count the items raised and resolved from 1 January to a month's end,
    and those open at its end (raised by then, less resolved by then: an item is resolved on or after the day it was
    raised); summing these rows costs the same with a hundred items or a province's tens of thousands.
    clearance.derived.register_rollup recomputes a town's rows in the transaction of each write of its items;
    `verify_rollups` checks them.
    """

    town = models.ForeignKey(Town, models.CASCADE, related_name="register_figures", verbose_name=_("town"))
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))

    class Meta:
        verbose_name = _("monthly register figure")
        verbose_name_plural = _("monthly register figures")
        constraints = [models.UniqueConstraint(fields=["town", "year", "month", "kind"], name="one_register_figure")]
        # The counts of a period read its year's months for every town (and the earlier years from
        # RegisterYearlyFigure), not every month of every year.
        indexes = [models.Index(fields=["year", "month"], name="register_figure_period_idx")]

    def __str__(self):
        return f"{self.town} {self.year}-{self.month:02d} {self.kind}"


class RegisterYearlyFigure(RegisterCounts):
    """Derived, never edited: one town's items of the register of one kind raised in one calendar year, and those
    resolved in it.

    The items open at a period's end are those raised up to it less those resolved up to it, over every year of the
    register: summing one row per town, kind and earlier year, and the period's own year's months, reads a few
    hundred rows where summing every month of every year read eighteen thousand at a province's scale (4.7 ms of the
    dashboard's database time). Kept with RegisterMonthlyFigure by clearance.derived.register_rollup;
    `verify_rollups` checks them.
    """

    town = models.ForeignKey(Town, models.CASCADE, related_name="register_years", verbose_name=_("town"))
    year = models.PositiveSmallIntegerField(_("year"))

    class Meta:
        verbose_name = _("yearly register figure")
        verbose_name_plural = _("yearly register figures")
        constraints = [models.UniqueConstraint(fields=["town", "year", "kind"], name="one_register_year_figure")]

    def __str__(self):
        return f"{self.town} {self.year} {self.kind}"


# A site without a deadline sorts after every dated one: one index range holds the sites not yet due.
NO_DEADLINE = date(9999, 12, 31)


class SiteProgress(models.Model):
    """Derived, never edited: where one site stands — the battle board's column (its stage), the day of its own 腾退,
    and what its card counts on it and inside it at any depth — with its town, name and deadline copied beside them.

    The battle board shows, per column, the count and the most urgent few: overdue first, then by deadline, then by
    name. Worked out from the events per request that is every site and every event of a province (a minute at a
    million enterprises); with this row per site each column is a few index range scans of a dozen rows.
    clearance.derived.site_progress recomputes the rows of a site and the areas it lies in, in the transaction of
    each write of an event, enterprise or site (kept_in_step); `verify_rollups` checks them.
    """

    site = models.OneToOneField(Site, models.CASCADE, primary_key=True, related_name="progress", verbose_name=_("site"))
    town = models.ForeignKey(Town, models.CASCADE, related_name="+", verbose_name=_("town"))
    name = models.CharField(_("name"), max_length=100)
    sort_deadline = models.DateField(_("deadline"), help_text=f"{NO_DEADLINE} where the site has none")
    # selectors.with_site_stage: NOT_STARTED (0) or a Stage; None where nothing is on the site or inside it.
    stage = models.PositiveSmallIntegerField(_("stage"), null=True)
    vacated_on = models.DateField(_("vacated on"), null=True)
    enterprise_count = models.IntegerField(default=0)
    signed_count = models.IntegerField(default=0)
    vacated_count = models.IntegerField(default=0)
    closed_count = models.IntegerField(default=0)
    has_parcels = models.BooleanField(default=False)
    parcel_count = models.IntegerField(default=0)
    parcels_vacated_count = models.IntegerField(default=0)
    vacated_area_mu = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))

    # Every column but the site, in the order derived.site_progress computes them.
    FIGURES = (
        "town", "name", "sort_deadline", "stage", "vacated_on", "enterprise_count", "signed_count", "vacated_count",
        "closed_count", "has_parcels", "parcel_count", "parcels_vacated_count", "vacated_area_mu",
    )

    class Meta:
        verbose_name = _("progress of a site")
        verbose_name_plural = _("progress of the sites")
        # A column's cards, most urgent first, for the city and for one town: the sites not vacated by their own
        # event (overdue once the deadline passes) and those vacated (never overdue), each in deadline order.
        indexes = [
            # The columns' counts: an index-only scan of the stages, narrower than the table.
            models.Index(fields=["stage"], name="site_progress_stage_idx"),
            models.Index(fields=["stage", "sort_deadline", "name", "site"], condition=Q(vacated_on__isnull=True),
                         name="site_progress_open_idx"),
            models.Index(fields=["stage", "sort_deadline", "name", "site"], condition=Q(vacated_on__isnull=False),
                         name="site_progress_vacated_idx"),
            models.Index(fields=["town", "stage", "sort_deadline", "name", "site"],
                         condition=Q(vacated_on__isnull=True), name="site_progress_town_open_idx"),
            models.Index(fields=["town", "stage", "sort_deadline", "name", "site"],
                         condition=Q(vacated_on__isnull=False), name="site_progress_town_vacated_idx"),
        ]

    def __str__(self):
        return f"{self.name} ({self.stage})"
