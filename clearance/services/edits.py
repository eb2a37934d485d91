"""Plain writes of rows without a rule of their own: created, updated and deleted with every rule their model declares."""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from .base import User, delete_recorded, save_validated


def row_save(obj: models.Model, *, user: User | None, bump_version: bool = False) -> None:
    """Validate OBJ with its constraints too (their messages, not a conflict), then save it with history."""
    # save_validated leaves constraints to the database for speed; an admin edit is one row, and its
    # duplicate deserves the model's own message ("… with this name already exists").
    save_validated(obj, user=user, bump_version=bump_version, with_constraints=True)


def row_create(model: type[models.Model], *, user: User | None, fields: dict) -> models.Model:
    """Create a MODEL row with FIELDS (a dict: a model's own field may be called user)."""
    obj = model(**fields)
    row_save(obj, user=user)
    return obj


def row_update(obj: models.Model, *, user: User | None, fields: dict, bump_version: bool = False) -> models.Model:
    """Change FIELDS of OBJ, read again under a lock; return the saved row."""
    current = type(obj).objects.select_for_update().get(pk=obj.pk)
    for name, value in fields.items():
        setattr(current, name, value)
    row_save(current, user=user, bump_version=bump_version)
    return current


def row_delete(obj: models.Model, *, user: User | None) -> None:
    """Delete OBJ with history; refuse, with a message, while other records refer to it."""
    try:
        with transaction.atomic():
            delete_recorded(obj, user=user)
    except (ProtectedError, RestrictedError) as error:
        raise ValidationError(
            _("%(object)s cannot be deleted while other records refer to it.") % {"object": obj},
            code="delete_protected",
        ) from error
