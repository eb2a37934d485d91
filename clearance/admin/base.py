"""What every admin page of the app shares: one write path through the services, history without revert, filters' helpers.

The write path. An admin form only collects input: ServiceModelForm parses the fields and applies them to
its instance, and checks nothing else (no model validation, no uniqueness, no rule). The admin's
save_model, save_related, save_formset, delete_model and delete_queryset call a service, inside the
transaction Django's changeform_view and ClearanceAdmin.changelist_view open; the service decides. When a
service refuses, the refusal (a ValidationError) is raised as ServiceRefusal naming the form it belongs to
(the main form, an inline's form, a list_editable row); the transaction rolls back, everything included
(the object, its inlines, the log entry), and the view runs once more on the same POST with the refusal
attached: each form shows it as its own errors (a field's error on that field, one without a field among
the non-field errors), message and code as the service gave them, and nothing is written since a form
with errors saves nothing. A deletion or an action, which has no form to show an error on, is refused
with a message on the page it came from.
"""

from contextlib import contextmanager

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, router, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.forms.models import construct_instance
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .. import selectors, services
from ..choices import Stage
from ..forms import check_text
from .deletion import WithoutLinkRowsMixin

admin.site.site_header = _("Pinghu clearance tracker")
admin.site.site_title = _("Pinghu clearance tracker")
admin.site.index_title = _("Campaign administration")


# Helpers ----------------------------------------------------------------------


def adopt(obj: models.Model, saved: models.Model) -> None:
    """Copy the row a service saved onto the admin's OBJ, so inlines, log entries and redirects use it."""
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


def form_values(obj: models.Model, form: forms.ModelForm, *, skip: tuple[str, ...] = ()) -> dict:
    """Return the model fields the admin FORM edits (its primary key aside), with the values applied to OBJ."""
    names = ({field.name for field in obj._meta.concrete_fields} & set(form.cleaned_data)) - set(skip)
    names.discard(obj._meta.pk.name)
    return {name: getattr(obj, name) for name in names}


def count_of(model: type[models.Model], fk: str) -> Coalesce:
    """Count MODEL rows pointing at the outer row through FK, as a subquery so two counts never multiply."""
    counted = model.objects.filter(**{fk: OuterRef("pk")}).order_by().values(fk).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


def with_current_stage(queryset: models.QuerySet) -> models.QuerySet:
    """Annotate enterprises with the most advanced stage recorded (None when nothing is).

    A subquery per enterprise rather than MAX over a join: the list computes it for the page it shows,
    where a join and GROUP BY would aggregate every event of every enterprise first (25 s at a million).
    """
    return queryset.annotate(current_stage=selectors.enterprise_stage_subquery(OuterRef("pk")))


def stage_label(value: int | None) -> str:
    return Stage(value).label if value else "-"


# The write path ------------------------------------------------------------------


class ServiceRefusal(Exception):
    """A service refused a write of the admin; REFUSALS maps the refused form's prefix to the service's error."""

    def __init__(self, refusals: dict):
        super().__init__(refusals)
        self.refusals = refusals


@contextmanager
def refused_on(form: forms.BaseForm):
    """Raise a service's ValidationError within as a ServiceRefusal to be shown on FORM."""
    try:
        yield
    except ValidationError as error:
        raise ServiceRefusal({form.prefix: error}) from error


def show_refusal(form: forms.BaseForm, error: ValidationError) -> None:
    """Add a service's ERROR to FORM: each field's error on the field, the rest among the non-field errors."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class ServiceModelForm(forms.ModelForm):
    """A model form that parses its fields and checks nothing more: the service it is saved through decides."""

    # Set on a class made for the second run of a refused submission (ClearanceAdmin.get_form): prefix → error.
    refusals: dict = {}

    def _post_clean(self):
        try:
            self.instance = construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)
        except ValidationError as error:
            self._update_errors(error)

    def full_clean(self):
        super().full_clean()
        if self.is_bound and self.prefix in self.refusals:
            show_refusal(self, self.refusals[self.prefix])


def with_refusals(form_class: type, request) -> type:
    """Return FORM_CLASS, or on the second run of a refused submission a subclass showing the refusals."""
    refusals = getattr(request, "admin_refusals", None)
    if not refusals:
        return form_class
    return type(form_class.__name__, (form_class,), {"refusals": refusals, "__module__": form_class.__module__})


class VersionedForm(ServiceModelForm):
    """A form that carries the version its page was loaded at; the service refuses an edit made on a stale page."""

    expected_version = forms.IntegerField(label=_("Version loaded"), widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version


# Shared admin behaviour ---------------------------------------------------------


class TolerantAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete select, showing a submitted value that is no id as no choice instead of failing (a 500)."""

    def optgroups(self, name, value, attr=None):
        target = self.field.target_field
        usable = []
        for each in value:
            try:
                target.get_prep_value(each)
            except (TypeError, ValueError):
                continue
            usable.append(each)
        return super().optgroups(name, usable, attr)


class CheckedFieldsMixin:
    """Text fields that refuse control characters (NUL breaks PostgreSQL, the others the exports); tolerant autocompletes."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        return check_text(field) if field is not None else None

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = TolerantAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ServiceInlineFormSet(forms.BaseInlineFormSet):
    """The rows of an inline, with no check across them: the service refuses a duplicate on its row."""

    def validate_unique(self):
        pass


class ServiceInline(CheckedFieldsMixin, admin.TabularInline):
    """An inline whose rows are created, changed and deleted by services (the methods below), never by save()."""

    form = ServiceModelForm
    formset = ServiceInlineFormSet
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = with_refusals(formset.form, request)
        formset.inline_admin = self
        return formset

    def service_create(self, request, obj, form):
        raise PermissionDenied

    def service_update(self, request, obj, form):
        raise PermissionDenied

    def service_delete(self, request, obj):
        raise PermissionDenied


class ReadOnlyInline(ServiceInline):
    """A list of related rows with a link to each; they are edited on their own pages, through the services."""

    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ClearanceAdmin(WithoutLinkRowsMixin, CheckedFieldsMixin, SimpleHistoryAdmin):
    """History without revert; every write through a service (see the module's docstring).

    A plain admin names its services by ENTITY and the keyword they take the row by, SUBJECT:
    services.<entity>_create(**fields), <entity>_update(<subject>=obj, **fields), <entity>_delete(<subject>=obj).
    RENAMED maps a form field to the services' keyword (a model's own "user" field is the services' user_account).
    """

    form = ServiceModelForm
    entity = ""
    subject = ""
    renamed: dict = {}

    # The services ---------------------------------------------------------------

    def service_values(self, obj, form) -> dict:
        values = form_values(obj, form)
        return {self.renamed.get(name, name): value for name, value in values.items()}

    def service_save(self, request, obj, form, change) -> models.Model:
        """Save OBJ, as FORM edited it, through a service; return the row the service saved."""
        values = self.service_values(obj, form)
        if change:
            return getattr(services, f"{self.entity}_update")(**{self.subject: obj}, user=request.user, **values)
        return getattr(services, f"{self.entity}_create")(user=request.user, **values)

    def service_save_related(self, request, obj, form, change) -> None:
        """Save what FORM edits beside OBJ's own fields (many-to-many fields) through a service."""

    def service_delete(self, request, obj) -> None:
        getattr(services, f"{self.entity}_delete")(**{self.subject: obj}, user=request.user)

    def deletion_order(self, queryset) -> list:
        return list(queryset)

    def save_model(self, request, obj, form, change):
        with refused_on(form):
            saved = self.service_save(request, obj, form, change)
        adopt(obj, saved)

    def save_related(self, request, form, formsets, change):
        with refused_on(form):
            self.service_save_related(request, form.instance, form, change)
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)
        inline = getattr(formset, "inline_admin", None)
        form_of = {id(each.instance): each for each in formset.forms}
        for obj in formset.deleted_objects:
            with refused_on(form_of[id(obj)]):
                inline.service_delete(request, obj)
        for obj, _changed in formset.changed_objects:
            with refused_on(form_of[id(obj)]):
                adopt(obj, inline.service_update(request, obj, form_of[id(obj)]))
        for obj in formset.new_objects:
            with refused_on(form_of[id(obj)]):
                adopt(obj, inline.service_create(request, obj, form_of[id(obj)]))

    def delete_model(self, request, obj):
        self.service_delete(request, obj)

    def delete_queryset(self, request, queryset):
        # All or nothing (changelist_view's transaction): one refusal undoes the deletions before it.
        for obj in self.deletion_order(queryset):
            try:
                self.service_delete(request, obj)
            except ValidationError as error:
                raise ValidationError(
                    _("%(event)s: %(reason)s Nothing was deleted."),
                    params={"event": obj, "reason": " ".join(error.messages)},
                    code=getattr(error, "code", None),
                ) from error

    # The forms: shown again with the refusal on the second run ----------------------

    def get_form(self, request, obj=None, change=False, **kwargs):
        return with_refusals(super().get_form(request, obj, change, **kwargs), request)

    def get_changelist_form(self, request, **kwargs):
        # Django's list_editable form is a plain ModelForm (it ignores self.form); the rows save through services too.
        kwargs.setdefault("form", ServiceModelForm)
        return with_refusals(super().get_changelist_form(request, **kwargs), request)

    def run_again_refused(self, request, refusal: ServiceRefusal, view, *args):
        """Run VIEW once more on the same POST, the refusal attached to its forms; it saves nothing."""
        request.admin_refusals = refusal.refusals
        for _name, uploads in request.FILES.lists():
            for upload in uploads:
                upload.seek(0)
        return view(request, *args)

    # History without revert, and the views -----------------------------------------

    def get_ordering(self, request):
        # Annotating an aggregate drops Meta.ordering; keeping it explicit keeps
        # autocomplete answers and paginated lists stable.
        return self.ordering or self.model._meta.ordering

    def revert_disabled(self, request, obj=None):
        # A revert writes an old row back past the services: it would roll the
        # version counter back and skip the stage rules.
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def refuse(self, request, error: ValidationError, url: str) -> HttpResponseRedirect:
        self.message_user(request, " ".join(error.messages), messages.ERROR)
        return HttpResponseRedirect(url)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefusal as refusal:
            return self.run_again_refused(
                request, refusal, super().changeform_view, object_id, form_url, extra_context
            )

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            opts = self.model._meta
            return self.refuse(
                request, error, reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id])
            )

    def get_search_results(self, request, queryset, search_term):
        # PostgreSQL refuses NUL in a query's text (a 500 from the autocompletes); no stored text holds one.
        return super().get_search_results(request, queryset, search_term.replace("\x00", ""))

    def get_changelist_instance(self, request):
        try:
            return super().get_changelist_instance(request)
        except OverflowError as error:
            # The date hierarchy catches only ValueError: ?deadline__year=99999999999 overflows datetime.
            raise IncorrectLookupParameters(error) from error

    def changelist_view(self, request, extra_context=None):
        if request.method != "POST":
            return super().changelist_view(request, extra_context)
        try:
            return self.changelist_post(request, extra_context)
        except ServiceRefusal as refusal:
            # A list_editable row refused: the list comes back with the error on that row.
            return self.run_again_refused(request, refusal, self.changelist_post, extra_context)
        except ValidationError as error:
            return self.refuse(request, error, request.get_full_path())

    def changelist_post(self, request, extra_context=None):
        # Bulk actions and list_editable run outside any transaction; this makes them all or nothing.
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().changelist_view(request, extra_context)
