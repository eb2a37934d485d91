"""Row locks the derived tables' writers take before they recompute."""

from collections.abc import Iterable

from django.db.models import Model


def lock_rows(model: type[Model], ids: Iterable[int | None]) -> None:
    """Lock MODEL's rows IDS (None left out) until the transaction ends, in id order.

    In order, so two writers touching the same rows lock them in the same order and the second waits for the first
    (then, in its next statement, sees what the first wrote), instead of the two deadlocking.
    """
    ids = sorted({pk for pk in ids if pk is not None})
    if ids:
        # order_by: a model's default ordering may join other tables, whose rows FOR UPDATE would lock too.
        list(model.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
