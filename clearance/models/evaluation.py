"""亩均效益评价: evaluated enterprises, their yearly indicator rows, the schemes that score them and the adjustments.

The derived indicators are generated columns (the database computes them from the row's figures); the
scores, totals, positions and classes are written by services.evaluation.scores_recompute, one set-based
statement per year and size class.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, FloatField, Q, Value
from django.db.models.functions import Cast, NullIf
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import Grade, Indicator, SizeClass
from ..rules import MAX_YEAR, MIN_YEAR
from ..validators import validate_credit_code
from .places import Town

# Each derived indicator: numerator ÷ denominator × factor, null where either is missing or the denominator is 0.
DERIVED = {
    Indicator.TAX_PER_MU: ("tax_wan", "land_mu", 1),
    Indicator.VALUE_ADDED_PER_MU: ("value_added_wan", "land_mu", 1),
    Indicator.VALUE_ADDED_PER_ENERGY: ("value_added_wan", "energy_tce", 1),
    Indicator.VALUE_ADDED_PER_EMISSION: ("value_added_wan", "emission_t", 1),
    Indicator.RD_INTENSITY_PCT: ("rd_wan", "revenue_wan", 100),
    Indicator.LABOUR_PRODUCTIVITY: ("value_added_wan", "employees", 1),
    Indicator.TAX_PER_POWER: ("tax_wan", "power_10k_kwh", 1),
}

# The scheme's defaults (DOMAIN.md): weights per size class, the cap and the class cut-offs.
DEFAULT_WEIGHTS = {
    SizeClass.ABOVE: {
        Indicator.TAX_PER_MU: 30, Indicator.VALUE_ADDED_PER_MU: 20, Indicator.VALUE_ADDED_PER_ENERGY: 20,
        Indicator.VALUE_ADDED_PER_EMISSION: 10, Indicator.LABOUR_PRODUCTIVITY: 10, Indicator.RD_INTENSITY_PCT: 10,
    },
    SizeClass.BELOW: {Indicator.TAX_PER_MU: 50, Indicator.TAX_PER_POWER: 50},
}
DEFAULT_CAP = Decimal("1.5")
DEFAULT_CUTOFFS = {"cut_a": Decimal("0.20"), "cut_b": Decimal("0.70"), "cut_c": Decimal("0.95")}


def score_field(indicator: str) -> str:
    """Return the name of the row's field holding its score on INDICATOR."""
    return f"score_{indicator}"


def _ratio(numerator: str, denominator: str, factor: int):
    """numerator ÷ denominator × factor in floating point; null where the denominator is 0 or either is null."""
    value = Cast(F(numerator), FloatField())
    if factor != 1:
        value = value * Value(float(factor))
    return value / NullIf(Cast(F(denominator), FloatField()), Value(0.0))


def _derived(indicator: Indicator) -> models.GeneratedField:
    """The generated column of a derived indicator: the database computes it from the row's figures (DERIVED)."""
    return models.GeneratedField(expression=_ratio(*DERIVED[indicator]), output_field=FloatField(), db_persist=True,
                                 verbose_name=indicator.label)


def _figure(verbose_name, **options):
    return models.DecimalField(verbose_name, max_digits=20, decimal_places=6, null=True, blank=True, **options)


class EvaluatedEnterprise(models.Model):
    """An industrial enterprise of the city as the evaluation knows it; most are never in clearance.

    It is the same enterprise as one of the clearance ledger when the credit code matches, else when
    (town, name) does (derived.evaluation_links); its key on import is the code when given.
    """

    town = models.ForeignKey(Town, models.PROTECT, related_name="evaluated_enterprises", verbose_name=_("town"))
    name = models.CharField(_("name"), max_length=100)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, null=True, blank=True,
        validators=[validate_credit_code],
    )
    # The clearance ledger's enterprise that is this one (by code, else by town and name), kept by the write paths of
    # both ledgers (derived.evaluation_links): "in clearance" and "candidate" are then columns, not joins.
    clearance_enterprise = models.ForeignKey(
        "clearance.Enterprise", models.SET_NULL, null=True, blank=True, editable=False, related_name="evaluated_twins",
        verbose_name=_("enterprise in clearance"),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords(excluded_fields=["clearance_enterprise"])

    class Meta:
        verbose_name = _("evaluated enterprise")
        verbose_name_plural = _("evaluated enterprises")
        ordering = ["town__display_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["town", "name"], name="unique_evaluated_name_per_town"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("clearance:evaluation_card", args=[self.pk])

    def clean(self):
        # An empty code is stored as NULL so that the unique constraint ignores it.
        self.credit_code = (self.credit_code or "").strip().upper() or None


class IndicatorRow(models.Model):
    """One enterprise's figures for one year (亩均数据), with the scores the evaluation of that year gives it."""

    # No index of its own: unique_indicator_row_per_year (enterprise, year) serves the lookups by enterprise. Every
    # index of the table is written again for each row a recompute rescores (its total moves: no HOT update), so an
    # index too many costs a recompute of a million rows seconds (docs/performance.md, "Evaluation at scale").
    enterprise = models.ForeignKey(
        EvaluatedEnterprise, models.PROTECT, related_name="indicator_rows", verbose_name=_("enterprise"), db_index=False
    )
    # The enterprise's town, copied onto its rows so that a town's rows of a year are read in the order of their
    # totals from one index; kept by the write paths that create rows or move an enterprise (save() fills it).
    # No index of its own either: the pages read a town's rows by year (clearance_ind_town_total), and only deleting a
    # town (PROTECT) looks for its rows without a year.
    town = models.ForeignKey(Town, models.PROTECT, related_name="+", editable=False, verbose_name=_("town"),
                             db_index=False)
    # The enterprise's name, copied onto its rows for the same reason: the pages list rows by total, then by name, and
    # one index on the row (year, [town,] total, enterprise_name, id) gives their first page without a join and a sort.
    # Kept with the town by derived.row_copies (the one rule; verify_rollups checks it).
    enterprise_name = models.CharField(_("enterprise name"), max_length=100, editable=False)
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
    )
    size = models.CharField(_("size class"), max_length=8, choices=SizeClass.choices)
    land_mu = _figure(_("land (mu)"), validators=[MinValueValidator(Decimal("0"))])
    tax_wan = _figure(_("tax (10k yuan)"))
    value_added_wan = _figure(_("industrial value added (10k yuan)"))
    revenue_wan = _figure(_("operating revenue (10k yuan)"))
    energy_tce = _figure(_("energy use (tce)"))
    emission_t = _figure(_("emission equivalent (t)"))
    rd_wan = _figure(_("R&D spending (10k yuan)"))
    employees = _figure(_("average employees"))
    power_10k_kwh = _figure(_("power use (10k kWh)"))
    exempt = models.BooleanField(
        _("not graded"), default=False,
        help_text=_("Utilities, start-ups and projects under construction are listed with their indicators and no class."),
    )

    tax_per_mu = _derived(Indicator.TAX_PER_MU)
    value_added_per_mu = _derived(Indicator.VALUE_ADDED_PER_MU)
    value_added_per_energy = _derived(Indicator.VALUE_ADDED_PER_ENERGY)
    value_added_per_emission = _derived(Indicator.VALUE_ADDED_PER_EMISSION)
    rd_intensity_pct = _derived(Indicator.RD_INTENSITY_PCT)
    labour_productivity = _derived(Indicator.LABOUR_PRODUCTIVITY)
    tax_per_power = _derived(Indicator.TAX_PER_POWER)

    # Written by scores_recompute only; null for a row outside the graded set (exempt, no land).
    score_tax_per_mu = models.FloatField(null=True, editable=False)
    score_value_added_per_mu = models.FloatField(null=True, editable=False)
    score_value_added_per_energy = models.FloatField(null=True, editable=False)
    score_value_added_per_emission = models.FloatField(null=True, editable=False)
    score_rd_intensity_pct = models.FloatField(null=True, editable=False)
    score_labour_productivity = models.FloatField(null=True, editable=False)
    score_tax_per_power = models.FloatField(null=True, editable=False)
    # The total, rounded to 1e-8 so that totals equal on paper compare equal whatever the floating point did.
    total = models.DecimalField(_("score"), max_digits=20, decimal_places=8, null=True, editable=False)
    position = models.PositiveIntegerField(_("position"), null=True, editable=False)
    graded_count = models.PositiveIntegerField(_("enterprises graded"), null=True, editable=False)
    grade = models.CharField(_("class"), max_length=1, choices=Grade.choices, blank=True, editable=False)
    # Whether its enterprise is in the clearance ledger, copied from EvaluatedEnterprise.clearance_enterprise by
    # derived.evaluation_links.relink (the one writer of both): a town's figures then read the rows alone.
    in_clearance = models.BooleanField(_("in clearance"), default=False, editable=False)
    # The enterprise's class the year before ('' when none), written by the scoring of either year.
    previous_grade = models.CharField(_("class the year before"), max_length=1, choices=Grade.choices, blank=True,
                                      editable=False)

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords(
        excluded_fields=[
            *Indicator.values, *(score_field(indicator) for indicator in Indicator.values),
            "total", "position", "graded_count", "grade", "previous_grade", "town", "enterprise_name", "in_clearance",
        ]
    )

    class Meta:
        verbose_name = _("evaluation data")
        verbose_name_plural = _("evaluation data")
        ordering = ["-year", "enterprise__town__display_order", "enterprise__name"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year"], name="unique_indicator_row_per_year"),
            models.CheckConstraint(condition=Q(land_mu__gte=0) | Q(land_mu__isnull=True), name="indicator_land_not_negative"),
        ]
        indexes = [
            models.Index(fields=["year", "size", "grade"], name="clearance_ind_year_size_grade"),
            # The pages read a year's rows in their order (selectors.evaluation) from indexes of migration 0019,
            # which SQLite cannot declare (no NULLS LAST): the city's page from clearance_ind_year_total (year,
            # total DESC NULLS LAST, enterprise_name, id), a town's from clearance_ind_town_total (year, town,
            # total DESC NULLS LAST, enterprise_name, id), a class's from clearance_ind_grade_total (year, grade,
            # total DESC NULLS LAST, enterprise_name, id: it serves (year, grade) too), the candidates' from
            # clearance_ind_year_candidates and a town's candidates from clearance_ind_candidates (year, town,
            # total NULLS LAST, enterprise_name, id) of the candidates alone; the sorts by score, name and position
            # from clearance_ind_year_total_asc, clearance_ind_year_name and clearance_ind_year_position.
        ]

    def __str__(self):
        return f"{self.enterprise} {self.year}"

    def save(self, *args, **kwargs):
        # A row has its enterprise's town and name (derived.row_copies); the bulk writers set the columns themselves.
        if self._state.adding and self.enterprise_id is not None:
            self.town_id = self.town_id or self.enterprise.town_id
            self.enterprise_name = self.enterprise.name
            self.in_clearance = self.enterprise.clearance_enterprise_id is not None
        super().save(*args, **kwargs)

    @property
    def graded(self) -> bool:
        """Whether the row is in the graded set of its year and size class (it has a class)."""
        return bool(self.grade)


class Scheme(models.Model):
    """How one year's enterprises of one size class are scored: the cap, the class cut-offs and the weights."""

    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)])
    size = models.CharField(_("size class"), max_length=8, choices=SizeClass.choices)
    cap = models.DecimalField(
        _("cap"), max_digits=6, decimal_places=3, default=DEFAULT_CAP,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("An indicator scores at most its weight times this, however far above the benchmark."),
    )
    cut_a = models.DecimalField(_("class A up to"), max_digits=5, decimal_places=4, default=DEFAULT_CUTOFFS["cut_a"])
    cut_b = models.DecimalField(_("class B up to"), max_digits=5, decimal_places=4, default=DEFAULT_CUTOFFS["cut_b"])
    cut_c = models.DecimalField(_("class C up to"), max_digits=5, decimal_places=4, default=DEFAULT_CUTOFFS["cut_c"])
    # Written by scores_recompute: how many enterprises were graded, and when.
    graded_count = models.PositiveIntegerField(_("enterprises graded"), null=True, editable=False)
    computed_at = models.DateTimeField(_("computed at"), null=True, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords(excluded_fields=["graded_count", "computed_at"])

    class Meta:
        verbose_name = _("evaluation scheme")
        verbose_name_plural = _("evaluation schemes")
        ordering = ["-year", "size"]
        constraints = [
            models.UniqueConstraint(fields=["year", "size"], name="unique_scheme_per_year_size"),
            models.CheckConstraint(
                condition=Q(cut_a__gt=0) & Q(cut_a__lte=F("cut_b")) & Q(cut_b__lte=F("cut_c")) & Q(cut_c__lte=1),
                name="scheme_cutoffs_in_order",
            ),
        ]

    def __str__(self):
        return f"{self.year} {self.get_size_display()}"

    def get_absolute_url(self):
        return reverse("clearance:scheme_update", args=[self.year, self.size])

    def clean(self):
        cuts = (self.cut_a, self.cut_b, self.cut_c)
        if None not in cuts and not (Decimal("0") < self.cut_a <= self.cut_b <= self.cut_c <= Decimal("1")):
            raise ValidationError(
                _("The cut-offs must rise from class A to class C, each between 0 and 1 (for example 0.20, 0.70, 0.95)."),
                code="cutoffs_out_of_order",
            )


class SchemeWeight(models.Model):
    """One indicator's weight in a scheme, with its fixed benchmark if the scheme sets one."""

    scheme = models.ForeignKey(Scheme, models.CASCADE, related_name="weights", verbose_name=_("scheme"))
    indicator = models.CharField(_("indicator"), max_length=32, choices=Indicator.choices)
    weight = models.DecimalField(
        _("weight"), max_digits=7, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    fixed_benchmark = models.DecimalField(
        _("fixed benchmark"), max_digits=18, decimal_places=4, null=True, blank=True,
        help_text=_("Leave empty to use the mean of the graded enterprises."),
    )
    # Written by scores_recompute: the benchmark the last computation used (null: none, every score 0).
    benchmark_used = models.FloatField(_("benchmark used"), null=True, editable=False)
    history = HistoricalRecords(excluded_fields=["benchmark_used"])

    class Meta:
        verbose_name = _("indicator weight")
        verbose_name_plural = _("indicator weights")
        ordering = ["scheme", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "indicator"], name="unique_weight_per_indicator"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="scheme_weight_not_negative"),
        ]

    def __str__(self):
        return f"{self.scheme} {self.get_indicator_display()}"


class ScoringRequest(models.Model):
    """A change whose scoring was handed to the task worker: its scheme's group had too many graded enterprises to be
    scored inside the request (CLEARANCE_SCORING_IN_REQUEST_MAX_ROWS).

    Written in the change's transaction, deleted by the task that scores the group. A row of its own rather than a
    flag on the scheme: the task holds the scheme's row for the whole scoring, and a change made meanwhile must not
    wait for it to say that it needs scoring too. While any is left, the pages say the scores shown are from before.
    """

    scheme = models.ForeignKey(Scheme, models.CASCADE, related_name="scoring_requests", verbose_name=_("scheme"))
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("scoring waiting for the task worker")
        verbose_name_plural = _("scorings waiting for the task worker")

    def __str__(self):
        return f"{self.scheme} {self.requested_at:%Y-%m-%d %H:%M}"


class Adjustment(models.Model):
    """Points added to or taken from an enterprise's total for a year (加分/减分), with the reason."""

    enterprise = models.ForeignKey(
        EvaluatedEnterprise, models.PROTECT, related_name="adjustments", verbose_name=_("enterprise")
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)])
    points = models.DecimalField(_("points"), max_digits=7, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        ordering = ["-year", "pk"]
        indexes = [models.Index(fields=["enterprise", "year"], name="clearance_adjust_ent_year")]

    def __str__(self):
        return f"{self.enterprise} {self.year} {self.points:+}"

    def clean(self):
        errors = {}
        if self.points is not None and self.points == 0:
            errors["points"] = ValidationError(_("Give the points to add (+5) or take away (−10); 0 changes nothing."),
                                               code="adjustment_zero")
        if not (self.reason or "").strip():
            errors["reason"] = ValidationError(_("Say why the points are added or taken away."), code="adjustment_no_reason")
        if errors:
            raise ValidationError(errors)
