"""Helpers of the register's tests: an item recorded through the service, and the register's rows as a fingerprint."""

from datetime import date

from clearance import services
from clearance.choices import RegisterKind
from clearance.models import RegisterItem


def raise_item(world, *, on=date(2022, 3, 10), kind=RegisterKind.DISPUTE, resolved_on=None, resolution="",
               user=None, note="", responsible_group=None, **subject) -> RegisterItem:
    """Record an item on SUBJECT (site= or enterprise=; the world's site when none), by the world's official."""
    subject = subject or {"site": world.site}
    return services.register_item_create(
        kind=kind, raised_on=on, description="租金纠纷", resolved_on=resolved_on, responsible_group=responsible_group,
        resolution=resolution or ("调解结案" if resolved_on else ""), user=user or world.official, note=note, **subject,
    )


def register_rows() -> list[tuple]:
    """Every item and its history, as stored: what a refused write must leave unchanged."""
    return [list(RegisterItem.objects.order_by("pk").values_list()),
            list(RegisterItem.history.order_by("pk").values_list())]
