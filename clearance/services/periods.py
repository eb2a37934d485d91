"""Reporting periods (通报期): closing a month with a snapshot of its figures, and reopening the latest one."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import permissions
# The summary's JSON lives with the API, its one definition: the snapshot is what /api/summary/ answered.
from ..api import summary_json
from ..models import ReportingPeriod
from ..selectors import campaign_summary
from ..selectors.periods import closed_months, latest_closed_period, month_is_over, month_label, next_month
from ..rules import MAX_YEAR, MIN_YEAR
from .base import User, save_validated


def _check_admin(user: User | None) -> None:
    """Refuse USER unless an admin; None (a command run on the server) may."""
    if user is not None and not permissions.is_admin(user):
        raise ValidationError(_("Only administrators may close or reopen a reporting period."), code="period_admin_only")


def _check_month(year: int, month: int) -> None:
    if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12):
        raise ValidationError(
            _("%(year)s-%(month)s is not a month of the campaign.") % {"year": year, "month": month},
            code="period_invalid",
        )


@transaction.atomic
def period_close(*, year: int, month: int, user: User | None) -> ReportingPeriod:
    """Close YEAR-MONTH: keep its figures as /api/summary/ gives them now (city, towns, counties); return the row.

    Months are closed in order: the next month to close is the one after the
    latest closed month. While none is closed, any month that is over may be
    the first (a campaign starts being published in any month). Refuses a month
    not yet over, one already closed, and a user who is not an admin.
    """
    _check_admin(user)
    _check_month(year, month)
    # One closer at a time: the order check below must see the latest close.
    list(ReportingPeriod.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    label = month_label(year, month)
    existing = ReportingPeriod.objects.filter(year=year, month=month).first()
    if existing is not None and existing.closed:
        raise ValidationError(_("%(month)s is already closed.") % {"month": label}, code="period_already_closed")
    if not month_is_over(year=year, month=month):
        raise ValidationError(
            _("%(month)s is not over yet; a month can be closed once it has ended.") % {"month": label},
            code="period_not_over",
        )
    latest = latest_closed_period()
    if latest is not None and next_month(latest.year, latest.month) != (year, month):
        following = next_month(latest.year, latest.month)
        if (year, month) < (latest.year, latest.month):
            message = _("%(month)s cannot be closed: months are closed in order and %(latest)s is closed already.")
        else:
            message = _("%(month)s cannot be closed before %(next)s: months are closed in order.")
        raise ValidationError(
            message % {"month": label, "latest": month_label(latest.year, latest.month), "next": month_label(*following)},
            code="period_out_of_order",
        )
    snapshot = summary_json(campaign_summary(year=year, month=month))
    period = existing or ReportingPeriod(year=year, month=month)
    period.closed = True
    period.closed_at = timezone.now()
    period.closed_by = user if user is not None and user.is_authenticated else None
    period.snapshot = snapshot
    period.reopened_at = None
    period.reopened_by = None
    period.reopen_reason = ""
    save_validated(period, user=user)
    return period


@transaction.atomic
def period_reopen(*, year: int, month: int, reason: str, user: User | None) -> ReportingPeriod:
    """Reopen the closed month YEAR-MONTH for REASON (required); only the latest closed month, only by an admin.

    The row stays, with the reason, and its snapshot until the month is closed again.
    """
    _check_admin(user)
    _check_month(year, month)
    list(ReportingPeriod.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    label = month_label(year, month)
    reason = (reason or "").strip()
    period = ReportingPeriod.objects.filter(year=year, month=month, closed=True).first()
    if period is None:
        raise ValidationError(_("%(month)s is not closed.") % {"month": label}, code="period_not_closed")
    latest = latest_closed_period()
    if (latest.year, latest.month) != (year, month):
        raise ValidationError(
            _("Only the latest closed month, %(latest)s, can be reopened: months are closed in order.")
            % {"latest": month_label(latest.year, latest.month)},
            code="period_not_latest",
        )
    if not reason:
        raise ValidationError(
            {"reason": ValidationError(_("Give the reason for reopening %(month)s.") % {"month": label},
                                       code="period_reason_required")}
        )
    period.closed = False
    period.reopened_at = timezone.now()
    period.reopened_by = user if user is not None and user.is_authenticated else None
    period.reopen_reason = reason
    period._change_reason = change_reason(reason)
    save_validated(period, user=user)
    return period


def change_reason(note: str) -> str:
    """Return NOTE as a history row's change reason, which holds 100 characters."""
    note = " ".join((note or "").split())
    return note if len(note) <= 100 else note[:99] + "…"


def late_change_check(*, dates, note: str, field: str = "note") -> None:
    """Refuse a change to the figures of a closed month without NOTE: an event recorded, moved or deleted in one.

    DATES: the event's dates the change touches (before and after); the refusal is set on the form's FIELD.
    """
    if (note or "").strip():
        return
    closed = closed_months(dates)
    if closed:
        raise ValidationError(
            {
                field: ValidationError(
                    _("%(month)s is closed and its figures are published: a change to it needs a note saying why.")
                    % {"month": month_label(*closed[0])},
                    code="closed_period_note_required",
                )
            }
        )
