"""Password rules: Django's minimum length, with a message its Chinese catalogue has."""

from django.contrib.auth import password_validation
from django.utils.translation import gettext as _


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Refuse a password shorter than min_length characters.

    Django 5.2 changed this message's msgid (to "%d") and its Chinese catalogue
    has not followed, so a refused password would be explained in English.
    """

    def get_error_message(self) -> str:
        return _("This password is too short. It must contain at least %(min_length)s characters.") % {
            "min_length": self.min_length
        }
