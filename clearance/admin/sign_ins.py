"""django-axes' sign-in records in the admin, with the one column axes leaves unnamed named in the reader's language."""

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    # axes gives its status column no description, so the admin shows the method's name: "Status".
    @admin.display(description=_("status"))
    def status(self, obj: AccessAttempt):
        return super().status(obj)


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, AccessAttemptAdmin)
