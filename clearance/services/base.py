"""What every service shares: a validated save with history, the idempotent upsert, the stale-edit check."""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, models, transaction
from django.utils.translation import gettext as _

from ..derived import kept_in_step

User = AbstractBaseUser

# How long a write waits for a row that another transaction holds before it refuses, on PostgreSQL: the task worker's
# scoring holds its scheme and the rows it rewrites for minutes at a million enterprises, longer than a page may wait.
LOCK_WAIT_MS = 5000


class StaleEditError(ValidationError):
    """Raised when an edit was made on a page loaded before someone else saved."""

    def __init__(self, current: models.Model):
        self.current = current
        super().__init__(
            _("Someone else saved this record after you opened it. Review their version and apply your change again."),
            code="stale_edit",
        )


def locked_or_busy(queryset: models.QuerySet, *, busy: str) -> models.Model:
    """Return QUERYSET's one row locked FOR UPDATE; on PostgreSQL wait at most LOCK_WAIT_MS for it and refuse with the
    message BUSY (a ValidationError, nothing changed) when another transaction holds it longer."""
    if connection.vendor != "postgresql":
        return queryset.select_for_update().get()
    try:
        # A savepoint: a wait that times out leaves the caller's transaction usable, and the setting undone with it.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('lock_timeout'), set_config('lock_timeout', %s, true)",
                           [f"{LOCK_WAIT_MS}ms"])
            previous = cursor.fetchone()[0]
            row = queryset.select_for_update().get()
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])
    except OperationalError as error:
        cause = error.__cause__  # psycopg2's pgcode, psycopg 3's sqlstate
        if (getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)) != "55P03":  # lock_not_available
            raise
        raise ValidationError(busy, code="busy") from error
    return row


@dataclass(frozen=True)
class Upsert:
    """The outcome of an idempotent write: the row, and whether it was created or changed."""

    obj: Any
    created: bool = False
    changed: bool = False


def save_validated(
    obj: models.Model, *, user: User | None, bump_version: bool = False, with_constraints: bool = False,
    savepoint: bool = True, locked: bool = False,
) -> None:
    """Validate OBJ fully, attribute its history row to USER and save it.

    WITH_CONSTRAINTS also checks uniqueness across relations and the constraints in Python, for the model's
    own messages where one row is edited by hand (services.edits).
    SAVEPOINT=False for a caller inside its own atomic block that is undone whole by a refusal: the save's
    savepoint (two round trips) would keep nothing. LOCKED: the caller holds the rows the derived tables lock
    (derived.kept_in_step).
    """
    if bump_version:
        obj.version = (obj.version or 0) + 1
    # Constraints are left to the database (a violation becomes a ValidationError
    # below); Django would otherwise run one query per constraint per save.
    # Every check constraint has its twin with a clear message in clean() or a field validator.
    # A foreign key given as a saved object needs no existence query; the database checks it anyway.
    given_objects = [
        field.name
        for field in obj._meta.concrete_fields
        if field.many_to_one and field.is_cached(obj) and getattr(obj, field.name) is not None
        and getattr(obj, field.name).pk is not None
    ]
    if with_constraints:
        obj.full_clean()
    else:
        obj.full_clean(exclude=given_objects, validate_constraints=False)
    if user is not None and user.is_authenticated:
        obj._history_user = user
    try:
        with transaction.atomic(savepoint=savepoint), kept_in_step(obj, locked=locked):
            obj.save()
    except IntegrityError as error:
        # A concurrent write got past validation first; report it as bad input.
        raise ValidationError(
            _("This conflicts with a record saved at the same time: %(error)s") % {"error": error}, code="conflict"
        )


def upsert_row(model: type[models.Model], *, key: dict, fields: dict, user: User | None, versioned: bool = False) -> Upsert:
    """Create the row identified by KEY with FIELDS, or update the fields that differ; save nothing when none do."""
    stored = dict(stored_value(model, name, value) for name, value in fields.items())
    # order_by(): a default ordering across a nullable relation would put FOR UPDATE on an outer join.
    obj = model.objects.select_for_update().filter(**key).order_by("pk").first()
    if obj is None:
        obj = model(**key, **stored)
        save_validated(obj, user=user)
        return Upsert(obj, created=True, changed=True)
    differing = {name: value for name, value in stored.items() if getattr(obj, name) != value}
    if not differing:
        return Upsert(obj)
    for name, value in differing.items():
        setattr(obj, name, value)
    save_validated(obj, user=user, bump_version=versioned)
    return Upsert(obj, changed=True)


def stored_value(model: type[models.Model], name: str, value) -> tuple[str, Any]:
    """Return the attribute and value as the row stores them: a foreign key by id, a decimal as Decimal."""
    field = model._meta.get_field(name)
    if field.is_relation:
        return field.attname, value.pk if isinstance(value, models.Model) else value
    if isinstance(value, float):
        value = repr(value)  # 20.43, not the binary fraction 20.4299999…
    return name, field.to_python(value)



def delete_recorded(obj: models.Model, *, user: User | None) -> None:
    """Delete OBJ, its history row naming USER, the derived tables kept in step; every delete of a service goes here."""
    if user is not None and user.is_authenticated:
        obj._history_user = user
    with transaction.atomic(), kept_in_step(obj, deleting=True):
        obj.delete()
