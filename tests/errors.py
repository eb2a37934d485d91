"""The codes of a refusal, so that a test names the rule that refused and not only its words."""

from django.core.exceptions import ValidationError


def error_codes(error: ValidationError) -> list[str | None]:
    """Return the code of each message of ERROR, in the order of error.messages (field by field for a dict)."""
    if hasattr(error, "error_dict"):
        return [item.code for items in error.error_dict.values() for item in items]
    return [item.code for item in error.error_list]


def error_code_dict(error: ValidationError) -> dict[str, list[str | None]]:
    """Return the codes of each field of ERROR, as error.message_dict gives their messages."""
    return {field: [item.code for item in items] for field, items in error.error_dict.items()}


def form_error_codes(form) -> dict[str, list[str | None]]:
    """Return the codes of each field's errors on FORM ("__all__" for those of no field)."""
    return {field: [error.code for error in errors] for field, errors in form.errors.as_data().items()}
