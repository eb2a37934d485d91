"""Admin of the places and people: towns, counties, bureaus and heads, pairings and their task forces."""

from django import forms
from django.contrib import admin
from django.db.models import Count, F, OuterRef, Subquery
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .. import selectors, services
from ..models import AttackGroup, Bureau, BureauHead, County, Enterprise, Pairing, Site, TaskForce, TaskForceMember, Town
from .base import ClearanceAdmin, ReadOnlyInline, ServiceInline, ServiceModelForm, count_of, form_values


class ActivePairingFilter(admin.SimpleListFilter):
    title = _("active pairing")
    parameter_name = "active"
    field = "ended_on"

    def lookups(self, request, model_admin):
        return [("yes", pgettext_lazy("pairing", "Active")), ("no", _("Ended"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(**{f"{self.field}__isnull": self.value() == "yes"})
        return queryset


class TaskForceActiveFilter(ActivePairingFilter):
    field = "pairing__ended_on"


@admin.register(Town)
class TownAdmin(ClearanceAdmin):
    entity, subject = "town", "town"
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
                site_count=count_of(Site, "town"),
                enterprise_count=count_of(Enterprise, "town"),
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
    entity, subject = "county", "county"
    list_display = ["name", "is_home", "display_order"]
    list_editable = ["display_order"]
    search_fields = ["name"]


@admin.register(Bureau)
class BureauAdmin(ClearanceAdmin):
    entity, subject = "bureau", "bureau"
    list_display = ["name", "head_count"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(head_count=Count("heads"))

    @admin.display(description=_("heads"), ordering="head_count")
    def head_count(self, obj):
        return obj.head_count


@admin.register(BureauHead)
class BureauHeadAdmin(ClearanceAdmin):
    entity, subject, renamed = "bureau_head", "head", {"user": "user_account"}
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


class PairingAddForm(ServiceModelForm):
    """Start a pairing; with "hand over", end the town's current one on the same day (services.pairing_change)."""

    hand_over = forms.BooleanField(
        label=_("Hand over"),
        required=False,
        help_text=_(
            "End the town's current pairing the day before the start date and move its town staff to the new task force."
        ),
    )

    class Meta:
        model = Pairing
        fields = ["town", "head", "started_on"]


class PairingChangeForm(ServiceModelForm):
    """Edit dates and note (services.pairing_update); town and head are fixed once a task force works under it."""

    class Meta:
        model = Pairing
        fields = ["started_on", "ended_on", "note"]


@admin.register(Pairing)
class PairingAdmin(ClearanceAdmin):
    entity, subject = "pairing", "pairing"
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

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = PairingChangeForm if obj else PairingAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["town", "head", "started_on", "hand_over"]
        return ["town", "head", "started_on", "ended_on", "note"]

    def get_readonly_fields(self, request, obj=None):
        return ["town", "head"] if obj else []

    def get_inlines(self, request, obj):
        # The task force is made with the pairing; there is none to show before.
        return self.inlines if obj else []

    def service_save(self, request, obj, form, change):
        if change:
            return services.pairing_update(
                pairing=obj, started_on=obj.started_on, ended_on=obj.ended_on, note=obj.note, user=request.user
            )
        if form.cleaned_data.get("hand_over"):
            return services.pairing_change(town=obj.town, new_head=obj.head, on=obj.started_on, user=request.user)
        return services.pairing_start(town=obj.town, head=obj.head, started_on=obj.started_on, user=request.user)

    @admin.display(description=_("bureau"), ordering="head__bureau__name")
    def head_bureau(self, obj):
        return obj.head.bureau

    @admin.display(description=pgettext_lazy("pairing", "active"), boolean=True, ordering="ended_on")
    def is_active(self, obj):
        return obj.is_active


class TaskForceMemberInline(ServiceInline):
    model = TaskForceMember
    fields = ["person_name", "role", "unit", "user"]
    autocomplete_fields = ["user"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def service_create(self, request, obj, form):
        values = form_values(obj, form, skip=("user",))
        return services.task_force_member_create(user_account=obj.user, user=request.user, **values)

    def service_update(self, request, obj, form):
        values = form_values(obj, form, skip=("user",))
        return services.task_force_member_update(member=obj, user_account=obj.user, user=request.user, **values)

    def service_delete(self, request, obj):
        services.task_force_member_delete(member=obj, user=request.user)


class AttackGroupInline(ServiceInline):
    model = AttackGroup
    fields = ["name", "leader_name"]
    show_change_link = True

    def get_queryset(self, request):
        # 攻坚小组一, 二 … 十三 as people number them, not as the characters sort.
        return selectors.with_name_rank(super().get_queryset(request)).order_by("name_rank", "name")

    def service_create(self, request, obj, form):
        return services.attack_group_create(user=request.user, **form_values(obj, form))

    def service_update(self, request, obj, form):
        return services.attack_group_update(group=obj, user=request.user, **form_values(obj, form))

    def service_delete(self, request, obj):
        services.attack_group_delete(group=obj, user=request.user)


@admin.register(TaskForce)
class TaskForceAdmin(ClearanceAdmin):
    entity, subject = "task_force", "task_force"
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
            .annotate(member_count=count_of(TaskForceMember, "task_force"))
            .annotate(attack_group_count=count_of(AttackGroup, "task_force"))
        )

    def get_readonly_fields(self, request, obj=None):
        # Its pairing is what makes the task force; moving it would hand a team to another town.
        return ["pairing"] if obj else []

    def service_save_related(self, request, obj, form, change):
        if "member_bureaus" in form.cleaned_data:
            services.task_force_bureaus_set(
                task_force=obj, bureaus=form.cleaned_data["member_bureaus"], user=request.user
            )

    @admin.display(description=_("town"), ordering="pairing__town__display_order")
    def town(self, obj):
        return obj.pairing.town

    @admin.display(description=_("bureau head"), ordering="pairing__head__name")
    def head(self, obj):
        return obj.pairing.head

    @admin.display(description=pgettext_lazy("pairing", "active"), boolean=True, ordering="pairing__ended_on")
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
    entity, subject, renamed = "task_force_member", "member", {"user": "user_account"}
    list_display = ["person_name", "role", "unit", "task_force", "user"]
    list_select_related = ["task_force", "user"]
    list_filter = ["role", "task_force__pairing__town"]
    search_fields = ["person_name", "unit", "user__username", "task_force__name"]
    autocomplete_fields = ["task_force", "user"]


@admin.register(AttackGroup)
class AttackGroupAdmin(ClearanceAdmin):
    entity, subject = "attack_group", "group"
    list_display = ["group_name", "leader_name", "task_force", "enterprise_count"]
    list_select_related = ["task_force"]
    list_filter = ["task_force__pairing__town"]
    search_fields = ["name", "leader_name", "task_force__name"]
    autocomplete_fields = ["task_force"]

    def get_queryset(self, request):
        # Ranked before ordering: the default ordering sorts on the rank (ModelAdmin's would order before annotating).
        groups = selectors.with_name_rank(self.model._default_manager.get_queryset())
        return groups.annotate(enterprise_count=Count("enterprises")).order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        # Each task force's groups in the order people number them (一 … 十三); the name column sorts the same way.
        return ["task_force", "name_rank"]

    @admin.display(description=_("name"), ordering="name_rank")
    def group_name(self, obj):
        return obj.name

    @admin.display(description=_("enterprises"), ordering="enterprise_count")
    def enterprise_count(self, obj):
        return obj.enterprise_count
