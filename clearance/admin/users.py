"""Django's user and group admin: users are never deleted; permissions are named in the reader's language."""

from django import forms
from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AdminPasswordChangeForm, SetUnusablePasswordMixin
from django.contrib.auth.models import Group, Permission
from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .deletion import WithoutLinkRowsMixin

# Django stores a model's default permissions with English names ("Can add attack group"), written once at
# migrate time; the label is built here instead, from the codename's action and the model's translated name,
# so it follows the reader's language on existing databases too.
PERMISSION_ACTIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def model_label(model: type[models.Model]) -> str:
    """Return MODEL's name in the active language, history tables and many-to-many tables included."""
    history_of = getattr(model, "instance_type", None)  # simple_history's historical models
    if history_of is not None:
        return gettext("%(model)s history") % {"model": model_label(history_of)}
    owner = model._meta.auto_created  # the model whose many-to-many field created this table
    if owner:
        field = next(each for each in owner._meta.many_to_many if each.remote_field.through is model)
        return f"{owner._meta.verbose_name} · {field.verbose_name}"
    return str(model._meta.verbose_name)


def permission_label(permission: Permission) -> str:
    """Return "app | model | action" for PERMISSION in the active language (Django's own when its model is gone)."""
    model = permission.content_type.model_class()
    if model is None:
        return str(permission)
    action, _sep, model_name = permission.codename.partition("_")
    if action in PERMISSION_ACTIONS and model_name == model._meta.model_name:
        name = PERMISSION_ACTIONS[action] % {"model": model_label(model)}
    else:
        name = gettext(permission.name)
    return f"{model._meta.app_config.verbose_name} | {model_label(model)} | {name}"


class PermissionsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return permission_label(obj)


class PermissionLabelsMixin:
    """Label the permission choices with permission_label()."""

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.related_model is Permission:
            kwargs["form_class"] = PermissionsField
        return super().formfield_for_manytomany(db_field, request=request, **kwargs)


class PasswordChangeForm(AdminPasswordChangeForm):
    """Django's form, its help text translated when shown.

    Django joins the help text to its warning with +, which turns the lazy translation into the English
    text once, at import: the page showed it in English whatever the reader's language.
    """

    usable_password_help_text = format_lazy(
        '{}<ul id="id_unusable_warning" class="messagelist"><li class="warning">{}</li></ul>',
        SetUnusablePasswordMixin.usable_password_help_text,
        _("If disabled, the current password for this user will be lost."),
    )


class UserAdmin(WithoutLinkRowsMixin, PermissionLabelsMixin, auth_admin.UserAdmin):
    """Django's user admin, without deletion: someone who leaves is made inactive.

    Every history row names who made the change; deleting the user would blank
    that name in all of them (the history keeps no copy of it), so the record of
    who changed a figure would be lost with the account.
    """

    change_password_form = PasswordChangeForm

    # Django's own help for "Active" already says it: "Unselect this instead of deleting accounts."
    def has_delete_permission(self, request, obj=None):
        return False


class GroupAdmin(WithoutLinkRowsMixin, PermissionLabelsMixin, auth_admin.GroupAdmin):
    pass


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), UserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, GroupAdmin)
