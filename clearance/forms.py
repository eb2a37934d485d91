"""Forms of the pages where officials record progress and edit sites and enterprises."""

from datetime import date
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, ProhibitNullCharactersValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import services
from .choices import DISPOSALS_CLOSED_WITHOUT_VACATING, Category, Disposal, PhotoPhase, Stage
from .models import AttackGroup, Enterprise, Event, Site
from .ordering import natural_key
from .rules import MAX_YEAR, MIN_YEAR, next_stage
from .validators import validate_no_control_characters

SITE_SUBJECT = "site"
PHOTO_ACCEPT = "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"


def _stage_names() -> dict:
    return {stage.name.lower(): stage.label for stage in Stage}


def stage_rule(disposal: str) -> str:
    """Return, in words, when an enterprise under DISPOSAL may be closed out (the rule of rules.stage_prerequisites)."""
    names = _stage_names()
    if disposal in DISPOSALS_CLOSED_WITHOUT_VACATING:
        return _("%(disposal)s: the enterprise stays in place, so %(closed)s needs only %(signed)s.") % {
            "disposal": Disposal(disposal).label, **names
        }
    if disposal:
        return _("%(disposal)s: %(closed)s needs %(vacated)s first.") % {"disposal": Disposal(disposal).label, **names}
    return _("No disposal method yet: %(closed)s needs %(vacated)s first.") % names


def stage_rules() -> list[str]:
    """Return the stage rules, the common ones first, then one line per disposal method."""
    names = _stage_names()
    return [
        _("%(surveyed)s, %(negotiating)s and %(signed)s may be recorded in any order; %(vacated)s needs %(signed)s "
          "and %(demolished)s needs %(vacated)s. Dates follow the order of the stages and cannot be in the future.")
        % names,
        *(stage_rule(disposal) for disposal in Disposal.values),
        _("A site records only %(vacated)s, once every enterprise on it has been vacated or closed out.") % names,
    ]


def closing_rule_summary() -> str:
    """Return in one sentence which disposal methods let an enterprise be closed out without being vacated."""
    keep = "、".join(str(Disposal(value).label) for value in Disposal.values if value in DISPOSALS_CLOSED_WITHOUT_VACATING)
    return _("Under %(methods)s %(closed)s needs only %(signed)s; under the other methods %(vacated)s first.") % {
        "methods": keep, **_stage_names()
    }


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos at once, each checked by its content (services.photo_check), none required."""

    widget = MultipleFileInput(attrs={"accept": PHOTO_ACCEPT})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Photos"))
        kwargs.setdefault(
            "help_text",
            _("JPEG, PNG, WebP or HEIC; up to %(count)s photos of %(size)s MB and %(pixels)s megapixels each "
              "(PNG, WebP and HEIC: %(decoded)s megapixels each, %(total)s together).")
            % {
                "count": settings.CLEARANCE_PHOTOS_PER_UPLOAD,
                "size": f"{settings.CLEARANCE_PHOTO_MAX_BYTES / 1024 / 1024:g}",
                "pixels": f"{settings.CLEARANCE_PHOTO_MAX_PIXELS / 1_000_000:g}",
                "decoded": f"{settings.CLEARANCE_PHOTO_MAX_DECODED_PIXELS / 1_000_000:g}",
                "total": f"{settings.CLEARANCE_PHOTOS_DECODED_PIXELS_PER_UPLOAD / 1_000_000:g}",
            },
        )
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        uploads = data if isinstance(data, (list, tuple)) else [data]
        files = [super(PhotosField, self).clean(upload, initial) for upload in uploads if upload]
        services.photos_check(files)
        return files


class PhaseField(forms.ChoiceField):
    """What the photos show: before, during or after the work; during when not given."""

    def __init__(self, **kwargs):
        super().__init__(
            label=_("Photos show"), choices=PhotoPhase.choices, initial=PhotoPhase.DURING, required=False, **kwargs
        )

    def clean(self, value):
        return super().clean(value) or PhotoPhase.DURING


# The campaign's figures start in MIN_YEAR: an event before it is a typing slip (0022 for 2022), as the ledger import says.
EARLIEST_EVENT = date(MIN_YEAR, 1, 1)


def _date_widget() -> forms.DateInput:
    return forms.DateInput(
        attrs={"type": "date", "min": EARLIEST_EVENT.isoformat(), "max": timezone.localdate().isoformat()},
        format="%Y-%m-%d",
    )


validate_event_date = MinValueValidator(EARLIEST_EVENT, message=_("The date is before 2000."))


def validate_not_future(value: date) -> None:
    """Refuse a date after today on the form, with the model's words, so it shows beside the form's other errors."""
    if value > timezone.localdate():
        raise ValidationError(_("The date cannot be in the future."), code="future_date")


def _event_date_field() -> forms.DateField:
    return forms.DateField(label=_("Date"), widget=_date_widget(), validators=[validate_event_date, validate_not_future])


def check_text(field: forms.Field) -> forms.Field:
    """Make a text FIELD refuse control characters, in place of Django's check for NUL alone (one message, not two)."""
    if isinstance(field, forms.CharField):
        field.validators = [
            *(each for each in field.validators if not isinstance(each, ProhibitNullCharactersValidator)),
            validate_no_control_characters,
        ]
    return field


def refuse_control_characters(form: forms.BaseForm) -> None:
    """Make every text field of FORM refuse control characters."""
    for field in form.fields.values():
        check_text(field)


class TextCheckedForm(forms.Form):
    """A form whose text fields refuse control characters, which PostgreSQL or a spreadsheet export cannot store."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        refuse_control_characters(self)


class SubjectSelect(forms.Select):
    """The subject choice of the stage form: each option carries the stage its subject most likely reaches next.

    static/js/record.js preselects that stage when the subject changes.
    """

    def __init__(self, *args, next_stages: dict[str, int | None] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.next_stages = next_stages or {}

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if str(value) in self.next_stages:
            option["attrs"]["data-next-stage"] = self.next_stages[str(value)] or ""
        return option


def _enterprise_next_stages(enterprises: dict[str, Enterprise]) -> dict[str, int | None]:
    """Return, by enterprise id as text, the next stage of each of ENTERPRISES (one query)."""
    recorded: dict[int, set[int]] = {int(pk): set() for pk in enterprises}
    for enterprise_id, stage in Event.objects.filter(enterprise__in=list(recorded)).values_list("enterprise_id", "stage"):
        recorded[enterprise_id].add(stage)
    return {pk: next_stage(recorded[int(pk)], each.disposal) for pk, each in enterprises.items()}


class EventRecordForm(TextCheckedForm):
    """A stage reached, its date, a note and photos: for one enterprise, or on a site page for it or one of its enterprises.

    The stage is preselected: the enterprise's next stage (rules.next_stage), or on a site page that of the
    subject chosen (the site itself: 腾退 until it is recorded).
    """

    subject = forms.ChoiceField(label=_("Enterprise or site"))
    stage = forms.TypedChoiceField(label=_("Stage"), choices=Stage.choices, coerce=int)
    occurred_on = _event_date_field()
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    photos = PhotosField()
    phase = PhaseField()

    def __init__(self, *args, site: Site | None = None, enterprises=(), enterprise: Enterprise | None = None, **kwargs):
        """On a site page give SITE and its ENTERPRISES (already fetched, so no query); else give ENTERPRISE."""
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("occurred_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["occurred_on"].widget = _date_widget()
        self.fields["stage"].choices = [("", _("Choose…")), *Stage.choices]
        self.site, self.enterprise = site, enterprise
        self.enterprises = {str(each.pk): each for each in enterprises}
        if site is None:
            del self.fields["subject"]
            self.fields["stage"].help_text = stage_rule(enterprise.disposal)
            if not self.is_bound:
                # Only the page offered shows the preselection; a form sent back shows what was sent (a query saved).
                self.fields["stage"].initial = next_stage((event.stage for event in enterprise.events.all()), enterprise.disposal)
        else:
            next_stages = _enterprise_next_stages(self.enterprises)
            site_vacated = any(event.stage == Stage.VACATED for event in site.events.all())
            next_stages[SITE_SUBJECT] = None if site_vacated else Stage.VACATED
            self.fields["subject"].widget = SubjectSelect(next_stages=next_stages)
            self.fields["subject"].choices = [
                ("", _("Choose…")),
                *((pk, each.name) for pk, each in self.enterprises.items()),
                (SITE_SUBJECT, _("The site itself (%(vacated)s only)") % {"vacated": Stage.VACATED.label}),
            ]
            chosen = str(self.initial.get("subject", ""))
            if chosen in next_stages:
                self.fields["stage"].initial = next_stages[chosen]

    def subject_kwargs(self) -> dict:
        """Return enterprise= or site= for services.event_record, from the choice made."""
        if self.site is None:
            return {"enterprise": self.enterprise}
        subject = self.cleaned_data["subject"]
        if subject == SITE_SUBJECT:
            return {"site": self.site}
        return {"enterprise": self.enterprises[subject]}


class EventsBulkForm(TextCheckedForm):
    """One stage and date for several enterprises of one site."""

    prefix = "bulk"

    enterprises = forms.TypedMultipleChoiceField(label=_("Enterprises"), coerce=int)
    stage = forms.TypedChoiceField(label=_("Stage"), choices=Stage.choices, coerce=int)
    occurred_on = _event_date_field()
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, enterprises=(), **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("occurred_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["occurred_on"].widget = _date_widget()
        self.fields["stage"].choices = [("", _("Choose…")), *Stage.choices]
        self.by_pk = {each.pk: each for each in enterprises}
        self.fields["enterprises"].choices = [(pk, each.name) for pk, each in self.by_pk.items()]
        self.fields["enterprises"].widget = forms.CheckboxSelectMultiple(choices=self.fields["enterprises"].choices)
        self.fields["enterprises"].error_messages["required"] = _("Choose at least one enterprise.")

    def chosen(self) -> list[Enterprise]:
        return [self.by_pk[pk] for pk in self.cleaned_data["enterprises"]]


def _say_version_error(form: forms.BaseForm) -> None:
    """Repeat above the form an error of the version: it travels in a hidden field, whose errors no page shows."""
    if form.has_error("version"):
        raise ValidationError(
            _("This page is out of date or arrived incomplete; reload it and make your change again."),
            code="bad_version",
        )


class VersionedForm(TextCheckedForm):
    """Carries the version of the record the page was loaded at, for optimistic concurrency."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def clean(self):
        cleaned_data = super().clean()
        _say_version_error(self)
        return cleaned_data


def _late_note_field(label) -> forms.CharField:
    return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs={"rows": 2}))


def _require_late_note(form: forms.Form, name: str, closed_month: str | None) -> None:
    """Make the note NAME required where the event is dated in CLOSED_MONTH (its label), with a word on why."""
    field = form.fields[name]
    if closed_month:
        field.required = True
        field.help_text = _(
            "%(month)s is closed and its figures are published: say why it changes (shown as 更正 on the bulletin)."
        ) % {"month": closed_month}
    else:
        field.help_text = _("Required where the event's month is closed (its figures published).")


class EventEditForm(VersionedForm):
    occurred_on = _event_date_field()
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    correction_note = _late_note_field(_("Reason for the correction"))
    photos = PhotosField(label=_("Add photos"))
    phase = PhaseField()

    def __init__(self, *args, closed_month: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occurred_on"].widget = _date_widget()
        _require_late_note(self, "correction_note", closed_month)


class EventDeleteForm(VersionedForm):
    note = _late_note_field(_("Reason for deleting"))

    def __init__(self, *args, closed_month: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        _require_late_note(self, "note", closed_month)


class VersionedModelForm(forms.ModelForm):
    """A model form that carries the version it was loaded at (absent when creating)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        refuse_control_characters(self)
        if self.instance.pk:
            self.fields["version"].required = True
            self.fields["version"].initial = self.instance.version
        else:
            del self.fields["version"]

    def clean(self):
        cleaned_data = super().clean()
        _say_version_error(self)
        return cleaned_data

    def changed_fields(self) -> dict:
        """Return the model fields of the form with their cleaned values, for the services."""
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class SiteForm(VersionedModelForm):
    class Meta:
        model = Site
        fields = ["name", "area_mu", "parent", "land_use", "ownership_notes", "deadline", "notes"]
        widgets = {
            "deadline": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ownership_notes": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, town, **kwargs):
        super().__init__(*args, **kwargs)
        # The town is fixed: a site never moves between towns (its enterprises would stay behind).
        self.instance.town = town
        parents = Site.objects.filter(town=town).order_by("name")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        self.fields["area_mu"].widget.attrs.update(inputmode="decimal", step="0.01", min="0.01")


CATEGORY_FIELDS = [category.value for category in Category]


class NaturalOrderChoiceIterator(forms.models.ModelChoiceIterator):
    """The choices in the natural order of their labels (攻坚小组一, 二 … 十三), sorted here: SQL cannot."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        label = self.field.label_from_instance
        for obj in sorted(self.queryset.all(), key=lambda each: natural_key(str(label(each)))):
            yield self.choice(obj)


class NaturalOrderModelChoiceField(forms.ModelChoiceField):
    """A picker whose options read in the order people number them (a town's attack groups: a short list)."""

    iterator = NaturalOrderChoiceIterator


class EnterpriseForm(VersionedModelForm):
    class Meta:
        model = Enterprise
        fields = [
            "name", "site", "credit_code", *CATEGORY_FIELDS, "disposal", "annual_energy_tce", "energy_freed_tce",
            "responsible_group", "plan_deadline", "plan_notes",
        ]
        widgets = {
            "plan_deadline": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "plan_notes": forms.Textarea(attrs={"rows": 3}),
        }
        field_classes = {"responsible_group": NaturalOrderModelChoiceField}

    def __init__(self, *args, town, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.town = town
        self.fields["site"].queryset = Site.objects.filter(town=town).order_by("name")
        self.fields["responsible_group"].queryset = AttackGroup.objects.filter(task_force__pairing__town=town)
        self.fields["disposal"].help_text = closing_rule_summary()
        for name in ("annual_energy_tce", "energy_freed_tce"):
            self.fields[name].widget.attrs.update(inputmode="decimal", step="0.01", min="0")


# The fields of the plan (一企一策) a clearance plan opened from the evaluation sets, as the enterprise form has them.
PLAN_FIELDS = [*CATEGORY_FIELDS, "disposal", "responsible_group", "plan_deadline", "plan_notes"]


class ClearancePlanForm(forms.Form):
    """Open a clearance plan for an evaluated enterprise: a site of its town, or a new site's name and area; the plan."""

    site = forms.ModelChoiceField(label=_("Site of the town"), queryset=Site.objects.none(), required=False,
                                  empty_label=_("A new site (give its name and area below)"))
    new_site_name = forms.CharField(label=_("New site's name"), max_length=100, required=False)
    new_site_area_mu = forms.DecimalField(label=_("New site's area (mu)"), max_digits=12, decimal_places=2,
                                          min_value=Decimal("0.01"), required=False)

    def __init__(self, *args, town, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(town=town).order_by("name")
        self.fields.update(forms.fields_for_model(
            Enterprise, fields=PLAN_FIELDS, widgets=EnterpriseForm.Meta.widgets,
            field_classes=EnterpriseForm.Meta.field_classes,
        ))
        self.fields["responsible_group"].queryset = AttackGroup.objects.filter(task_force__pairing__town=town)
        self.fields["disposal"].help_text = closing_rule_summary()
        self.fields["new_site_area_mu"].widget.attrs.update(inputmode="decimal", step="0.01", min="0.01")
        self.initial.setdefault(Category.HIGH_CONSUMPTION.value, True)
        refuse_control_characters(self)

    def clean(self):
        cleaned_data = super().clean()
        site, name = cleaned_data.get("site"), (cleaned_data.get("new_site_name") or "").strip()
        area = cleaned_data.get("new_site_area_mu")
        if site is not None and (name or area is not None):
            raise ValidationError(_("Choose a site of the town or give a new one, not both."), code="plan_two_sites")
        if site is None and not self.has_error("new_site_area_mu"):
            if not name and area is None:
                raise ValidationError(_("Choose a site of the town, or give the name and area of a new one."),
                                      code="plan_no_site")
            if not name:
                self.add_error("new_site_name", _("Give the new site's name."))
            if area is None:
                self.add_error("new_site_area_mu", _("Give the new site's area in mu."))
        return cleaned_data

    def site_arguments(self) -> dict:
        """Return the service's site arguments: the site chosen, or the new site's fields."""
        if self.cleaned_data["site"] is not None:
            return {"site": self.cleaned_data["site"]}
        return {"new_site": {"name": self.cleaned_data["new_site_name"].strip(),
                             "area_mu": self.cleaned_data["new_site_area_mu"]}}

    def plan_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in PLAN_FIELDS}


class PeriodCloseForm(TextCheckedForm):
    """The month to close (通报期): the next one after the latest closed, or any month that is over for the first."""

    year = forms.IntegerField(label=_("Year"), min_value=MIN_YEAR, max_value=MAX_YEAR)
    month = forms.IntegerField(label=_("Month"), min_value=1, max_value=12)


class PeriodReopenForm(TextCheckedForm):
    """The latest closed month to reopen, and why."""

    year = forms.IntegerField(widget=forms.HiddenInput, min_value=MIN_YEAR, max_value=MAX_YEAR)
    month = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=12)
    reason = forms.CharField(label=_("Reason for reopening"), widget=forms.Textarea(attrs={"rows": 2}))
