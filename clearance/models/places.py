"""Places and people: towns, counties, bureaus and their heads, pairings (联挂), task forces (专班)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import MemberRole, TownKind


class Town(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=TownKind.choices, default=TownKind.TOWN)
    display_order = models.PositiveSmallIntegerField(_("display order"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("town")
        verbose_name_plural = _("towns")
        ordering = ["display_order", "name"]
        indexes = [
            # The towns in their display order, read from an index: a list sorted by town then its own name (the
            # projects, the commitments) walks the towns in order and each town's rows by its (town, ...) index,
            # and stops after a page, instead of joining and sorting every row of the city.
            models.Index(fields=["display_order", "name"], name="town_display_order_idx"),
        ]

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
