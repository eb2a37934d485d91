"""People: what the tracker keeps about a user account beside Django's own fields (a phone number)."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

phone_validator = RegexValidator(
    r"^(1\d{10}|0\d{2,3}-?\d{7,8})$",
    _("Enter a mobile number of 11 digits or a landline such as 0573-85012345."),
    code="invalid_phone",
)


class Profile(models.Model):
    """A person's details beyond the account: their phone.

    Its history also records, with a change reason, who changed the account itself (role, name, active,
    password): Django's user table keeps no history of its own.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="profile", verbose_name=_("user account")
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[phone_validator])
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        ordering = ["user__username"]

    def __str__(self):
        return self.user.get_full_name() or self.user.get_username()
