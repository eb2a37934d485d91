"""The campaign's rules as pure functions: models' clean() gathers the data by query, bulk writers from memory.

Each returns the ValidationError (message and code) when a rule is broken, else None, so every
write path refuses the same input with the same words.
"""

from collections.abc import Callable, Iterable, Mapping
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .choices import DISPOSALS_CLOSED_WITHOUT_VACATING, PROJECT_STAGES, ProjectKind, ProjectStage, Stage

# The campaign's years: an earlier or later year is a typing slip.
MIN_YEAR, MAX_YEAR = 2000, 2100

LEAVING_STAGES = (Stage.VACATED, Stage.CLOSED)


def stage_recorded_problem(stage: Stage, others: Mapping[int, date]) -> ValidationError | None:
    """Return the error when STAGE is already recorded for the subject (OTHERS: its other events' dates by stage)."""
    if stage not in others:
        return None
    return ValidationError(
        {
            "stage": ValidationError(
                _("%(stage)s is already recorded on %(date)s; correct that event instead."),
                code="stage_already_recorded",
                params={"stage": stage.label, "date": others[stage].isoformat()},
            )
        }
    )


def stage_prerequisite_problem(stage: Stage, others: Mapping[int, date], disposal: str) -> ValidationError | None:
    """Return the error when STAGE is recorded before its prerequisites (OTHERS: the enterprise's other stages)."""
    for required in stage_prerequisites(stage, disposal):
        if required not in others:
            return ValidationError(
                {
                    "stage": ValidationError(
                        _("%(stage)s needs %(required)s to be recorded first."),
                        code="stage_out_of_order",
                        params={"stage": stage.label, "required": Stage(required).label},
                    )
                }
            )
    return None


def stage_dates_problem(stage: Stage, on: date, others: Mapping[int, date]) -> ValidationError | None:
    """Return the error when STAGE on ON is dated before an earlier stage or after a later one in OTHERS."""
    for other_stage, other_date in others.items():
        if other_stage < stage and other_date > on:
            message = _("%(stage)s on %(date)s is earlier than %(other)s on %(other_date)s: stages must be dated in order.")
        elif other_stage > stage and other_date < on:
            message = _("%(stage)s on %(date)s is later than %(other)s on %(other_date)s: stages must be dated in order.")
        else:
            continue
        params = {
            "stage": stage.label,
            "date": on.isoformat(),
            "other": Stage(other_stage).label,
            "other_date": other_date.isoformat(),
        }
        return ValidationError({"occurred_on": ValidationError(message, code="dates_out_of_order", params=params)})
    return None


def after_site_vacated_problem(
    stage: Stage, on: date, others: Mapping[int, date], *, site_vacated_on: date | None, site_name: str
) -> ValidationError | None:
    """Return the error when 腾退/销号 on ON leaves a site vacated on SITE_VACATED_ON later than that date.

    Once its site is vacated, an enterprise must stay out by that date, unless
    another of its 腾退/销号 events (in OTHERS) already has it out by then.
    """
    if stage not in LEAVING_STAGES or site_vacated_on is None or on <= site_vacated_on:
        return None
    if any(other in LEAVING_STAGES and other_on <= site_vacated_on for other, other_on in others.items()):
        return None
    return ValidationError(
        {
            "occurred_on": ValidationError(
                _("%(site)s was vacated on %(date)s; this enterprise must be out by then."),
                code="after_site_vacated",
                params={"site": site_name, "date": site_vacated_on.isoformat()},
            )
        }
    )


def enterprise_event_problem(
    stage: Stage, on: date, others: Mapping[int, date], *, disposal: str, site_vacated_on: date | None,
    site_name: str,
) -> ValidationError | None:
    """Return the first error of an enterprise's STAGE on ON: prerequisites, its site's 腾退, then date order."""
    for problem in (
        stage_prerequisite_problem(stage, others, disposal),
        after_site_vacated_problem(stage, on, others, site_vacated_on=site_vacated_on, site_name=site_name),
        stage_dates_problem(stage, on, others),
    ):
        if problem is not None:
            return problem
    return None


def site_vacate_problem(on: date, out_dates: Iterable[tuple[str, date | None]]) -> ValidationError | None:
    """Return the error when a site is vacated on ON while enterprises on it are not out by then.

    OUT_DATES gives, per enterprise on the site, its name and the earliest date
    of its 腾退/销号 events (None when it has neither).
    """
    still_there = sorted(name for name, out_on in out_dates if out_on is None or out_on > on)
    if not still_there:
        return None
    return ValidationError(
        _("The site cannot be vacated on %(date)s: %(count)s enterprises on it (%(names)s) have not been vacated or closed out by then."),
        code="site_not_empty",
        params={"date": on.isoformat(), "count": len(still_there), "names": "、".join(still_there[:3])},
    )


def still_out_problem(
    *, remaining_out_dates: Iterable[date], site_vacated_on: date | None, site_name: str, enterprise_name: str
) -> ValidationError | None:
    """Return the error when deleting a 腾退/销号 leaves an enterprise not out by its site's 腾退 (the site's rule).

    REMAINING_OUT_DATES: the dates of the enterprise's other 腾退/销号 events. One of them on or before
    the site's 腾退 keeps the rule, so a mistaken 销号 can go while the enterprise stays vacated.
    """
    if site_vacated_on is None or any(on <= site_vacated_on for on in remaining_out_dates):
        return None
    return ValidationError(
        _("Without this event %(enterprise)s would not be out of %(site)s by its vacated date %(date)s; "
          "correct or delete the site's vacated event first."),
        code="site_not_empty",
        params={"enterprise": enterprise_name, "site": site_name, "date": site_vacated_on.isoformat()},
    )


def vacated_site_problem(
    *, site_vacated: bool, stored_site_id: int | None, site_id: int | None, site_name: str
) -> ValidationError | None:
    """Return the error when an enterprise is put on a site already vacated (the land is meant to be empty)."""
    if not site_vacated or stored_site_id == site_id:
        return None
    return ValidationError(
        _("%(site)s has been recorded as vacated; no enterprise can be added to it."),
        code="site_vacated",
        params={"site": site_name},
    )


def attack_group_problem() -> ValidationError:
    """Return the error for an enterprise whose responsible attack group is another town's."""
    return ValidationError(_("The attack group belongs to another town's task force."), code="group_other_town")


def parent_chain_contains(target, parent, parent_of: Callable) -> bool:
    """Whether TARGET is PARENT or one of its ancestors, following PARENT_OF (a site cannot lie inside itself)."""
    seen, node = set(), parent
    while node is not None and node not in seen:
        if node == target:
            return True
        seen.add(node)
        node = parent_of(node)
    return False


def stage_prerequisites(stage: Stage, disposal: str) -> tuple[Stage, ...]:
    """Return the stages an enterprise must have recorded before reaching STAGE.

    摸底, 洽谈 and 签约 may be recorded in any order (a ledger often starts at
    签约). 腾退 needs 签约 and 拆除 needs 腾退. 销号 needs 腾退, except under a
    disposal that keeps the enterprise in place (改造提升, 兼并重组), where 签约
    is enough.
    """
    if stage == Stage.VACATED:
        return (Stage.SIGNED,)
    if stage == Stage.DEMOLISHED:
        return (Stage.VACATED,)
    if stage == Stage.CLOSED:
        return (Stage.SIGNED,) if disposal in DISPOSALS_CLOSED_WITHOUT_VACATING else (Stage.VACATED,)
    return ()


def next_stage(recorded: Iterable[int], disposal: str) -> Stage | None:
    """Return the stage an enterprise with the RECORDED stages most likely reaches next, or None after 销号.

    It is the least stage after the most advanced one recorded that is not
    recorded yet and whose prerequisites (stage_prerequisites) are met. Under a
    disposal that keeps the enterprise in place (改造提升, 兼并重组) it is never
    腾退 or 拆除: after 签约 comes 销号. With nothing recorded it is 摸底.
    """
    done = set(recorded)
    latest = max(done, default=0)
    skipped = {Stage.VACATED, Stage.DEMOLISHED} if disposal in DISPOSALS_CLOSED_WITHOUT_VACATING else set()
    for stage in Stage:
        if stage <= latest or stage in done or stage in skipped:
            continue
        if all(required in done for required in stage_prerequisites(stage, disposal)):
            return stage
    return None


def project_stage_problem(
    kind: str, stage: ProjectStage, on: date, others: Mapping[int, date]
) -> ValidationError | None:
    """Return the error of a project's STAGE on ON: not a stage of its KIND, an earlier stage of the kind
    not recorded yet (no 达产 before 投产), or dates out of order (OTHERS: the project's other stages)."""
    stages = PROJECT_STAGES[ProjectKind(kind)]
    if stage not in stages:
        return ValidationError(
            {"stage": ValidationError(
                _("A %(kind)s project has no stage %(stage)s."),
                code="project_stage_of_other_kind",
                params={"kind": ProjectKind(kind).label, "stage": stage.label},
            )}
        )
    missing = [earlier for earlier in stages[: stages.index(stage)] if earlier not in others]
    if missing:
        return ValidationError(
            {"stage": ValidationError(
                _("%(stage)s needs %(required)s to be recorded first."),
                code="stage_out_of_order",
                params={"stage": stage.label, "required": "、".join(str(earlier.label) for earlier in missing)},
            )}
        )
    for other_stage, other_date in others.items():
        if (other_stage < stage and other_date > on) or (other_stage > stage and other_date < on):
            earlier_or_later = (
                _("%(stage)s on %(date)s is earlier than %(other)s on %(other_date)s: stages must be dated in order.")
                if other_stage < stage else
                _("%(stage)s on %(date)s is later than %(other)s on %(other_date)s: stages must be dated in order.")
            )
            return ValidationError(
                {"occurred_on": ValidationError(
                    earlier_or_later,
                    code="dates_out_of_order",
                    params={"stage": stage.label, "date": on.isoformat(), "other": ProjectStage(other_stage).label,
                            "other_date": other_date.isoformat()},
                )}
            )
    return None


def land_supply_problem(on: date, sites: Iterable[tuple[str, date | None]]) -> ValidationError | None:
    """Return the error when a project's land is supplied on ON while a site it takes is not vacated by then.

    SITES: the name and 腾退 date (None when not vacated) of each site the project takes land from.
    """
    sites = list(sites)
    if not sites:
        return ValidationError(
            {"stage": ValidationError(
                _("Give the project its land (the sites and the area taken from each) before recording land supply."),
                code="project_without_land",
            )}
        )
    not_vacated = sorted(name for name, vacated_on in sites if vacated_on is None or vacated_on > on)
    if not not_vacated:
        return None
    return ValidationError(
        {"occurred_on": ValidationError(
            _("Land cannot be supplied on %(date)s: %(names)s had not been vacated by then."),
            code="land_not_vacated",
            params={"date": on.isoformat(), "names": "、".join(not_vacated)},
        )}
    )


def site_allocation_problem(*, site_name: str, site_area, allocated_elsewhere, area) -> ValidationError | None:
    """Return the error when AREA more of a site's land would take, over all projects, more than the site holds."""
    if allocated_elsewhere + area <= site_area:
        return None
    return ValidationError(
        {"area_mu": ValidationError(
            _("%(site)s holds %(area)s mu and %(taken)s mu of it is already taken by other projects: "
              "at most %(left)s mu is left."),
            code="site_over_allocated",
            params={"site": site_name, "area": site_area, "taken": allocated_elsewhere,
                    "left": max(site_area - allocated_elsewhere, 0)},
        )}
    )


def site_reused_problem(
    *, site_name: str, vacated_on: date | None, supplied: Iterable[tuple[str, date]]
) -> ValidationError | None:
    """Return the error when a site's 腾退 would be deleted (VACATED_ON None) or moved after the 供地 of a project
    taking its land (SUPPLIED: each such project's name and 供地 date)."""
    too_early = sorted(name for name, supplied_on in supplied if vacated_on is None or supplied_on < vacated_on)
    if not too_early:
        return None
    return ValidationError(
        _("The land of %(site)s is already supplied to %(projects)s: its vacated date cannot be removed or moved "
          "after that supply."),
        code="site_land_supplied",
        params={"site": site_name, "projects": "、".join(too_early)},
    )
