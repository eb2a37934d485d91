"""Forms of the pages where projects on vacated land (换鸟) are recorded: the project, its land, its stages."""

from decimal import Decimal

from django import forms
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import ProjectKind, ProjectStage
from .forms import (
    EARLIEST_EVENT,
    PhaseField,
    PhotosField,
    TextCheckedForm,
    VersionedForm,
    VersionedModelForm,
    validate_event_date,
    validate_not_future,
)
from .models import EvaluatedEnterprise, Project
from .selectors.projects import land_site

# The fields only a 招商项目 has (its investor and commitments), and those only a 复垦 has.
INVESTMENT_FIELDS = (
    "investor", "industry", "operator", "committed_investment_wan", "committed_tax_per_mu_wan",
    "committed_start_on", "committed_production_on", "committed_full_production_on",
)
RECLAMATION_FIELDS = ("deadline",)
DATE_FIELDS = ("committed_start_on", "committed_production_on", "committed_full_production_on", "deadline")


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _event_date_widget() -> forms.DateInput:
    return forms.DateInput(
        attrs={"type": "date", "min": EARLIEST_EVENT.isoformat(), "max": timezone.localdate().isoformat()},
        format="%Y-%m-%d",
    )


class ProjectForm(VersionedModelForm):
    """A project of one town: its kind, and for a 招商项目 the investor, the operating enterprise and the commitments.

    static/js/project.js shows the fields of the kind chosen; here the other kind's fields are emptied, so a
    value typed before the kind changed is never kept.
    """

    class Meta:
        model = Project
        fields = ["name", "kind", *INVESTMENT_FIELDS, *RECLAMATION_FIELDS, "notes"]
        widgets = {**{name: _date_input() for name in DATE_FIELDS}, "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, town, **kwargs):
        super().__init__(*args, **kwargs)
        # The town is fixed: a project's land and operator are its town's.
        self.instance.town = town
        self.fields["operator"].queryset = EvaluatedEnterprise.objects.filter(town=town).order_by("name")
        self.fields["operator"].help_text = _(
            "An evaluated enterprise of %(town)s: its 亩均税收 in the evaluation decides whether the commitment "
            "is kept."
        ) % {"town": town.name}
        self.fields["kind"].widget.attrs["data-project-kind"] = ""
        for name in INVESTMENT_FIELDS:
            self.fields[name].widget.attrs["data-kind-only"] = ProjectKind.INVESTMENT
        for name in RECLAMATION_FIELDS:
            self.fields[name].widget.attrs["data-kind-only"] = ProjectKind.RECLAMATION
        for name in ("committed_investment_wan", "committed_tax_per_mu_wan"):
            self.fields[name].widget.attrs.update(inputmode="decimal", step="0.01", min="0")

    def clean(self):
        kind = self.cleaned_data.get("kind")
        emptied = RECLAMATION_FIELDS if kind == ProjectKind.INVESTMENT else INVESTMENT_FIELDS if kind else ()
        for name in emptied:
            self.cleaned_data[name] = "" if name in ("investor", "industry") else None
        return super().clean()


class ProjectDeleteForm(VersionedForm):
    """Delete a project seen at its version."""


def land_label(site) -> str:
    """A leaf site as a choice of land: its name, the land free of its area, and whether it is vacated."""
    vacated = (_("vacated %(date)s") % {"date": site.vacated_on.isoformat()}) if site.vacated_on else _("not vacated")
    return _("%(site)s · %(free)s of %(area)s mu free · %(vacated)s") % {
        "site": site.name, "free": floatformat(site.free_mu, "2g"), "area": floatformat(site.area_mu, "2g"),
        "vacated": vacated,
    }


class ProjectLandForm(VersionedForm):
    """The land a project takes from one site of its town: a new site, or a new area for one it takes already.

    The site is picked by searching its name (templates/clearance/projects/_land_fields.html): the form gets its
    id, and looks up that one site alone, refusing any that is not a leaf site of the project's town.
    """

    site = forms.IntegerField(label=_("Site"), min_value=1, error_messages={
        "required": _("Choose the site: search for its name, then pick it in the list."),
        "invalid": _("Choose the site in the list."), "min_value": _("Choose the site in the list."),
    })
    area_mu = forms.DecimalField(label=_("Area taken (mu)"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"))

    def __init__(self, *args, town, **kwargs):
        """TOWN: the project's town, whose leaf sites alone give land."""
        super().__init__(*args, **kwargs)
        self.town = town
        self.site = None
        self.fields["site"].widget = forms.RadioSelect()
        self.fields["area_mu"].widget.attrs.update(inputmode="decimal", step="0.01", min="0.01")
        self.fields["area_mu"].help_text = _(
            "For a site the project takes already, the new area it takes there. Land is supplied only once every "
            "site it takes is vacated."
        )

    def clean_site(self):
        pk = self.cleaned_data["site"]
        self.site = land_site(town=self.town, pk=pk)
        if self.site is None:
            raise forms.ValidationError(
                _("This is not a parcel of %(town)s: choose a site of the list."), code="not_land_site",
                params={"town": self.town.name},
            )
        return pk

    def chosen_site(self):
        """The site chosen, with its free land and 腾退 date (once the form is valid)."""
        return self.site


class ProjectLandRemoveForm(VersionedForm):
    """Give back the land a project takes from one site."""


class ProjectEventForm(TextCheckedForm):
    """A project's stage reached, its date, a note and photos; the stages are those of its kind, the next preselected."""

    stage = forms.TypedChoiceField(label=_("Stage"), coerce=int)
    occurred_on = forms.DateField(label=_("Date"), validators=[validate_event_date, validate_not_future])
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    photos = PhotosField()
    phase = PhaseField()

    def __init__(self, *args, project: Project, next_stage: ProjectStage | None = None, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("occurred_on", timezone.localdate())
        if next_stage is not None:
            kwargs["initial"].setdefault("stage", int(next_stage))
        super().__init__(*args, **kwargs)
        self.fields["occurred_on"].widget = _event_date_widget()
        self.fields["stage"].choices = [("", _("Choose…")), *((int(stage), stage.label) for stage in project.stages)]
        self.fields["stage"].help_text = stage_order_text(project)


def stage_order_text(project: Project) -> str:
    """Return the order of PROJECT's stages in words, as the services enforce it."""
    return _("Stages in order: %(stages)s. Each needs the ones before it, dated no later.") % {
        "stages": " → ".join(str(stage.label) for stage in project.stages)
    }
