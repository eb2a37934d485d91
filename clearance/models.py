"""Data and invariants of the 腾笼换鸟 campaign: places, people, sites, enterprises and their dated events."""

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import (
    DISPOSALS_CLOSED_WITHOUT_VACATING,
    Category,
    Disposal,
    MemberRole,
    Metric,
    PhotoPhase,
    Stage,
    TownKind,
)
from .validators import validate_credit_code

MIN_YEAR, MAX_YEAR = 2000, 2100


class Town(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=TownKind.choices, default=TownKind.TOWN)
    display_order = models.PositiveSmallIntegerField(_("display order"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("town")
        verbose_name_plural = _("towns")
        ordering = ["display_order", "name"]

    def __str__(self):
        return self.name


class County(models.Model):
    """A county-level unit of Jiaxing; the home county's figures are computed, not taken from bulletins."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    is_home = models.BooleanField(
        _("is this city"), default=False, help_text=_("Figures for this county are computed from events.")
    )
    display_order = models.PositiveSmallIntegerField(_("display order"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("county")
        verbose_name_plural = _("counties")
        ordering = ["display_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["is_home"], condition=Q(is_home=True), name="one_home_county"),
        ]

    def __str__(self):
        return self.name


class Bureau(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bureau")
        verbose_name_plural = _("bureaus")
        ordering = ["name"]

    def __str__(self):
        return self.name


class BureauHead(models.Model):
    """The head of a bureau, the person paired with a town."""

    name = models.CharField(_("name"), max_length=50)
    bureau = models.ForeignKey(Bureau, models.PROTECT, related_name="heads", verbose_name=_("bureau"))
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="bureau_head",
        verbose_name=_("user account"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bureau head")
        verbose_name_plural = _("bureau heads")
        ordering = ["bureau__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["bureau", "name"], name="unique_head_name_per_bureau"),
        ]

    def __str__(self):
        return f"{self.name}（{self.bureau.name}）"


class PairingQuerySet(models.QuerySet):
    def active(self):
        return self.filter(ended_on__isnull=True)


class Pairing(models.Model):
    """One bureau head linked to one town for a period (一局长一乡镇); open-ended while active."""

    head = models.ForeignKey(BureauHead, models.PROTECT, related_name="pairings", verbose_name=_("bureau head"))
    town = models.ForeignKey(Town, models.PROTECT, related_name="pairings", verbose_name=_("town"))
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords()

    objects = PairingQuerySet.as_manager()

    class Meta:
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        ordering = ["town__display_order", "-started_on"]
        constraints = [
            # The database itself refuses a second active pairing, whoever writes.
            models.UniqueConstraint(
                fields=["town"], condition=Q(ended_on__isnull=True), name="one_active_pairing_per_town"
            ),
            models.UniqueConstraint(
                fields=["head"], condition=Q(ended_on__isnull=True), name="one_active_pairing_per_head"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="pairing_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.town} ↔ {self.head}"

    @property
    def is_active(self) -> bool:
        return self.ended_on is None

    def clean(self):
        if self.ended_on and self.started_on and self.ended_on < self.started_on:
            raise ValidationError(
                {"ended_on": ValidationError(_("A pairing cannot end before it starts."), code="ends_before_start")}
            )


class TaskForce(models.Model):
    """The working team of one town under one pairing (一专班); it is active while its pairing is."""

    pairing = models.OneToOneField(Pairing, models.CASCADE, related_name="task_force", verbose_name=_("pairing"))
    name = models.CharField(_("name"), max_length=100)
    member_bureaus = models.ManyToManyField(
        Bureau, blank=True, related_name="task_forces", verbose_name=_("member bureaus")
    )
    # The member bureaus are kept with each version too: adding or removing one is a change like any other.
    history = HistoricalRecords(m2m_fields=[member_bureaus])

    class Meta:
        verbose_name = _("task force")
        verbose_name_plural = _("task forces")
        ordering = ["pairing__town__display_order", "-pairing__started_on"]

    def __str__(self):
        return self.name

    @property
    def town(self) -> Town:
        return self.pairing.town


class TaskForceMember(models.Model):
    """A person in a task force; with a user account they may record progress for its town."""

    task_force = models.ForeignKey(TaskForce, models.CASCADE, related_name="members", verbose_name=_("task force"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="task_force_memberships",
        verbose_name=_("user account"),
    )
    person_name = models.CharField(_("name"), max_length=50)
    role = models.CharField(_("role"), max_length=20, choices=MemberRole.choices, default=MemberRole.MEMBER)
    unit = models.CharField(_("unit"), max_length=100, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("task force member")
        verbose_name_plural = _("task force members")
        ordering = ["task_force", "role", "person_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["task_force", "user"], condition=Q(user__isnull=False), name="one_membership_per_user"
            ),
        ]

    def __str__(self):
        return f"{self.person_name}（{self.get_role_display()}）"


class AttackGroup(models.Model):
    """An attack group (攻坚小组) of a task force; enterprises are assigned to one."""

    task_force = models.ForeignKey(
        TaskForce, models.CASCADE, related_name="attack_groups", verbose_name=_("task force")
    )
    name = models.CharField(_("name"), max_length=100)
    leader_name = models.CharField(_("group leader"), max_length=50, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("attack group")
        verbose_name_plural = _("attack groups")
        ordering = ["task_force", "name"]
        constraints = [
            models.UniqueConstraint(fields=["task_force", "name"], name="unique_attack_group_name"),
        ]

    def __str__(self):
        return self.name


class Site(models.Model):
    """A parcel or cluster of land under clearance; an area may contain parcels (children)."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="sites", verbose_name=_("town"))
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("containing area"),
    )
    area_mu = models.DecimalField(_("area (mu)"), max_digits=12, decimal_places=2)
    land_use = models.CharField(_("land use"), max_length=50, blank=True)
    ownership_notes = models.TextField(_("ownership notes"), blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["town__display_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["town", "name"], name="unique_site_name_per_town"),
            models.CheckConstraint(condition=Q(area_mu__gt=0), name="site_area_positive"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("clearance:site_detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.area_mu is not None and self.area_mu <= 0:
            errors["area_mu"] = ValidationError(_("The area must be a positive number of mu."), code="area_not_positive")
        if self.pk and self.town_id and self._town_changed() and (self.enterprises.exists() or self.children.exists()):
            errors["town"] = ValidationError(
                _("Move the enterprises and parcels of this site first: it cannot change town while it has any."),
                code="site_town_has_members",
            )
        if self.parent_id:
            if self.town_id and self.parent.town_id != self.town_id:
                errors["parent"] = ValidationError(
                    _("The containing area must be in the same town."), code="parent_other_town"
                )
            elif self.pk and parent_chain_contains(self.pk, self.parent_id, self._stored_parent_id):
                errors["parent"] = ValidationError(
                    _("A site cannot lie inside itself."), code="parent_cycle"
                )
        if errors:
            raise ValidationError(errors)

    def _town_changed(self) -> bool:
        stored = Site.objects.filter(pk=self.pk).values_list("town_id", flat=True).first()
        return stored is not None and stored != self.town_id

    @staticmethod
    def _stored_parent_id(pk: int) -> int | None:
        return Site.objects.filter(pk=pk).values_list("parent_id", flat=True).first()


class SiteAncestry(models.Model):
    """The site tree as a closure table: one row per site and each site it lies in, itself included (depth 0).

    Why: "a site and every parcel inside it" is then one indexed lookup (ancestor = S)
    at any depth, where following parent links needs ORs through joins that the
    database cannot serve from an index (minutes at a million enterprises). Derived
    from Site.parent and kept in step with it by clearance.site_tree.
    """

    site = models.ForeignKey(Site, models.CASCADE, related_name="ancestry", verbose_name=_("site"))
    ancestor = models.ForeignKey(Site, models.CASCADE, related_name="descendancy", verbose_name=_("containing site"))
    depth = models.PositiveSmallIntegerField(_("levels down"))

    class Meta:
        verbose_name = _("site ancestry")
        verbose_name_plural = _("site ancestry")
        constraints = [models.UniqueConstraint(fields=["ancestor", "site"], name="unique_site_ancestor")]

    def __str__(self):
        return f"{self.site_id} ⊂ {self.ancestor_id} ({self.depth})"


class Enterprise(models.Model):
    """A business on a site, with its own plan (一企一策)."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="enterprises", verbose_name=_("town"))
    site = models.ForeignKey(Site, models.PROTECT, related_name="enterprises", verbose_name=_("site"))
    name = models.CharField(_("name"), max_length=100)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_credit_code],
    )
    is_two_high_one_low = models.BooleanField(Category.TWO_HIGH_ONE_LOW.label, default=False)
    is_high_consumption = models.BooleanField(Category.HIGH_CONSUMPTION.label, default=False)
    is_low_scattered = models.BooleanField(Category.LOW_SCATTERED.label, default=False)
    is_factory_in_factory = models.BooleanField(Category.FACTORY_IN_FACTORY.label, default=False)
    is_tenant = models.BooleanField(Category.TENANT.label, default=False)
    disposal = models.CharField(_("disposal method"), max_length=20, choices=Disposal.choices, blank=True)
    annual_energy_tce = models.DecimalField(
        _("annual energy use (tce)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    energy_freed_tce = models.DecimalField(
        _("energy freed (tce)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    responsible_group = models.ForeignKey(
        AttackGroup,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="enterprises",
        verbose_name=_("responsible attack group"),
    )
    plan_deadline = models.DateField(_("plan deadline"), null=True, blank=True)
    plan_notes = models.TextField(_("plan notes"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["town__display_order", "site__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["town", "name"], name="unique_enterprise_name_per_town"),
            models.CheckConstraint(
                condition=Q(annual_energy_tce__gte=0) & Q(energy_freed_tce__gte=0),
                name="enterprise_energy_not_negative",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("clearance:enterprise_detail", args=[self.pk])

    @property
    def categories(self) -> list[Category]:
        return [category for category in Category if getattr(self, category.value)]

    def clean(self):
        # An empty code is stored as NULL so that the unique constraint ignores it.
        self.credit_code = (self.credit_code or "").strip().upper() or None
        errors = {}
        if self.site_id and self.town_id and self.site.town_id != self.town_id:
            errors["site"] = ValidationError(
                _("The site %(site)s belongs to %(site_town)s, not to %(town)s."),
                code="site_other_town",
                params={"site": self.site.name, "site_town": self.site.town.name, "town": self.town.name},
            )
        if self.site_id and (problem := self._vacated_site_problem()) is not None:
            errors["site"] = problem
        if self.responsible_group_id and self.town_id and self.responsible_group.task_force.town.pk != self.town_id:
            errors["responsible_group"] = attack_group_problem()
        if errors:
            raise ValidationError(errors)


    def _vacated_site_problem(self) -> ValidationError | None:
        if not Event.objects.filter(site_id=self.site_id).exists():
            return None
        stored_site = Enterprise.objects.filter(pk=self.pk).values_list("site_id", flat=True).first() if self.pk else None
        return vacated_site_problem(
            site_vacated=True, stored_site_id=stored_site, site_id=self.site_id, site_name=self.site.name
        )


class Event(models.Model):
    """A stage reached on a date: by an enterprise (摸底 … 销号) or by a site (腾退 only)."""

    enterprise = models.ForeignKey(
        Enterprise, models.PROTECT, null=True, blank=True, related_name="events", verbose_name=_("enterprise")
    )
    site = models.ForeignKey(
        Site, models.PROTECT, null=True, blank=True, related_name="events", verbose_name=_("site")
    )
    stage = models.PositiveSmallIntegerField(_("stage"), choices=Stage.choices)
    occurred_on = models.DateField(_("date"))
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="recorded_events",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["occurred_on", "stage", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(enterprise__isnull=False, site__isnull=True)
                | Q(enterprise__isnull=True, site__isnull=False),
                name="event_of_enterprise_or_site",
            ),
            models.CheckConstraint(
                condition=Q(site__isnull=True) | Q(stage=Stage.VACATED), name="site_event_is_vacated"
            ),
            models.UniqueConstraint(
                fields=["enterprise", "stage"], condition=Q(enterprise__isnull=False), name="one_event_per_stage"
            ),
            models.UniqueConstraint(fields=["site"], condition=Q(site__isnull=False), name="one_event_per_site"),
        ]
        indexes = [
            models.Index(fields=["stage", "occurred_on"], name="event_stage_date_idx"),
            # The latest dated event decides the dashboard's default month.
            models.Index(fields=["occurred_on"], name="event_date_idx"),
        ]

    def __str__(self):
        subject = self.enterprise or self.site
        return f"{subject} {self.get_stage_display()} {self.occurred_on:%Y-%m-%d}"

    @property
    def town(self) -> Town:
        return (self.enterprise or self.site).town

    def clean(self):
        if self.occurred_on and self.occurred_on > timezone.localdate():
            raise ValidationError(
                {"occurred_on": ValidationError(_("The date cannot be in the future."), code="future_date")}
            )
        if self.enterprise_id and self.site_id:
            raise ValidationError(_("An event belongs to an enterprise or to a site, not both."), code="two_subjects")
        if self.site_id:
            self._clean_site_event()
        elif self.enterprise_id and self.stage and self.occurred_on:
            self._clean_enterprise_event()

    def _clean_site_event(self):
        if self.stage != Stage.VACATED:
            raise ValidationError(
                {"stage": ValidationError(_("A site only records the stage vacated."), code="site_stage")}
            )
        if not self.occurred_on:
            return
        out_dates = self.site.enterprises.annotate(
            out_on=models.Min("events__occurred_on", filter=Q(events__stage__in=LEAVING_STAGES))
        ).values_list("name", "out_on")
        problem = site_vacate_problem(self.occurred_on, out_dates)
        if problem is not None:
            raise problem

    def _clean_enterprise_event(self):
        """Enforce the stage order: prerequisites recorded, dated no later than this event, out by the site's 腾退."""
        others = {
            event.stage: event.occurred_on
            for event in Event.objects.filter(enterprise_id=self.enterprise_id).exclude(pk=self.pk)
        }
        stage = Stage(self.stage)
        site_vacated_on, site_name = None, ""
        if stage in LEAVING_STAGES:
            site_vacated_on = (
                Event.objects.filter(site_id=self.enterprise.site_id).values_list("occurred_on", flat=True).first()
            )
            site_name = self.enterprise.site.name if site_vacated_on else ""
        problem = enterprise_event_problem(
            stage, self.occurred_on, others, disposal=self.enterprise.disposal, site_vacated_on=site_vacated_on,
            site_name=site_name,
        )
        if problem is not None:
            raise problem


# The rules below are pure: the models' clean() gathers their data by query,
# the ledger importer from what it has loaded, and both call the same function.

LEAVING_STAGES = (Stage.VACATED, Stage.CLOSED)


def stage_prerequisite_problem(stage: Stage, others: Mapping[int, date], disposal: str) -> ValidationError | None:
    """Return the error when STAGE is recorded before its prerequisites (OTHERS: the enterprise's other stages)."""
    for required in stage_prerequisites(stage, disposal):
        if required not in others:
            return ValidationError(
                {
                    "stage": ValidationError(
                        _("%(stage)s needs %(required)s to be recorded first."),
                        code="stage_out_of_order",
                        params={"stage": stage.label, "required": Stage(required).label},
                    )
                }
            )
    return None


def stage_dates_problem(stage: Stage, on: date, others: Mapping[int, date]) -> ValidationError | None:
    """Return the error when STAGE on ON is dated before an earlier stage or after a later one in OTHERS."""
    for other_stage, other_date in others.items():
        if other_stage < stage and other_date > on:
            message = _("%(stage)s on %(date)s is earlier than %(other)s on %(other_date)s: stages must be dated in order.")
        elif other_stage > stage and other_date < on:
            message = _("%(stage)s on %(date)s is later than %(other)s on %(other_date)s: stages must be dated in order.")
        else:
            continue
        params = {
            "stage": stage.label,
            "date": on.isoformat(),
            "other": Stage(other_stage).label,
            "other_date": other_date.isoformat(),
        }
        return ValidationError({"occurred_on": ValidationError(message, code="dates_out_of_order", params=params)})
    return None


def after_site_vacated_problem(
    stage: Stage, on: date, others: Mapping[int, date], *, site_vacated_on: date | None, site_name: str
) -> ValidationError | None:
    """Return the error when 腾退/销号 on ON leaves a site vacated on SITE_VACATED_ON later than that date.

    Once its site is vacated, an enterprise must stay out by that date, unless
    another of its 腾退/销号 events (in OTHERS) already has it out by then.
    """
    if stage not in LEAVING_STAGES or site_vacated_on is None or on <= site_vacated_on:
        return None
    if any(other in LEAVING_STAGES and other_on <= site_vacated_on for other, other_on in others.items()):
        return None
    return ValidationError(
        {
            "occurred_on": ValidationError(
                _("%(site)s was vacated on %(date)s; this enterprise must be out by then."),
                code="after_site_vacated",
                params={"site": site_name, "date": site_vacated_on.isoformat()},
            )
        }
    )


def enterprise_event_problem(
    stage: Stage, on: date, others: Mapping[int, date], *, disposal: str, site_vacated_on: date | None,
    site_name: str,
) -> ValidationError | None:
    """Return the first error of an enterprise's STAGE on ON: prerequisites, its site's 腾退, then date order."""
    for problem in (
        stage_prerequisite_problem(stage, others, disposal),
        after_site_vacated_problem(stage, on, others, site_vacated_on=site_vacated_on, site_name=site_name),
        stage_dates_problem(stage, on, others),
    ):
        if problem is not None:
            return problem
    return None


def site_vacate_problem(on: date, out_dates: Iterable[tuple[str, date | None]]) -> ValidationError | None:
    """Return the error when a site is vacated on ON while enterprises on it are not out by then.

    OUT_DATES gives, per enterprise on the site, its name and the earliest date
    of its 腾退/销号 events (None when it has neither).
    """
    still_there = sorted(name for name, out_on in out_dates if out_on is None or out_on > on)
    if not still_there:
        return None
    return ValidationError(
        _("The site cannot be vacated on %(date)s: %(count)s enterprises on it (%(names)s) have not been vacated or closed out by then."),
        code="site_not_empty",
        params={"date": on.isoformat(), "count": len(still_there), "names": "、".join(still_there[:3])},
    )


def vacated_site_problem(
    *, site_vacated: bool, stored_site_id: int | None, site_id: int | None, site_name: str
) -> ValidationError | None:
    """Return the error when an enterprise is put on a site already vacated (the land is meant to be empty)."""
    if not site_vacated or stored_site_id == site_id:
        return None
    return ValidationError(
        _("%(site)s has been recorded as vacated; no enterprise can be added to it."),
        code="site_vacated",
        params={"site": site_name},
    )


def attack_group_problem() -> ValidationError:
    """Return the error for an enterprise whose responsible attack group is another town's."""
    return ValidationError(_("The attack group belongs to another town's task force."), code="group_other_town")


def parent_chain_contains(target, parent, parent_of: Callable) -> bool:
    """Whether TARGET is PARENT or one of its ancestors, following PARENT_OF (a site cannot lie inside itself)."""
    seen, node = set(), parent
    while node is not None and node not in seen:
        if node == target:
            return True
        seen.add(node)
        node = parent_of(node)
    return False


def stage_prerequisites(stage: Stage, disposal: str) -> tuple[Stage, ...]:
    """Return the stages an enterprise must have recorded before reaching STAGE.

    摸底, 洽谈 and 签约 may be recorded in any order (a ledger often starts at
    签约). 腾退 needs 签约 and 拆除 needs 腾退. 销号 needs 腾退, except under a
    disposal that keeps the enterprise in place (改造提升, 兼并重组), where 签约
    is enough.
    """
    if stage == Stage.VACATED:
        return (Stage.SIGNED,)
    if stage == Stage.DEMOLISHED:
        return (Stage.VACATED,)
    if stage == Stage.CLOSED:
        return (Stage.SIGNED,) if disposal in DISPOSALS_CLOSED_WITHOUT_VACATING else (Stage.VACATED,)
    return ()


def photo_upload_to(instance, filename: str) -> str:
    """Store under a random name: uploaded names can neither collide nor escape MEDIA_ROOT."""
    import uuid
    from pathlib import PurePath

    suffix = PurePath(filename).suffix.lower()[:8]
    return f"photos/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Photo(models.Model):
    event = models.ForeignKey(Event, models.CASCADE, related_name="photos", verbose_name=_("event"))
    image = models.ImageField(_("image"), upload_to=photo_upload_to)
    thumbnail = models.ImageField(_("thumbnail"), upload_to=photo_upload_to, blank=True)
    phase = models.CharField(_("phase"), max_length=10, choices=PhotoPhase.choices, default=PhotoPhase.DURING)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["event", "uploaded_at"]

    def __str__(self):
        return self.caption or self.image.name


class Target(models.Model):
    """A yearly target for one metric: the city's (town empty, set by Jiaxing) or a town's allocation."""

    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
    )
    metric = models.CharField(_("metric"), max_length=30, choices=Metric.choices)
    town = models.ForeignKey(
        Town,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="targets",
        verbose_name=_("town"),
        help_text=_("Leave empty for the city's target set by Jiaxing."),
    )
    value = models.DecimalField(
        _("target"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["-year", "metric", "town__display_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "metric", "town"], condition=Q(town__isnull=False), name="one_target_per_town"
            ),
            models.UniqueConstraint(
                fields=["year", "metric"], condition=Q(town__isnull=True), name="one_city_target"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="target_not_negative"),
        ]

    def __str__(self):
        return f"{self.year} {self.get_metric_display()} {self.town or _('city')}: {self.value}"


class BulletinFigure(models.Model):
    """One county's published figure for one metric in one month (Jiaxing's 通报)."""

    county = models.ForeignKey(County, models.CASCADE, related_name="bulletin_figures", verbose_name=_("county"))
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
    )
    month = models.PositiveSmallIntegerField(_("month"), validators=[MinValueValidator(1), MaxValueValidator(12)])
    metric = models.CharField(_("metric"), max_length=30, choices=Metric.choices)
    actual = models.DecimalField(
        _("actual"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    target = models.DecimalField(
        _("target"), max_digits=14, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bulletin figure")
        verbose_name_plural = _("bulletin figures")
        ordering = ["-year", "-month", "county__display_order", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["county", "year", "month", "metric"], name="one_bulletin_figure"),
            models.CheckConstraint(condition=Q(month__gte=1) & Q(month__lte=12), name="bulletin_month_valid"),
        ]

    def __str__(self):
        return f"{self.county} {self.year}-{self.month:02d} {self.get_metric_display()}"


class MonthlyFigure(models.Model):
    """Derived, never edited: one town's figures for the events dated in one calendar month.

    The dashboard sums at most twelve of these per town instead of scanning every
    event, so its cost does not grow with the years of history. clearance.rollups
    keeps them in step with the events in the same transaction as each write, and
    `verify_rollups` recomputes them from the events to prove it.
    """

    town = models.ForeignKey(Town, models.CASCADE, related_name="monthly_figures", verbose_name=_("town"))
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    enterprises_rectified = models.IntegerField(default=0)
    land_vacated_mu = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    energy_freed_tce = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    signed = models.IntegerField(default=0)
    vacated = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("monthly figure")
        verbose_name_plural = _("monthly figures")
        constraints = [models.UniqueConstraint(fields=["town", "year", "month"], name="one_monthly_figure")]
        # The dashboard reads one year's months for every town.
        indexes = [models.Index(fields=["year", "month"], name="monthly_figure_period_idx")]

    def __str__(self):
        return f"{self.town} {self.year}-{self.month:02d}"
