"""Django admin of the clearance app: reference data and records, with their history; writes go through the services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, router, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import selectors, services
from .choices import Category, Metric, Stage
from .forms import check_text, validate_event_date
from .models import (
    AttackGroup,
    Bureau,
    BureauHead,
    BulletinFigure,
    County,
    Enterprise,
    Event,
    Pairing,
    Photo,
    Site,
    TaskForce,
    TaskForceMember,
    Target,
    Town,
)

admin.site.site_header = _("Pinghu clearance tracker")
admin.site.site_title = _("Pinghu clearance tracker")
admin.site.index_title = _("Campaign administration")


# Helpers ----------------------------------------------------------------------


def _adopt(obj: models.Model, saved: models.Model) -> None:
    """Copy the row a service saved onto the admin's OBJ, so inlines, log entries and redirects use it."""
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


def _form_values(obj: models.Model, form: forms.ModelForm, *, skip: tuple[str, ...] = ()) -> dict:
    """Return the model fields the admin FORM edits, with the values already applied to OBJ."""
    names = ({field.name for field in obj._meta.concrete_fields} & set(form.cleaned_data)) - set(skip)
    return {name: getattr(obj, name) for name in names}


def _count_of(model: type[models.Model], fk: str) -> Coalesce:
    """Count MODEL rows pointing at the outer row through FK, as a subquery so two counts never multiply."""
    counted = model.objects.filter(**{fk: OuterRef("pk")}).order_by().values(fk).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


def _with_current_stage(queryset: models.QuerySet) -> models.QuerySet:
    """Annotate enterprises with the most advanced stage recorded (None when nothing is).

    A subquery per enterprise rather than MAX over a join: the list computes it for the page it shows,
    where a join and GROUP BY would aggregate every event of every enterprise first (25 s at a million).
    """
    return queryset.annotate(current_stage=selectors.enterprise_stage_subquery(OuterRef("pk")))


def _stage_label(value: int | None) -> str:
    return Stage(value).label if value else "-"


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


class ClearanceAdmin(CheckedFieldsMixin, SimpleHistoryAdmin):
    """History without revert, and a rule a service enforces at save time shown as a message, not a 500."""

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

    def save_model(self, request, obj, form, change):
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                super().save_model(request, obj, form, change)
        except IntegrityError as error:
            # A concurrent write got past the form's checks first.
            raise ValidationError(
                _("This conflicts with a record saved at the same time: %(error)s"), params={"error": error}
            ) from error

    def _refuse(self, request, error: ValidationError, url: str) -> HttpResponseRedirect:
        self.message_user(request, " ".join(error.messages), messages.ERROR)
        return HttpResponseRedirect(url)

    # The form's clean catches rule violations as field errors; what gets past
    # it (a concurrent write, a deletion a later stage needs) surfaces here,
    # after the view's transaction, log entry included, has been rolled back.

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            return self._refuse(request, error, request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            opts = self.model._meta
            return self._refuse(
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
            # Bulk actions run outside any transaction; this makes them all or nothing.
            with transaction.atomic(using=router.db_for_write(self.model)):
                return super().changelist_view(request, extra_context)
        except ValidationError as error:
            return self._refuse(request, error, request.get_full_path())


class VersionedForm(forms.ModelForm):
    """A form that carries the version its page was loaded at, so an edit made on a stale page is refused."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk:
            stored = type(self.instance).objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
            if cleaned_data.get("expected_version") != stored:
                raise ValidationError(
                    _(
                        "Someone else saved this record after you opened it. "
                        "Review their version and apply your change again."
                    ),
                    code="stale_edit",
                )
        return cleaned_data


class ReadOnlyInline(admin.TabularInline):
    """A list of related rows with a link to each; they are edited on their own pages, through the services."""

    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Filters ----------------------------------------------------------------------


class ActivePairingFilter(admin.SimpleListFilter):
    title = _("active pairing")
    parameter_name = "active"
    field = "ended_on"

    def lookups(self, request, model_admin):
        return [("yes", _("Active")), ("no", _("Ended"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(**{f"{self.field}__isnull": self.value() == "yes"})
        return queryset


class TaskForceActiveFilter(ActivePairingFilter):
    field = "pairing__ended_on"


class CurrentStageFilter(admin.SimpleListFilter):
    """Filter enterprises on the annotation current_stage (their most advanced stage)."""

    title = _("current stage")
    parameter_name = "current_stage"
    none = "none"

    def lookups(self, request, model_admin):
        return [(self.none, _("Nothing recorded")), *((str(stage.value), stage.label) for stage in Stage)]

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.none:
            return queryset.filter(current_stage__isnull=True)
        if value in {str(stage.value) for stage in Stage}:
            return queryset.filter(current_stage=int(value))
        return queryset


class SiteVacatedFilter(admin.SimpleListFilter):
    title = _("vacated")
    parameter_name = "vacated"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(vacated_on__isnull=self.value() == "no")
        return queryset


class EventTownFilter(admin.SimpleListFilter):
    """An event's town is its enterprise's or its site's."""

    title = _("town")
    parameter_name = "town"

    def lookups(self, request, model_admin):
        return [(str(pk), name) for pk, name in Town.objects.values_list("pk", "name")]

    def queryset(self, request, queryset):
        # ASCII digits only: "²".isdigit() is true, but no id.
        if self.value() and self.value().isascii() and self.value().isdigit():
            return queryset.filter(Q(enterprise__town=self.value()) | Q(site__town=self.value()))
        return queryset


class TargetScopeFilter(admin.SimpleListFilter):
    title = _("scope")
    parameter_name = "scope"

    def lookups(self, request, model_admin):
        return [("city", _("City")), ("town", _("Towns"))]

    def queryset(self, request, queryset):
        if self.value() in ("city", "town"):
            return queryset.filter(town__isnull=self.value() == "city")
        return queryset


# Places and people --------------------------------------------------------------


@admin.register(Town)
class TownAdmin(ClearanceAdmin):
    list_display = ["name", "kind", "display_order", "current_head", "site_count", "enterprise_count"]
    list_editable = ["display_order"]
    list_filter = ["kind"]
    search_fields = ["name"]

    def get_queryset(self, request):
        active = Pairing.objects.active().filter(town=OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                head_name=Subquery(active.values("head__name")[:1]),
                head_bureau=Subquery(active.values("head__bureau__name")[:1]),
                site_count=_count_of(Site, "town"),
                enterprise_count=_count_of(Enterprise, "town"),
            )
        )

    @admin.display(description=_("paired bureau head"))
    def current_head(self, obj):
        return f"{obj.head_name}（{obj.head_bureau}）" if obj.head_name else "-"

    @admin.display(description=_("sites"), ordering="site_count")
    def site_count(self, obj):
        return obj.site_count

    @admin.display(description=_("enterprises"), ordering="enterprise_count")
    def enterprise_count(self, obj):
        return obj.enterprise_count


@admin.register(County)
class CountyAdmin(ClearanceAdmin):
    list_display = ["name", "is_home", "display_order"]
    list_editable = ["display_order"]
    search_fields = ["name"]


@admin.register(Bureau)
class BureauAdmin(ClearanceAdmin):
    list_display = ["name", "head_count"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(head_count=Count("heads"))

    @admin.display(description=_("heads"), ordering="head_count")
    def head_count(self, obj):
        return obj.head_count


@admin.register(BureauHead)
class BureauHeadAdmin(ClearanceAdmin):
    list_display = ["name", "bureau", "user", "paired_town"]
    list_filter = ["bureau"]
    search_fields = ["name", "bureau__name"]
    autocomplete_fields = ["bureau", "user"]

    def get_queryset(self, request):
        # str() names the bureau, here and in every autocomplete answer.
        active = Pairing.objects.active().filter(head=OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .select_related("bureau", "user")
            .annotate(paired_town_name=Subquery(active.values("town__name")[:1]))
        )

    @admin.display(description=_("paired with"), ordering="paired_town_name")
    def paired_town(self, obj):
        return obj.paired_town_name or "-"


class PairingTaskForceInline(ReadOnlyInline):
    model = TaskForce
    fields = ["name"]


class PairingAddForm(forms.ModelForm):
    """Start a pairing; with "hand over", end the town's current one on the same day (services.pairing_change)."""

    hand_over = forms.BooleanField(
        label=_("Hand over"),
        required=False,
        help_text=_(
            "End the town's current pairing on the start date and move its town staff to the new task force."
        ),
    )

    class Meta:
        model = Pairing
        fields = ["town", "head", "started_on"]

    def clean(self):
        cleaned_data = super().clean()
        town, head, started_on = (cleaned_data.get(name) for name in ("town", "head", "started_on"))
        if town is None or head is None or started_on is None:
            return cleaned_data
        current = Pairing.objects.active().filter(town=town).first()
        if current is not None and not cleaned_data.get("hand_over"):
            self.add_error(
                "town",
                ValidationError(
                    _("%(town)s already has an active pairing; end it before starting another, or tick “hand over”."),
                    code="town_already_paired",
                    params={"town": town.name},
                ),
            )
        elif current is not None and started_on < current.started_on:
            self.add_error(
                "started_on",
                ValidationError(
                    _("The new pairing cannot start before the current one started (%(date)s)."),
                    code="change_before_start",
                    params={"date": current.started_on.isoformat()},
                ),
            )
        head_elsewhere = Pairing.objects.active().filter(head=head).exclude(town=town).select_related("town").first()
        if head_elsewhere is not None:
            self.add_error(
                "head",
                ValidationError(
                    _("%(head)s is already paired with %(town)s."),
                    code="head_already_paired",
                    params={"head": head.name, "town": head_elsewhere.town.name},
                ),
            )
        return cleaned_data


class PairingChangeForm(forms.ModelForm):
    """Edit dates and note; town and head are fixed once a task force works under the pairing."""

    class Meta:
        model = Pairing
        fields = ["started_on", "ended_on", "note"]

    def clean(self):
        cleaned_data = super().clean()
        # Reopening an ended pairing must not make a second active one; the
        # model's constraints are skipped here because town and head are read-only.
        if "ended_on" in cleaned_data and cleaned_data["ended_on"] is None:
            others = Pairing.objects.active().exclude(pk=self.instance.pk)
            if others.filter(town_id=self.instance.town_id).exists():
                self.add_error(
                    "ended_on",
                    ValidationError(
                        _("%(town)s already has another active pairing."),
                        code="town_already_paired",
                        params={"town": self.instance.town.name},
                    ),
                )
            if others.filter(head_id=self.instance.head_id).exists():
                self.add_error(
                    "ended_on",
                    ValidationError(
                        _("%(head)s is already paired with another town."),
                        code="head_already_paired",
                        params={"head": self.instance.head.name},
                    ),
                )
        return cleaned_data


@admin.register(Pairing)
class PairingAdmin(ClearanceAdmin):
    list_display = ["town", "head", "head_bureau", "started_on", "ended_on", "is_active"]
    list_display_links = ["town", "head"]
    list_select_related = ["town", "head__bureau"]
    list_filter = [ActivePairingFilter, "town"]
    search_fields = ["town__name", "head__name", "head__bureau__name"]
    autocomplete_fields = ["town", "head"]
    # The pairing board: town by town, the active pairing above the ended ones.
    ordering = ["town__display_order", "town__name", F("ended_on").desc(nulls_first=True), "-started_on"]
    inlines = [PairingTaskForceInline]

    def get_queryset(self, request):
        # str() names town, head and bureau, in the list and in autocomplete answers.
        return super().get_queryset(request).select_related("town", "head__bureau")

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = PairingChangeForm if obj else PairingAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["town", "head", "started_on", "hand_over"]
        return ["town", "head", "started_on", "ended_on", "note"]

    def get_readonly_fields(self, request, obj=None):
        return ["town", "head"] if obj else []

    def get_inlines(self, request, obj):
        # The task force is made with the pairing; there is none to show before.
        return self.inlines if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        if form.cleaned_data.get("hand_over"):
            saved = services.pairing_change(town=obj.town, new_head=obj.head, on=obj.started_on, user=request.user)
        else:
            saved = services.pairing_start(town=obj.town, head=obj.head, started_on=obj.started_on, user=request.user)
        _adopt(obj, saved)

    @admin.display(description=_("bureau"), ordering="head__bureau__name")
    def head_bureau(self, obj):
        return obj.head.bureau

    @admin.display(description=_("active"), boolean=True, ordering="ended_on")
    def is_active(self, obj):
        return obj.is_active


class TaskForceMemberInline(CheckedFieldsMixin, admin.TabularInline):
    model = TaskForceMember
    fields = ["person_name", "role", "unit", "user"]
    autocomplete_fields = ["user"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


class AttackGroupInline(CheckedFieldsMixin, admin.TabularInline):
    model = AttackGroup
    fields = ["name", "leader_name"]
    extra = 0
    show_change_link = True


@admin.register(TaskForce)
class TaskForceAdmin(ClearanceAdmin):
    list_display = ["name", "town", "head", "is_active", "member_count", "attack_group_count"]
    list_filter = [TaskForceActiveFilter, "pairing__town"]
    search_fields = ["name", "pairing__town__name", "pairing__head__name"]
    autocomplete_fields = ["pairing"]
    filter_horizontal = ["member_bureaus"]
    inlines = [TaskForceMemberInline, AttackGroupInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("pairing__town", "pairing__head__bureau")
            .annotate(member_count=_count_of(TaskForceMember, "task_force"))
            .annotate(attack_group_count=_count_of(AttackGroup, "task_force"))
        )

    def get_readonly_fields(self, request, obj=None):
        # Its pairing is what makes the task force; moving it would hand a team to another town.
        return ["pairing"] if obj else []

    @admin.display(description=_("town"), ordering="pairing__town__display_order")
    def town(self, obj):
        return obj.pairing.town

    @admin.display(description=_("bureau head"), ordering="pairing__head__name")
    def head(self, obj):
        return obj.pairing.head

    @admin.display(description=_("active"), boolean=True, ordering="pairing__ended_on")
    def is_active(self, obj):
        return obj.pairing.is_active

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, obj):
        return obj.member_count

    @admin.display(description=_("attack groups"), ordering="attack_group_count")
    def attack_group_count(self, obj):
        return obj.attack_group_count


@admin.register(TaskForceMember)
class TaskForceMemberAdmin(ClearanceAdmin):
    list_display = ["person_name", "role", "unit", "task_force", "user"]
    list_select_related = ["task_force", "user"]
    list_filter = ["role", "task_force__pairing__town"]
    search_fields = ["person_name", "unit", "user__username", "task_force__name"]
    autocomplete_fields = ["task_force", "user"]


@admin.register(AttackGroup)
class AttackGroupAdmin(ClearanceAdmin):
    list_display = ["name", "leader_name", "task_force", "enterprise_count"]
    list_select_related = ["task_force"]
    list_filter = ["task_force__pairing__town"]
    search_fields = ["name", "leader_name", "task_force__name"]
    autocomplete_fields = ["task_force"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(enterprise_count=Count("enterprises"))

    @admin.display(description=_("enterprises"), ordering="enterprise_count")
    def enterprise_count(self, obj):
        return obj.enterprise_count


# Sites and enterprises ------------------------------------------------------------


class ChildSiteInline(ReadOnlyInline):
    model = Site
    fk_name = "parent"
    fields = ["name", "area_mu", "deadline"]
    verbose_name = _("site inside this area")
    verbose_name_plural = _("sites inside this area")


class SiteEnterpriseInline(ReadOnlyInline):
    model = Enterprise
    fields = ["name", "disposal", "is_tenant", "energy_freed_tce", "current_stage"]
    ordering = ["name"]

    def get_queryset(self, request):
        return _with_current_stage(super().get_queryset(request))

    @admin.display(description=_("current stage"))
    def current_stage(self, obj):
        return _stage_label(getattr(obj, "current_stage", None))


class SiteForm(VersionedForm):
    class Meta:
        model = Site
        fields = "__all__"

    def clean(self):
        cleaned_data = super().clean()
        # Enterprises and parcels carry their own town; moving the site alone
        # would leave them in the old one (Site.clean does not check this yet).
        if self.instance.pk and "town" in self.changed_data:
            if self.instance.enterprises.exists() or self.instance.children.exists():
                self.add_error(
                    "town",
                    ValidationError(
                        _("Move this site's enterprises and parcels first: they belong to its present town."),
                        code="site_town_has_members",
                    ),
                )
        return cleaned_data


@admin.register(Site)
class SiteAdmin(ClearanceAdmin):
    form = SiteForm
    list_display = ["name", "town", "parent", "area_mu", "deadline", "enterprise_count", "vacated_on"]
    list_select_related = ["town", "parent"]
    list_filter = ["town", SiteVacatedFilter, ("parent", admin.EmptyFieldListFilter)]
    search_fields = ["name", "town__name", "parent__name"]
    autocomplete_fields = ["town", "parent"]
    date_hierarchy = "deadline"
    fields = [
        "name", "town", "parent", "area_mu", "land_use", "deadline", "ownership_notes", "notes",
        "vacated_on", "version", "expected_version",
    ]
    readonly_fields = ["vacated_on", "version"]
    inlines = [ChildSiteInline, SiteEnterpriseInline]

    def get_queryset(self, request):
        vacated = Event.objects.filter(site=OuterRef("pk")).values("occurred_on")[:1]
        return (
            super()
            .get_queryset(request)
            .annotate(enterprise_count=Count("enterprises"), vacated_on=Subquery(vacated))
        )

    @admin.display(description=_("enterprises"), ordering="enterprise_count")
    def enterprise_count(self, obj):
        return obj.enterprise_count

    @admin.display(description=_("vacated on"), ordering="vacated_on")
    def vacated_on(self, obj):
        return getattr(obj, "vacated_on", None) or "-"

    def save_model(self, request, obj, form, change):
        if change:
            saved = services.site_update(
                site=obj,
                expected_version=form.cleaned_data["expected_version"],
                user=request.user,
                **_form_values(obj, form),
            )
        else:
            saved = services.site_create(
                town=obj.town,
                name=obj.name,
                area_mu=obj.area_mu,
                user=request.user,
                **_form_values(obj, form, skip=("town", "name", "area_mu")),
            )
        _adopt(obj, saved)


class EnterpriseEventInline(ReadOnlyInline):
    model = Event
    fields = ["stage", "occurred_on", "recorded_by", "note"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by")


class EnterpriseForm(VersionedForm):
    class Meta:
        model = Enterprise
        fields = "__all__"


@admin.register(Enterprise)
class EnterpriseAdmin(ClearanceAdmin):
    form = EnterpriseForm
    # The total under a filter is still counted; the unfiltered total again on every page is not (a million rows).
    show_full_result_count = False
    # By town, then name: the order of the (town, name) unique index, so a page of 100 is read from the index;
    # the model's order (town's display order, site name) sorts every enterprise first (a second at a million).
    ordering = ["town_id", "name"]
    list_display = ["name", "town", "site", "disposal", "categories", "energy_freed_tce", "current_stage"]
    list_select_related = ["town", "site"]
    list_filter = [
        "town",
        CurrentStageFilter,
        "disposal",
        *(category.value for category in Category),
    ]
    search_fields = ["name", "credit_code", "site__name"]
    autocomplete_fields = ["town", "site"]
    fieldsets = [
        (None, {"fields": ["name", "credit_code", "town", "site", "expected_version"]}),
        (_("Categories"), {"fields": [category.value for category in Category]}),
        (_("Plan"), {"fields": ["disposal", "responsible_group", "plan_deadline", "plan_notes"]}),
        (_("Energy"), {"fields": ["annual_energy_tce", "energy_freed_tce"]}),
        (_("Progress"), {"fields": ["current_stage", "version"]}),
    ]
    readonly_fields = ["current_stage", "version"]
    inlines = [EnterpriseEventInline]

    def get_queryset(self, request):
        return _with_current_stage(super().get_queryset(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "responsible_group":
            # Group names repeat from town to town; the label says whose group it is.
            kwargs["queryset"] = AttackGroup.objects.select_related("task_force")
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = lambda group: f"{group.task_force} · {group}"
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("categories"))
    def categories(self, obj):
        return "、".join(str(category.label) for category in obj.categories) or "-"

    @admin.display(description=_("current stage"), ordering="current_stage")
    def current_stage(self, obj):
        return _stage_label(getattr(obj, "current_stage", None))

    def save_model(self, request, obj, form, change):
        if change:
            saved = services.enterprise_update(
                enterprise=obj,
                expected_version=form.cleaned_data["expected_version"],
                user=request.user,
                **_form_values(obj, form),
            )
        else:
            # The form has checked that the town is the site's, which enterprise_create takes.
            saved = services.enterprise_create(
                site=obj.site,
                name=obj.name,
                user=request.user,
                **_form_values(obj, form, skip=("town", "site", "name")),
            )
        _adopt(obj, saved)


# Events and photos -----------------------------------------------------------------


class PhotoForm(forms.ModelForm):
    """Check an upload as services.photo_add will; a stored photo keeps its image (its thumbnail is made from it)."""

    class Meta:
        model = Photo
        fields = ["event", "image", "phase", "caption"]

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if "image" not in self.changed_data:
            return image
        if self.instance.pk:
            raise ValidationError(
                _("A photo's image cannot be replaced; add the new photo and delete this one."), code="photo_replaced"
            )
        services.photo_check(image)
        return image


def _preview(photo: Photo) -> str:
    image = photo.thumbnail or photo.image
    if not image:
        return "-"
    return format_html('<img src="{}" alt="" style="max-height: 4em">', image.url)


class PhotoInline(CheckedFieldsMixin, admin.TabularInline):
    model = Photo
    form = PhotoForm
    fields = ["image", "phase", "caption", "preview"]
    readonly_fields = ["preview"]
    extra = 0

    @admin.display(description=_("preview"))
    def preview(self, obj):
        return _preview(obj)


class EventForm(VersionedForm):
    """Check what services.event_record checks before it runs; Event.clean adds date and stage order."""

    class Meta:
        model = Event
        fields = ["enterprise", "site", "stage", "occurred_on", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # As on the pages and in the ledger: an event before 2000 is a typing slip.
        if "occurred_on" in self.fields:
            self.fields["occurred_on"].validators.append(validate_event_date)

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk:
            # Subject and stage are read-only once recorded; Event.clean checks the new date.
            return cleaned_data
        enterprise, site, stage = (cleaned_data.get(name) for name in ("enterprise", "site", "stage"))
        if enterprise is None and site is None:
            if not self.has_error("enterprise") and not self.has_error("site"):
                self.add_error(
                    "enterprise",
                    ValidationError(_("Choose the enterprise, or the site for its vacated event."), code="no_subject"),
                )
        elif enterprise is not None and site is not None:
            self.add_error(
                "site",
                ValidationError(
                    _("Leave the site empty when an enterprise is chosen; a site records only its own vacated event."),
                    code="two_subjects",
                ),
            )
        elif stage is not None:
            existing = Event.objects.filter(enterprise=enterprise, site=site, stage=stage).first()
            if existing is not None:
                self.add_error(
                    "stage",
                    ValidationError(
                        _("%(stage)s is already recorded on %(date)s; correct that event instead."),
                        code="stage_already_recorded",
                        params={"stage": Stage(stage).label, "date": existing.occurred_on.isoformat()},
                    ),
                )
        return cleaned_data


@admin.register(Event)
class EventAdmin(ClearanceAdmin):
    form = EventForm
    list_display = ["subject", "town", "stage", "occurred_on", "recorded_by", "recorded_at"]
    list_display_links = ["subject", "stage"]
    list_filter = [EventTownFilter, "stage"]
    search_fields = ["enterprise__name", "enterprise__credit_code", "site__name"]
    autocomplete_fields = ["enterprise", "site"]
    date_hierarchy = "occurred_on"
    inlines = [PhotoInline]

    def get_queryset(self, request):
        # str() and town name the enterprise or the site, in the list and in autocomplete answers.
        return super().get_queryset(request).select_related("enterprise__town", "site__town", "recorded_by")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["enterprise", "site", "stage", "occurred_on", "note", "expected_version"]
        return [
            "enterprise", "site", "stage", "occurred_on", "note", "recorded_by", "recorded_at", "version",
            "expected_version",
        ]

    def get_readonly_fields(self, request, obj=None):
        # A wrong stage or subject is deleted and recorded anew, so the stage rules are checked again.
        return ["enterprise", "site", "stage", "recorded_by", "recorded_at", "version"] if obj else []

    @admin.display(description=_("enterprise or site"))
    def subject(self, obj):
        return obj.enterprise or obj.site

    @admin.display(description=_("town"))
    def town(self, obj):
        return obj.town

    def save_model(self, request, obj, form, change):
        if change:
            saved = services.event_correct(
                event=obj,
                expected_version=form.cleaned_data["expected_version"],
                on=obj.occurred_on,
                note=obj.note,
                user=request.user,
            )
        else:
            saved = services.event_record(
                stage=obj.stage,
                on=obj.occurred_on,
                user=request.user,
                enterprise=obj.enterprise,
                site=obj.site,
                note=obj.note,
            )
        _adopt(obj, saved)

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)
        for photo in formset.new_objects:
            # photo_add stores the upload under a random name and makes its thumbnail.
            services.photo_add(
                event=form.instance, upload=photo.image.file, phase=photo.phase, caption=photo.caption,
                user=request.user,
            )
        for photo, _changed in formset.changed_objects:
            photo._history_user = request.user
            photo.save()
        for photo in formset.deleted_objects:
            photo._history_user = request.user
            photo.delete()

    def delete_model(self, request, obj):
        services.event_delete(event=obj, expected_version=obj.version, user=request.user)

    def delete_queryset(self, request, queryset):
        # A site's vacated event and later stages go first, so a selection
        # holding a whole chain can be deleted; one refusal undoes them all.
        for event in sorted(queryset, key=lambda event: (event.site_id is None, -event.stage)):
            try:
                services.event_delete(event=event, expected_version=event.version, user=request.user)
            except ValidationError as error:
                raise ValidationError(
                    _("%(event)s: %(reason)s Nothing was deleted."),
                    params={"event": event, "reason": " ".join(error.messages)},
                ) from error


@admin.register(Photo)
class PhotoAdmin(ClearanceAdmin):
    form = PhotoForm
    list_display = ["__str__", "event", "phase", "uploaded_by", "uploaded_at", "preview"]
    list_select_related = ["event__enterprise", "event__site", "uploaded_by"]
    list_filter = ["phase"]
    search_fields = ["caption", "event__enterprise__name", "event__site__name"]
    autocomplete_fields = ["event"]
    date_hierarchy = "uploaded_at"
    fields = ["event", "image", "phase", "caption", "preview", "uploaded_by", "uploaded_at"]

    def get_readonly_fields(self, request, obj=None):
        read_only = ["preview", "uploaded_by", "uploaded_at"]
        return ["event", "image", *read_only] if obj else read_only

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        saved = services.photo_add(
            event=obj.event, upload=form.cleaned_data["image"], phase=obj.phase, caption=obj.caption,
            user=request.user,
        )
        _adopt(obj, saved)

    @admin.display(description=_("preview"))
    def preview(self, obj):
        return _preview(obj)


# Targets and bulletins -------------------------------------------------------------------


@admin.register(Target)
class TargetAdmin(ClearanceAdmin):
    list_display = ["year", "metric", "scope", "value"]
    list_display_links = ["year", "metric"]
    list_select_related = ["town"]
    list_filter = ["year", "metric", TargetScopeFilter, "town"]
    search_fields = ["town__name"]
    autocomplete_fields = ["town"]

    actions = ["copy_allocation_to_next_year"]

    @admin.display(description=_("scope"), ordering="town__display_order")
    def scope(self, obj):
        return obj.town or _("city")

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            for gap in selectors.target_allocation_gaps():
                self.message_user(
                    request,
                    _(
                        "%(year)s %(metric)s: the towns' allocations add up to %(towns)s, the city's target is "
                        "%(city)s (difference %(difference)s)."
                    )
                    % {
                        "year": gap.year, "metric": Metric(gap.metric).label, "towns": gap.towns, "city": gap.city,
                        "difference": f"{gap.difference:+}",
                    },
                    messages.WARNING,
                )
        return super().changelist_view(request, extra_context)

    @admin.action(description=_("Copy the towns' allocation of the selected years to the next year"))
    def copy_allocation_to_next_year(self, request, queryset):
        for year in sorted(set(queryset.values_list("year", flat=True))):
            created, kept = services.targets_copy_year(from_year=year, user=request.user)
            self.message_user(
                request,
                _("%(created)s town targets copied from %(year)s to %(next)s; %(kept)s already set there were kept.")
                % {"created": created, "year": year, "next": year + 1, "kept": kept},
                messages.SUCCESS,
            )


@admin.register(BulletinFigure)
class BulletinFigureAdmin(ClearanceAdmin):
    list_display = ["county", "year", "month", "metric", "actual", "target"]
    list_display_links = ["county", "year", "month"]
    list_select_related = ["county"]
    list_filter = ["year", "metric", "county"]
    search_fields = ["county__name"]


# Users ---------------------------------------------------------------------------


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
