"""Django's user admin, without deletion."""

from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model


class UserAdmin(auth_admin.UserAdmin):
    """Django's user admin, without deletion: someone who leaves is made inactive.

    Every history row names who made the change; deleting the user would blank
    that name in all of them (the history keeps no copy of it), so the record of
    who changed a figure would be lost with the account.
    """

    # Django's own help for "Active" already says it: "Unselect this instead of deleting accounts."
    def has_delete_permission(self, request, obj=None):
        return False


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), UserAdmin)
