"""The evaluation's writes: schemes, adjustments, a row corrected by hand, the scores, a clearance plan opened.

Every change that moves a score (a row, a scheme, an adjustment) scores its year and size class again
(derived.scores.recompute: a few set-based statements, whatever the number of rows): in the same transaction, or,
for a change made on a page to a group too large to score inside a request, by the task worker (scores_refresh).
"""

import logging
import time
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..background import task
from ..choices import Indicator, SizeClass
from ..derived import commitments, evaluation_links, evaluation_rollup, row_copies, scores
from ..models import (
    Adjustment, Enterprise, EvaluatedEnterprise, IndicatorRow, Project, Scheme, SchemeWeight, ScoringRequest, Site, Town,
)
from ..models.evaluation import DEFAULT_CAP, DEFAULT_CUTOFFS, DEFAULT_WEIGHTS
from ..selectors.evaluation import clearance_enterprise_of
from .base import StaleEditError, User, delete_recorded, locked_or_busy, save_validated
from .records import enterprise_create, site_create

logger = logging.getLogger(__name__)

# The scheme's settings a page edits besides the weights.
SCHEME_FIELDS = ("cap", "cut_a", "cut_b", "cut_c")


@transaction.atomic
def scheme_ensure(*, year: int, size: str, user: User | None = None) -> Scheme:
    """Return the scheme of YEAR and SIZE, created with DOMAIN.md's defaults when the year has none yet."""
    scheme = Scheme.objects.filter(year=year, size=size).first()
    if scheme is not None:
        return scheme
    scheme = Scheme(year=year, size=size, cap=DEFAULT_CAP, **DEFAULT_CUTOFFS)
    save_validated(scheme, user=user)
    _default_weights(scheme, user=user)
    return scheme


def _default_weights(scheme: Scheme, *, user: User | None) -> None:
    defaults = DEFAULT_WEIGHTS[SizeClass(scheme.size)]
    for indicator in Indicator:
        save_validated(SchemeWeight(scheme=scheme, indicator=indicator, weight=Decimal(defaults.get(indicator, 0))),
                       user=user)


@transaction.atomic
def scores_recompute(*, year: int, size: str | None = None) -> int:
    """Score again YEAR's enterprises of SIZE (both size classes when None); return how many were graded."""
    graded = 0
    for each in [size] if size else SizeClass.values:
        if size is None and not IndicatorRow.objects.filter(year=year, size=each).exists():
            continue
        graded += scores.recompute(scheme_ensure(year=year, size=each))
    # Every write of indicator rows ends here: the projects' commitments are judged on the rows' tax and land.
    commitments.refresh()
    return graded


def scores_refresh(*, year: int, size: str) -> bool:
    """Score YEAR's SIZE class again after a change made on a page or in the admin; return whether it was queued.

    In this transaction when the group is small. When it had more graded enterprises than
    CLEARANCE_SCORING_IN_REQUEST_MAX_ROWS at its last scoring, the change is saved now and scored by the task
    worker (scoring_task): at a million enterprises a scheme change takes minutes, longer than a request may, and
    the pages say meanwhile that the scores shown are from before it (selectors.schemes.scoring_waiting).
    """
    scheme = scheme_ensure(year=year, size=size)
    if (scheme.graded_count or 0) <= settings.CLEARANCE_SCORING_IN_REQUEST_MAX_ROWS:
        scores_recompute(year=year, size=size)
        return False
    # In the change's transaction: a change rolled back leaves nothing waiting (the database backend's task too).
    ScoringRequest.objects.create(scheme=scheme)
    scoring_task.enqueue(scheme.pk)
    return True


@task()
def scoring_task(scheme_id: int) -> int:
    """The task the worker runs for changes to a group too large to score inside their requests: scoring_run."""
    return scoring_run(scheme_id=scheme_id)


@transaction.atomic
def scoring_run(*, scheme_id: int) -> int:
    """Score the group of scheme SCHEME_ID for the changes waiting for it; return how many it scored (0: none was
    left, another run had scored them).

    Every change queues a task; the first to run scores them all and the others find nothing left, at the cost of
    one query each.
    """
    scheme = Scheme.objects.select_for_update(no_key=True).filter(pk=scheme_id).first()
    if scheme is None:  # deleted since (its requests with it)
        return 0
    # Read under the scheme's lock, which a scoring holds to its end: what a scoring that ran meanwhile scored is
    # deleted already, and every change read here committed before the statements below start, which see it.
    waiting = list(scheme.scoring_requests.values_list("pk", flat=True))
    if not waiting:
        return 0
    started = time.perf_counter()
    scores_recompute(year=scheme.year, size=scheme.size)
    ScoringRequest.objects.filter(pk__in=waiting).delete()
    logger.info("Scored %s for %s waiting changes in %.1f s", scheme, len(waiting), time.perf_counter() - started)
    return len(waiting)


@transaction.atomic
def scheme_update(*, scheme: Scheme, expected_version: int, user: User,
                  weights: dict[str, tuple[Decimal, Decimal | None]], **fields) -> Scheme:
    """Change SCHEME as edited on a page loaded at EXPECTED_VERSION: FIELDS (cap, cut-offs) and WEIGHTS, per indicator
    (weight, fixed benchmark or None); refuse a stale edit, and a scheme the task worker is scoring; score the year
    and size class again."""
    current = locked_or_busy(Scheme.objects.filter(pk=scheme.pk), busy=_(
        "The enterprises of %(scheme)s are being scored by the task worker; save your change again when that has "
        "finished (this page says so while it runs).") % {"scheme": scheme})
    if current.version != expected_version:
        raise StaleEditError(current)
    unknown = set(fields) - set(SCHEME_FIELDS)
    if unknown:
        raise ValueError(f"not a scheme setting: {sorted(unknown)}")
    if not any(weight for weight, _benchmark in weights.values()):
        raise ValidationError(_("Give at least one indicator a weight above 0."), code="scheme_no_weight")
    for name, value in fields.items():
        setattr(current, name, value)
    save_validated(current, user=user, bump_version=True)
    stored = {weight.indicator: weight for weight in current.weights.all()}
    for indicator, (weight, benchmark) in weights.items():
        row = stored.get(indicator) or SchemeWeight(scheme=current, indicator=indicator)
        if row.pk is None or row.weight != weight or row.fixed_benchmark != benchmark:
            row.weight, row.fixed_benchmark = weight, benchmark
            save_validated(row, user=user)
    scores_refresh(year=current.year, size=current.size)
    return current


@transaction.atomic
def scheme_copy_to_next_year(*, year: int, user: User) -> list[Scheme]:
    """Copy YEAR's schemes (both size classes) to YEAR + 1, replacing what that year had; score it again."""
    copied = []
    for source in Scheme.objects.filter(year=year).prefetch_related("weights"):
        target = scheme_ensure(year=year + 1, size=source.size, user=user)
        scheme_update(
            scheme=target, expected_version=target.version, user=user,
            weights={weight.indicator: (weight.weight, weight.fixed_benchmark) for weight in source.weights.all()},
            **{name: getattr(source, name) for name in SCHEME_FIELDS},
        )
        copied.append(target)
    if not copied:
        raise ValidationError(_("%(year)s has no scheme to copy.") % {"year": year}, code="scheme_none_to_copy")
    return copied


@transaction.atomic
def adjustment_add(*, enterprise: EvaluatedEnterprise, year: int, points: Decimal, reason: str, user: User) -> Adjustment:
    """Add POINTS (negative to take them away) to ENTERPRISE's total of YEAR, for REASON; score the year again."""
    adjustment = Adjustment(enterprise=enterprise, year=year, points=points, reason=(reason or "").strip(),
                            created_by=user if user is not None and user.is_authenticated else None)
    save_validated(adjustment, user=user)
    _rescore_enterprise_year(enterprise, year)
    return adjustment


@transaction.atomic
def adjustment_delete(*, adjustment: Adjustment, user: User) -> None:
    """Remove ADJUSTMENT (kept in the history); score its year again."""
    enterprise, year = adjustment.enterprise, adjustment.year
    delete_recorded(adjustment, user=user)
    _rescore_enterprise_year(enterprise, year)


def _rescore_enterprise_year(enterprise: EvaluatedEnterprise, year: int) -> None:
    size = IndicatorRow.objects.filter(enterprise=enterprise, year=year).values_list("size", flat=True).first()
    if size is not None:
        scores_refresh(year=year, size=size)


def _row_locked(row: IndicatorRow) -> IndicatorRow:
    """ROW as stored, locked; refused after a short wait while the task worker's scoring holds it."""
    return locked_or_busy(IndicatorRow.objects.filter(pk=row.pk), busy=_(
        "%(year)s is being scored by the task worker; save your correction again when that has finished (this page "
        "says so while it runs).") % {"year": row.year})


@transaction.atomic
def indicator_row_update(*, row: IndicatorRow, expected_version: int, user: User, **fields) -> IndicatorRow:
    """Correct FIELDS (figures, size class, exemption) of ROW as edited on a page loaded at EXPECTED_VERSION; refuse a
    stale edit, and a row the task worker is scoring; score the year again (both size classes when the row changed
    class)."""
    current = _row_locked(row)
    if current.version != expected_version:
        raise StaleEditError(current)
    old_size = current.size
    for name, value in fields.items():
        setattr(current, name, value)
    save_validated(current, user=user, bump_version=True)
    for size in {old_size, current.size}:
        scores_refresh(year=current.year, size=size)
    current.refresh_from_db()
    return current


@transaction.atomic
def evaluated_enterprise_upsert(*, town: Town, name: str, credit_code: str | None = None,
                                user: User | None = None) -> EvaluatedEnterprise:
    """Return the evaluated enterprise of CREDIT_CODE, else of (TOWN, NAME), created when there is none."""
    enterprise = None
    if credit_code:
        enterprise = EvaluatedEnterprise.objects.filter(credit_code=credit_code).first()
    enterprise = enterprise or EvaluatedEnterprise.objects.filter(town=town, name=name).first()
    if enterprise is None:
        enterprise = EvaluatedEnterprise(town=town, name=name, credit_code=credit_code)
        save_validated(enterprise, user=user)
        _keep_in_step(enterprise)
    return enterprise


@transaction.atomic
def indicator_row_upsert(*, enterprise: EvaluatedEnterprise, year: int, user: User | None = None,
                         rescore: bool = True, **fields) -> IndicatorRow:
    """Create or update ENTERPRISE's row of YEAR with FIELDS (figures, size, exempt); score the year again unless
    RESCORE is False (the demo scores each year once, at the end)."""
    row = IndicatorRow.objects.select_for_update().filter(enterprise=enterprise, year=year).first()
    old_size = row.size if row is not None else None
    if row is None:
        row = IndicatorRow(enterprise=enterprise, year=year, **fields)
        save_validated(row, user=user)
    elif any(getattr(row, name) != value for name, value in fields.items()):
        for name, value in fields.items():
            setattr(row, name, value)
        save_validated(row, user=user, bump_version=True)
    if rescore:
        for size in {old_size, row.size} - {None}:
            scores_recompute(year=year, size=size)
    else:
        # Not scored yet (the caller scores the year once, at the end): what the row's figures alone decide.
        evaluation_rollup.refresh(year=year, town_ids=[row.town_id])
        commitments.refresh(Project.objects.filter(operator=enterprise))
    return row


# The admin's writes: an enterprise, a row, a scheme created or deleted by hand ---------------------------


def _refuse_name_taken(enterprise: EvaluatedEnterprise) -> None:
    taken = EvaluatedEnterprise.objects.filter(town_id=enterprise.town_id, name=enterprise.name)
    if enterprise.pk is not None:
        taken = taken.exclude(pk=enterprise.pk)
    if enterprise.town_id is not None and taken.exists():
        raise ValidationError(
            {"name": ValidationError(_("%(town)s already has an evaluated enterprise named %(name)s.")
                                     % {"town": enterprise.town.name, "name": enterprise.name},
                                     code="evaluated_name_taken")})


@transaction.atomic
def evaluated_enterprise_create(*, town: Town, name: str, credit_code: str | None = None,
                                user: User | None) -> EvaluatedEnterprise:
    """Create an evaluated enterprise of TOWN; refused when the town has one of that name or the code is taken."""
    enterprise = EvaluatedEnterprise(town=town, name=(name or "").strip(), credit_code=credit_code)
    _refuse_name_taken(enterprise)
    save_validated(enterprise, user=user)
    _keep_in_step(enterprise)
    return enterprise


@transaction.atomic
def evaluated_enterprise_update(*, enterprise: EvaluatedEnterprise, expected_version: int, user: User | None,
                                **fields) -> EvaluatedEnterprise:
    """Change ENTERPRISE's town, name or credit code as edited on a page loaded at EXPECTED_VERSION.

    No score moves: an enterprise is ranked among the whole city's of its size class, whatever its town.
    """
    current = EvaluatedEnterprise.objects.select_for_update().get(pk=enterprise.pk)
    if current.version != expected_version:
        raise StaleEditError(current)
    for name, value in fields.items():
        setattr(current, name, value)
    current.name = (current.name or "").strip()
    _refuse_name_taken(current)
    save_validated(current, user=user, bump_version=True)
    _keep_in_step(current)
    return current


@transaction.atomic
def evaluated_enterprise_delete(*, enterprise: EvaluatedEnterprise, expected_version: int, user: User | None) -> None:
    """Delete ENTERPRISE as seen at EXPECTED_VERSION; refused while it has evaluation data or adjustments (each is
    deleted on its own, scoring its year again)."""
    current = EvaluatedEnterprise.objects.select_for_update().get(pk=enterprise.pk)
    if current.version != expected_version:
        raise StaleEditError(current)
    years = sorted(set(current.indicator_rows.values_list("year", flat=True)))
    if years:
        raise ValidationError(
            _("%(name)s still has evaluation data for %(years)s; delete it first.")
            % {"name": current.name, "years": "、".join(map(str, years))}, code="evaluated_enterprise_has_data")
    adjustments = current.adjustments.count()
    if adjustments:
        raise ValidationError(
            _("%(name)s still has %(count)s adjustments; delete them first.")
            % {"name": current.name, "count": adjustments}, code="evaluated_enterprise_has_adjustments")
    delete_recorded(current, user=user)


@transaction.atomic
def indicator_row_create(*, enterprise: EvaluatedEnterprise, year: int, user: User | None, **fields) -> IndicatorRow:
    """Create ENTERPRISE's row of YEAR with FIELDS (size, figures, exemption); refused when it has one; score the year
    and size class again."""
    if year is not None and IndicatorRow.objects.filter(enterprise=enterprise, year=year).exists():
        raise ValidationError(
            {"year": ValidationError(_("%(name)s already has evaluation data for %(year)s; correct that row instead.")
                                     % {"name": enterprise.name, "year": year}, code="indicator_row_exists")})
    row = IndicatorRow(enterprise=enterprise, year=year, **fields)
    save_validated(row, user=user)
    scores_refresh(year=row.year, size=row.size)
    row.refresh_from_db()
    return row


@transaction.atomic
def indicator_row_delete(*, row: IndicatorRow, expected_version: int, user: User | None) -> None:
    """Delete ROW as seen at EXPECTED_VERSION (kept in the history); score its year and size class again."""
    current = _row_locked(row)
    if current.version != expected_version:
        raise StaleEditError(current)
    year, size = current.year, current.size
    delete_recorded(current, user=user)
    scores_refresh(year=year, size=size)


@transaction.atomic
def scheme_create(*, year: int, size: str, user: User | None, **fields) -> Scheme:
    """Create the scheme of YEAR and SIZE with FIELDS (cap, cut-offs) and the default weights; refused when the year
    has one for that size class; score the year and size class with it."""
    if Scheme.objects.filter(year=year, size=size).exists():
        raise ValidationError(
            _("%(year)s already has a scheme for %(size)s; change that one.")
            % {"year": year, "size": SizeClass(size).label}, code="scheme_exists")
    unknown = set(fields) - set(SCHEME_FIELDS)
    if unknown:
        raise ValueError(f"not a scheme setting: {sorted(unknown)}")
    scheme = Scheme(year=year, size=size, **{"cap": DEFAULT_CAP, **DEFAULT_CUTOFFS, **fields})
    save_validated(scheme, user=user)
    _default_weights(scheme, user=user)
    scores.recompute(scheme)
    return scheme


@transaction.atomic
def scheme_delete(*, scheme: Scheme, expected_version: int, user: User | None) -> None:
    """Delete SCHEME as seen at EXPECTED_VERSION with its weights; refused while its year and size class has
    evaluation data, whose scores and classes it gave (scoring them again would only bring the defaults back)."""
    current = Scheme.objects.select_for_update().get(pk=scheme.pk)
    if current.version != expected_version:
        raise StaleEditError(current)
    rows = IndicatorRow.objects.filter(year=current.year, size=current.size).count()
    if rows:
        raise ValidationError(
            _("%(scheme)s scored %(rows)s rows of evaluation data; change its weights instead of deleting it.")
            % {"scheme": current, "rows": rows}, code="scheme_in_use")
    delete_recorded(current, user=user)


@transaction.atomic
def clearance_plan_open(*, evaluated: EvaluatedEnterprise, user: User, site: Site | None = None,
                        new_site: dict | None = None, **plan) -> Enterprise:
    """Open a clearance plan (一企一策) for EVALUATED: put it, as an enterprise of the clearance ledger, on SITE of its
    town, or on a site created from NEW_SITE (name, area_mu, …); PLAN holds the plan's fields (disposal, deadline, …).

    The enterprise keeps its evaluated name, town and credit code, so that the two are one enterprise; its annual
    energy use is its latest 综合能耗. Refused when it is already in the clearance ledger.
    """
    if clearance_enterprise_of(evaluated) is not None:
        raise ValidationError(_("%(name)s is already in the clearance ledger.") % {"name": evaluated.name},
                              code="already_in_clearance")
    if site is None:
        if not new_site:
            raise ValidationError(_("Choose a site of %(town)s, or give the name and area of a new one.")
                                  % {"town": evaluated.town.name}, code="plan_no_site")
        site = site_create(town=evaluated.town, user=user, **new_site)
    elif site.town_id != evaluated.town_id:
        raise ValidationError(_("The site %(site)s is not in %(town)s.") % {"site": site.name, "town": evaluated.town.name},
                              code="plan_site_other_town")
    energy = (IndicatorRow.objects.filter(enterprise=evaluated, energy_tce__isnull=False, energy_tce__gte=0)
              .order_by("-year").values_list("energy_tce", flat=True).first())
    plan.setdefault("is_high_consumption", True)
    if energy is not None:
        plan.setdefault("annual_energy_tce", energy.quantize(Decimal("0.01")))
    return enterprise_create(site=site, name=evaluated.name, credit_code=evaluated.credit_code, user=user, **plan)


def _keep_in_step(enterprise: EvaluatedEnterprise) -> None:
    """After ENTERPRISE was created or changed: its rows have its town and name (derived.row_copies), and its clearance
    twin is found again."""
    row_copies.follow([enterprise.pk])
    evaluation_links.relink(EvaluatedEnterprise.objects.filter(pk=enterprise.pk))
    enterprise.refresh_from_db(fields=["clearance_enterprise"])
