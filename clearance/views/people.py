"""People (人员) pages for admins: the list with search, one form to create or edit a person, deactivation, password reset."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView, ListView

from .. import permissions, services
from ..choices import MemberRole, PersonRole
from ..models import Profile, TaskForce, TaskForceMember
from ..validators import validate_no_control_characters
from .writing import apply_service_errors


class AdminRequiredMixin:
    """Refuse with 403 anyone but an admin (signing in is enforced before, by LoginRequiredMiddleware)."""

    def dispatch(self, request, *args, **kwargs):
        if not permissions.is_admin(request.user):
            raise PermissionDenied("Only administrators may manage people.")
        return super().dispatch(request, *args, **kwargs)


class TaskForceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.pairing.town.name} · {obj.name}"


def active_task_forces():
    """Return the task forces of active pairings, by town: the only ones a person may be put in."""
    return TaskForce.objects.filter(pairing__ended_on__isnull=True).select_related("pairing__town")


class PasswordFields(forms.Form):
    """A new password typed twice; the service checks it against the project's password rules."""

    password = forms.CharField(
        label=gettext_lazy("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=gettext_lazy("Password again"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned_data = super().clean()
        first, second = cleaned_data.get("password"), cleaned_data.get("password_again")
        if first and second and first != second:
            self.add_error("password_again", forms.ValidationError(_("The two passwords differ."), code="password_mismatch"))
        return cleaned_data


class PersonForm(PasswordFields):
    """A person in one form: account, name, phone, role and, for an official, an active task force."""

    field_order = ["username", "full_name", "phone", "role", "task_force", "password", "password_again"]

    username = forms.CharField(label=gettext_lazy("Username"), max_length=150)
    full_name = forms.CharField(label=gettext_lazy("Full name"), max_length=150)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=20, required=False)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=PersonRole.choices)
    task_force = TaskForceChoiceField(
        label=gettext_lazy("Task force"), queryset=TaskForce.objects.none(), required=False,
        empty_label=gettext_lazy("(none)"),
        help_text=gettext_lazy("For task force officials only: they may record progress for the town of this task force. Only active task forces are listed."),
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task_force"].queryset = active_task_forces()
        if editing:  # The user name is the key people sign in with: it stays; passwords are reset on their own page.
            for name in ("username", "password", "password_again"):
                del self.fields[name]

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("role") != PersonRole.OFFICIAL:
            cleaned_data["task_force"] = None
        return cleaned_data


def people_queryset():
    """Return every account with its profile, groups and active task-force memberships, in three queries."""
    memberships = TaskForceMember.objects.filter(task_force__pairing__ended_on__isnull=True).exclude(
        role=MemberRole.HEAD
    ).select_related("task_force__pairing__town")
    return (
        get_user_model().objects.select_related("profile")
        .prefetch_related("groups", Prefetch("task_force_memberships", queryset=memberships, to_attr="active_memberships"))
        .order_by("-is_active", "username")
    )


class PeopleListView(AdminRequiredMixin, ListView):
    """Every person, active first; ?q= finds by user name, name or phone."""

    http_method_names = ["get", "head", "options"]
    template_name = "clearance/people_list.html"
    context_object_name = "people"
    paginate_by = 100

    def get(self, request, *args, **kwargs):
        # PostgreSQL refuses NUL in a search as it does in stored text: a 400 saying so, not a 500.
        try:
            validate_no_control_characters(request.GET.get("q", ""))
        except ValidationError as error:
            return render(request, "clearance/bad_query.html", {"error": error.messages[0]}, status=400)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        people = people_queryset()
        query = self.request.GET.get("q", "").strip()
        if query:
            people = people.filter(
                Q(username__icontains=query) | Q(first_name__icontains=query) | Q(last_name__icontains=query)
                | Q(profile__phone__icontains=query)
            )
        return people

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for person in context["people"]:
            person.role_label = PersonRole(services.person_role(person)).label
            person.phone = getattr(getattr(person, "profile", None), "phone", "")
        context["query"] = self.request.GET.get("q", "")
        return context


class PersonCreateView(AdminRequiredMixin, FormView):
    """Create a person: account, name, phone, role, task force and initial password in one form."""

    form_class = PersonForm
    template_name = "clearance/person_form.html"

    def get_initial(self):
        return {"role": PersonRole.OFFICIAL}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            person = services.person_create(
                username=data["username"], full_name=data["full_name"], phone=data["phone"], role=data["role"],
                task_force=data["task_force"], password=data["password"], user=self.request.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("%(name)s was added.") % {"name": person.get_full_name()})
        return HttpResponseRedirect(reverse("clearance:people"))


class PersonMixin(AdminRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if permissions.is_admin(request.user):
            self.person = get_object_or_404(people_queryset(), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(person=self.person, **kwargs)


class PersonUpdateView(PersonMixin, FormView):
    """Edit a person's name, phone, role and task force; deactivate or reactivate them; link to the password reset."""

    form_class = PersonForm
    template_name = "clearance/person_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "editing": True}

    def get_initial(self):
        membership = services.person_task_force_membership(self.person)
        profile = Profile.objects.filter(user=self.person).first()
        return {
            "full_name": self.person.get_full_name(),
            "phone": profile.phone if profile else "",
            "role": services.person_role(self.person),
            "task_force": membership.task_force_id if membership else None,
        }

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            person = services.person_update(
                person=self.person, full_name=data["full_name"], phone=data["phone"], role=data["role"],
                task_force=data["task_force"], user=self.request.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("%(name)s was saved.") % {"name": person.get_full_name()})
        return HttpResponseRedirect(reverse("clearance:people"))


class PersonActiveView(PersonMixin, View):
    """Deactivate (active=0) or reactivate (active=1) a person; never delete. Ends on the person's page."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        back = HttpResponseRedirect(reverse("clearance:person_update", args=[self.person.pk]))
        wanted = request.POST.get("active")
        if wanted not in {"0", "1"}:
            messages.error(request, _("Choose whether to deactivate or reactivate."))
            return back
        try:
            services.person_set_active(person=self.person, active=wanted == "1", user=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return back
        name = self.person.get_full_name() or self.person.get_username()
        if wanted == "1":
            messages.success(request, _("%(name)s was reactivated and may sign in again.") % {"name": name})
        else:
            messages.success(request, _("%(name)s was deactivated and can no longer sign in.") % {"name": name})
        return back


class PersonPasswordView(PersonMixin, FormView):
    """Set a new password for a person, checked by the password rules."""

    form_class = PasswordFields
    template_name = "clearance/person_password.html"

    def form_valid(self, form):
        try:
            services.person_password_reset(person=self.person, password=form.cleaned_data["password"], user=self.request.user)
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        name = self.person.get_full_name() or self.person.get_username()
        messages.success(self.request, _("The password of %(name)s was reset.") % {"name": name})
        return HttpResponseRedirect(reverse("clearance:person_update", args=[self.person.pk]))
