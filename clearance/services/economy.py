"""The economy's writes (快中求稳): a region's figures of a month, and the base month of a year's change in employment."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..choices import Region
from ..models import EconomyFigure, EconomyYear
from .base import StaleEditError, Upsert, User, delete_recorded, save_validated, upsert_row

KEY_FIELDS = ("region", "year", "month")
# The four figures of a month, as EconomyFigure names them; each may be unknown (None).
ECONOMY_FIELDS = (
    "value_added_growth_pct", "manufacturing_investment_yi", "manufacturing_investment_growth_pct", "employment",
)


def _refuse_unknown(fields: dict) -> None:
    unknown = set(fields) - set(ECONOMY_FIELDS)
    if unknown:
        raise ValueError(f"not an economy figure: {sorted(unknown)}")


def _refuse_month_taken(figure: EconomyFigure) -> None:
    taken = EconomyFigure.objects.filter(region=figure.region, year=figure.year, month=figure.month)
    if figure.pk is not None:
        taken = taken.exclude(pk=figure.pk)
    if taken.exists():
        raise ValidationError(
            {"month": ValidationError(
                _("%(region)s already has figures for %(year)s-%(month)02d; correct them instead.")
                % {"region": Region(figure.region).label, "year": figure.year, "month": figure.month},
                code="economy_month_taken",
            )}
        )


@transaction.atomic
def economy_figure_upsert(*, region: str, year: int, month: int, user: User | None = None, **figures) -> Upsert:
    """Record REGION's FIGURES of YEAR-MONTH (year to date), creating the month or changing the figures that differ;
    nothing is saved when none do (the importer and the demo: a second run changes nothing)."""
    _refuse_unknown(figures)
    return upsert_row(EconomyFigure, key={"region": region, "year": year, "month": month}, fields=figures, user=user,
                      versioned=True)


@transaction.atomic
def economy_figure_create(*, region: str, year: int, month: int, user: User | None, **figures) -> EconomyFigure:
    """Create REGION's figures of YEAR-MONTH; refused when the month has figures already."""
    _refuse_unknown(figures)
    figure = EconomyFigure(region=region, year=year, month=month, **figures)
    if region in Region.values and year and month:
        _refuse_month_taken(figure)
    save_validated(figure, user=user)
    return figure


@transaction.atomic
def economy_figure_update(*, figure: EconomyFigure, expected_version: int | None, user: User | None,
                          **fields) -> EconomyFigure:
    """Correct FIELDS of FIGURE as edited on a page loaded at EXPECTED_VERSION; refuse a stale edit.

    FIELDS are the four figures, and region, year or month when the admin moves a row entered under the wrong ones.
    """
    current = EconomyFigure.objects.select_for_update().get(pk=figure.pk)
    if current.version != expected_version:
        raise StaleEditError(current)
    _refuse_unknown({name: value for name, value in fields.items() if name not in KEY_FIELDS})
    if not any(getattr(current, name) != value for name, value in fields.items()):
        return current
    for name, value in fields.items():
        setattr(current, name, value)
    _refuse_month_taken(current)
    save_validated(current, user=user, bump_version=True)
    return current


@transaction.atomic
def economy_figure_delete(*, figure: EconomyFigure, expected_version: int | None, user: User | None) -> None:
    """Delete FIGURE (kept in the history), as seen on a page loaded at EXPECTED_VERSION; refuse a stale one."""
    current = EconomyFigure.objects.select_for_update().filter(pk=figure.pk).first()
    if current is None:
        return
    if current.version != expected_version:
        raise StaleEditError(current)
    delete_recorded(current, user=user)


@transaction.atomic
def economy_year_set(*, year: int, employment_base_month: int, user: User | None = None) -> Upsert:
    """Count YEAR's change in employment against the end of EMPLOYMENT_BASE_MONTH (1–12); nothing saved when it is."""
    return upsert_row(EconomyYear, key={"year": year}, fields={"employment_base_month": employment_base_month},
                      user=user)


@transaction.atomic
def economy_year_create(*, year: int, employment_base_month: int, user: User | None) -> EconomyYear:
    """Create YEAR's choices; refused when the year has them already."""
    if EconomyYear.objects.filter(year=year).exists():
        raise ValidationError({"year": ValidationError(
            _("%(year)s has its base month already; change it instead.") % {"year": year}, code="economy_year_taken")})
    economy_year = EconomyYear(year=year, employment_base_month=employment_base_month)
    save_validated(economy_year, user=user)
    return economy_year


@transaction.atomic
def economy_year_update(*, economy_year: EconomyYear, employment_base_month: int, user: User | None) -> EconomyYear:
    """Change the base month of ECONOMY_YEAR (its year stays: a year's choices are deleted and made anew)."""
    current = EconomyYear.objects.select_for_update().get(pk=economy_year.pk)
    if current.employment_base_month != employment_base_month:
        current.employment_base_month = employment_base_month
        save_validated(current, user=user)
    return current


@transaction.atomic
def economy_year_delete(*, economy_year: EconomyYear, user: User | None) -> None:
    """Delete ECONOMY_YEAR's choices (kept in the history): the panel then shows no change in employment."""
    delete_recorded(economy_year, user=user)
