"""Who may open which URL: the expected outcome per role, and the small world the permission matrix runs in.

Every URL pattern of the project needs an entry here, named or not (an unnamed
one is keyed "<unnamed ROUTE>"); tests/quality/test_permission_matrix.py fails for one
without. The admin's rules are generated from its registry, per model, so a
newly registered model is covered at once (build_admin_world must make a record
of it), while a custom admin URL or a new page of the app fails until it is
given a rule. Outcomes: a status code, LOGIN
for a redirect to the site's login page, ADMIN_LOGIN for one to the admin's,
REDIRECT for any other redirect. GET and POST are checked for every URL; POST
carries an empty body, so an allowed user gets the form back with its errors
and nothing changes ("writes" names the rows a rule allows it to add).
A URL takes its arguments from "kwargs" or "args" (a world attribute's pk, or
a function of the world), or is built whole by "url".
"""

import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from PIL import Image

from clearance import services
from clearance.services import evaluation
from clearance.choices import (
    JobKind, JobStatus, Metric, PhotoPhase, ProjectStage, RegisterKind, SizeClass, Stage, TownKind,
)
from clearance.models import (
    Adjustment,
    AttackGroup,
    BackgroundJob,
    Bureau,
    BureauHead,
    BulletinFigure,
    County,
    EconomyFigure,
    EconomyYear,
    Enterprise,
    EvaluatedEnterprise,
    Event,
    IndicatorRow,
    Pairing,
    Project,
    ProjectEvent,
    ProjectPhoto,
    ReuseMonthlyFigure,
    Scheme,
    Photo,
    RegisterItem,
    Site,
    TaskForce,
    TaskForceMember,
    Target,
    Town,
)
from clearance.permissions import LEADERS_GROUP, OFFICIALS_GROUP

LOGIN = "login"
ADMIN_LOGIN = "admin login"
REDIRECT = "redirect"
ROLES = ("anonymous", "official", "other_official", "leader", "admin")
SIGNED_IN = ROLES[1:]

# Every signed-in user reads every page.
READ = {"anonymous": LOGIN, "official": 200, "other_official": 200, "leader": 200, "admin": 200}
# A page that only reads refuses a POST from whoever is signed in.
READ_ONLY_POST = {"anonymous": LOGIN, "official": 405, "other_official": 405, "leader": 405, "admin": 405}
# Writes: the task force of the record's town and admins; 403 for everyone else, on GET and POST alike.
WRITE = {"anonymous": LOGIN, "official": 200, "other_official": 403, "leader": 403, "admin": 200}
# Admins only (imports): everyone else gets 403.
ADMIN_ONLY = {"anonymous": LOGIN, "official": 403, "other_official": 403, "leader": 403, "admin": 200}
# A form that only accepts POST.
POST_ONLY = {"anonymous": LOGIN, "official": 405, "other_official": 405, "leader": 405, "admin": 405}
# Open to everyone, signed in or not.
EVERYONE = {role: 200 for role in ROLES}


def staff(outcome, *, anonymous=ADMIN_LOGIN) -> dict:
    """Django's admin: whoever is not staff is sent to the admin's login page; an admin gets OUTCOME.

    A signed-in official or leader gets that page saying "you are authenticated as …, but are not
    authorized to access this page" rather than a 403, so they may sign in as someone else.
    """
    return {**{role: ADMIN_LOGIN for role in ROLES}, "anonymous": anonymous, "admin": outcome}


def model_staff(outcome) -> dict:
    """A page of one model in the admin: as staff(), but the visitor who is not signed in meets the site's login.

    Django's ModelAdmin wraps its views without the admin's login URL, so LoginRequiredMiddleware
    sends them to LOGIN_URL first; signing in there leads back to the page (and on to the admin's login
    for whoever is not staff).
    """
    return staff(outcome, anonymous=LOGIN)


SITE_RULES: dict[str, dict] = {
    # Signing in and out: the login page is open to everyone; logging out is a POST.
    "login": {"get": EVERYONE, "post": EVERYONE},
    "logout": {
        "get": {**{role: 405 for role in ROLES}, "anonymous": LOGIN},
        # Signed in or not, logging out ends on the login page.
        "post": {role: LOGIN for role in ROLES},
    },
    # Choosing the language works for everyone, on the login page too; it redirects back. An empty POST
    # chooses nothing (tests/quality/test_permission_matrix.py checks that a language given is kept).
    "set_language": {"get": {role: REDIRECT for role in ROLES}, "post": {role: REDIRECT for role in ROLES}},
    "api_summary": {"get": READ, "post": READ_ONLY_POST},
    # Issue 14, item 6: a year's evaluation as JSON, for every signed-in role.
    "api_evaluation": {"get": READ, "post": READ_ONLY_POST},
    # Issue 15: 换鸟's figures as JSON, its pages (the towns ranked, the commitments), for every signed-in role.
    "api_reuse": {"get": READ, "post": READ_ONLY_POST},
    "clearance:reuse": {"get": READ, "post": READ_ONLY_POST},
    "clearance:reuse_commitments": {"get": READ, "post": READ_ONLY_POST},
    "clearance:home": {"get": READ, "post": READ_ONLY_POST},
    # Issue 4: the dashboard, the town page and the battle boards are read-only.
    "clearance:town_detail": {"kwargs": {"pk": "town"}, "get": READ, "post": READ_ONLY_POST},
    "clearance:town_board": {"kwargs": {"pk": "town"}, "get": READ, "post": READ_ONLY_POST},
    "clearance:board": {"get": READ, "post": READ_ONLY_POST},
    "clearance:bulletin": {"get": READ, "post": READ_ONLY_POST},
    "clearance:bulletin_docx": {"get": READ, "post": READ_ONLY_POST},
    # Issue 3: the pages where progress is recorded (kwargs name the world's objects, all in the official's town).
    "clearance:site_detail": {"kwargs": {"pk": "site"}, "get": READ, "post": READ_ONLY_POST},
    "clearance:enterprise_detail": {"kwargs": {"pk": "enterprise"}, "get": READ, "post": READ_ONLY_POST},
    "clearance:workspace": {"get": READ, "post": READ_ONLY_POST},
    "clearance:workspace_sites": {"kwargs": {"town_pk": "town"}, "get": READ, "post": READ_ONLY_POST},
    "clearance:workspace_enterprises": {"kwargs": {"town_pk": "town"}, "get": READ, "post": READ_ONLY_POST},
    "clearance:site_create": {"kwargs": {"town_pk": "town"}, "get": WRITE, "post": WRITE},
    "clearance:site_update": {"kwargs": {"pk": "site"}, "get": WRITE, "post": WRITE},
    "clearance:site_event_create": {"kwargs": {"pk": "site"}, "get": WRITE, "post": WRITE},
    "clearance:site_events_bulk": {"kwargs": {"pk": "site"}, "get": WRITE, "post": WRITE},
    "clearance:enterprise_create": {"kwargs": {"pk": "site"}, "get": WRITE, "post": WRITE},
    "clearance:enterprise_update": {"kwargs": {"pk": "enterprise"}, "get": WRITE, "post": WRITE},
    "clearance:enterprise_event_create": {"kwargs": {"pk": "enterprise"}, "get": WRITE, "post": WRITE},
    "clearance:event_update": {"kwargs": {"pk": "event"}, "get": WRITE, "post": WRITE},
    "clearance:event_delete": {"kwargs": {"pk": "event"}, "get": WRITE, "post": WRITE},
    # Issue 5: ledgers in and out; importing is for admins, the template and exports for every signed-in role.
    "clearance:ledger_import": {"get": ADMIN_ONLY, "post": ADMIN_ONLY},
    # Issue 13: a ledger job's page and its progress, for admins only; confirming a job that is not waiting for a
    # confirmation (this one has ended) is refused with a message on the job's page.
    "clearance:ledger_job": {"kwargs": {"pk": lambda world: ended_ledger_job(world).pk}, "get": ADMIN_ONLY,
                             "post": {**ADMIN_ONLY, "admin": REDIRECT}},
    "clearance:ledger_job_progress": {"kwargs": {"pk": lambda world: ended_ledger_job(world).pk}, "get": ADMIN_ONLY,
                                      "post": {**ADMIN_ONLY, "admin": 405}},
    "clearance:periods": {"get": ADMIN_ONLY, "post": ADMIN_ONLY},
    # Issue 15, 快中求稳: every signed-in role reads the economy's months; admins enter, import and get the template.
    "clearance:economy": {"get": READ, "post": ADMIN_ONLY},
    "clearance:economy_import": {"get": ADMIN_ONLY, "post": ADMIN_ONLY},
    "clearance:economy_template": {"get": ADMIN_ONLY, "post": {**ADMIN_ONLY, "admin": 405}},
    # Issue 14: the evaluation's admin side. Every signed-in role reads the schemes and an enterprise's adjustments;
    # only admins change them (an empty POST is a form with errors, or a confirmation not given: nothing changes).
    "clearance:schemes": {"get": READ, "post": READ_ONLY_POST},
    "clearance:scheme_update": {"args": [lambda world: evaluated_row(world).year, lambda world: evaluated_row(world).size],
                                "get": READ, "post": ADMIN_ONLY},
    "clearance:scheme_copy": {"args": [lambda world: evaluated_row(world).year], "get": ADMIN_ONLY, "post": ADMIN_ONLY},
    "clearance:evaluation_adjustments": {"kwargs": {"pk": lambda world: evaluated_row(world).enterprise_id},
                                         "get": READ, "post": ADMIN_ONLY},
    "clearance:adjustment_delete": {"kwargs": {"pk": lambda world: evaluation_adjustment(world).pk},
                                    "get": ADMIN_ONLY, "post": ADMIN_ONLY},
    "clearance:indicator_row_update": {"kwargs": {"pk": lambda world: evaluated_row(world).pk},
                                       "get": ADMIN_ONLY, "post": ADMIN_ONLY},
    "clearance:indicators_import": {"get": ADMIN_ONLY, "post": ADMIN_ONLY},
    "clearance:indicators_job": {"kwargs": {"pk": lambda world: ended_indicators_job(world).pk}, "get": ADMIN_ONLY,
                                 "post": {**ADMIN_ONLY, "admin": REDIRECT}},
    "clearance:indicators_job_progress": {"kwargs": {"pk": lambda world: ended_indicators_job(world).pk},
                                          "get": ADMIN_ONLY, "post": {**ADMIN_ONLY, "admin": 405}},
    "clearance:indicators_template": {"get": ADMIN_ONLY, "post": {**ADMIN_ONLY, "admin": 405}},
    "clearance:ledger_template": {"get": READ, "post": READ_ONLY_POST},
    "clearance:ledger_export": {"get": READ, "post": READ_ONLY_POST},
    "clearance:pairings": {"get": READ, "post": READ_ONLY_POST},
    # Issue 7: who changed the figures; every signed-in role reads it.
    "clearance:audit": {"get": READ, "post": READ_ONLY_POST},
    # Issue 12, item 7: the people page, for admins only; deactivating is a POST that ends on the person's page.
    "clearance:people": {"get": ADMIN_ONLY, "post": {**ADMIN_ONLY, "admin": 405}},
    "clearance:person_create": {"get": ADMIN_ONLY, "post": ADMIN_ONLY},
    "clearance:person_update": {"kwargs": {"pk": "official"}, "get": ADMIN_ONLY, "post": ADMIN_ONLY},
    "clearance:person_active": {
        "kwargs": {"pk": "official"}, "get": {**ADMIN_ONLY, "admin": 405}, "post": {**ADMIN_ONLY, "admin": REDIRECT},
    },
    "clearance:person_password": {"kwargs": {"pk": "official"}, "get": ADMIN_ONLY, "post": ADMIN_ONLY},
    # Issue 14, item 4: the evaluation's pages read for every signed-in role; a clearance plan is opened by the
    # task force of the enterprise's town and admins.
    "clearance:evaluation": {"get": READ, "post": READ_ONLY_POST},
    "clearance:evaluation_town": {"kwargs": {"pk": "town"}, "get": READ, "post": READ_ONLY_POST},
    "clearance:evaluation_candidates": {"get": READ, "post": READ_ONLY_POST},
    "clearance:evaluation_card": {"kwargs": {"pk": lambda world: evaluated_enterprise(world).pk}, "get": READ,
                                  "post": READ_ONLY_POST},
    "clearance:evaluation_plan": {"kwargs": {"pk": lambda world: evaluated_enterprise(world).pk}, "get": WRITE,
                                  "post": WRITE},
    # Issue 15: the projects on vacated land (换鸟). Everyone signed in reads the list and a project's page; the task
    # force of the project's town and admins write. A new project is for whoever writes for a town: the world's
    # officials each write for one (their form), an admin for several (a town picker), a leader for none.
    "clearance:project_list": {"get": READ, "post": READ_ONLY_POST},
    "clearance:project_detail": {"kwargs": {"pk": lambda world: world_project(world).pk}, "get": READ,
                                 "post": READ_ONLY_POST},
    "clearance:project_create": {"get": {**WRITE, "other_official": 200}, "post": {**WRITE, "other_official": 200}},
    "clearance:project_update": {"kwargs": {"pk": lambda world: world_project(world).pk}, "get": WRITE, "post": WRITE},
    "clearance:project_delete": {"kwargs": {"pk": lambda world: world_project(world).pk}, "get": WRITE, "post": WRITE},
    "clearance:project_land": {"kwargs": {"pk": lambda world: world_project(world).pk}, "get": WRITE, "post": WRITE},
    # The land picker's sites found (htmx asks for them; a plain GET goes to the land page showing the same search).
    "clearance:project_land_sites": {"kwargs": {"pk": lambda world: world_project(world).pk},
                                     "get": {**WRITE, "official": REDIRECT, "admin": REDIRECT},
                                     "post": {**WRITE, "official": 405, "admin": 405}},
    "clearance:project_land_remove": {"kwargs": {"pk": lambda world: world_project(world).allocations.get().pk},
                                      "get": WRITE, "post": WRITE},
    "clearance:project_event_create": {"kwargs": {"pk": lambda world: world_project(world).pk}, "get": WRITE,
                                       "post": WRITE},
    "clearance:project_event_update": {"kwargs": {"pk": lambda world: world_project_event(world).pk}, "get": WRITE,
                                       "post": WRITE},
    "clearance:project_event_delete": {"kwargs": {"pk": lambda world: world_project_event(world).pk}, "get": WRITE,
                                       "post": WRITE},
    # Issue 15, 稳: the register of order is read by every signed-in role; an item is recorded (from its site's or
    # enterprise's page) and edited or resolved by the task force of its town and admins.
    "clearance:register": {"get": READ, "post": READ_ONLY_POST},
    "clearance:register_item_create": {"url": lambda world: f"/register/new/?site={world.site.pk}", "get": WRITE,
                                       "post": WRITE},
    "clearance:register_item_update": {"kwargs": {"pk": lambda world: register_item(world).pk}, "get": WRITE,
                                       "post": WRITE},
    # Uploaded photos, served by Django to signed-in users only (pinghu/media.py); the static view ignores the method.
    "<unnamed ^media/(?P<path>.*)$>": {"url": lambda world: world.photo.image.url, "get": READ, "post": READ},
}


# The admin -------------------------------------------------------------------------------------------------

# Sign-in logs kept by django-axes: written by signing in, never by hand, so their admin adds nothing and
# its change form, all read-only, refuses a POST.
SIGN_IN_LOGS = (AccessAttempt, AccessLog, AccessFailureLog)
# Derived tables shown in the admin and never edited there (the services keep them in step with the events).
DERIVED = (ReuseMonthlyFigure,)

ADMIN_SITE_RULES: dict[str, dict] = {
    "admin:index": {"get": staff(200), "post": staff(200)},
    "admin:app_list": {"kwargs": {"app_label": lambda world: "clearance"}, "get": staff(200), "post": staff(200)},
    # The admin's login page: a signed-in admin is sent on to the index; an empty POST gets the form's errors.
    "admin:login": {"get": {**EVERYONE, "admin": REDIRECT}, "post": EVERYONE},
    # Logging out of the admin is a POST and ends on the site's login page (LOGOUT_REDIRECT_URL); a signed-in
    # user who is not staff is sent to the admin's index, and on to its login.
    "admin:logout": {
        "get": {**{role: REDIRECT for role in SIGNED_IN}, "anonymous": ADMIN_LOGIN, "admin": 405},
        "post": {**{role: REDIRECT for role in SIGNED_IN}, "anonymous": ADMIN_LOGIN, "admin": LOGIN},
    },
    "admin:password_change": {"get": staff(200), "post": staff(200)},
    "admin:password_change_done": {"get": staff(200), "post": staff(405)},
    # Autocomplete answers only a GET naming the field it completes (tests/admin/test_admin.py asks it properly).
    "admin:autocomplete": {"get": staff(403), "post": staff(405)},
    "admin:jsi18n": {"get": staff(200), "post": staff(405)},
    # "View on site" redirects to the record's page.
    "admin:view_on_site": {
        "kwargs": {
            "content_type_id": lambda world: ContentType.objects.get_for_model(Site).pk,
            "object_id": lambda world: world.site.pk,
        },
        "get": staff(REDIRECT),
        "post": staff(REDIRECT),
    },
    # Anything else under /admin/ is a 404, for staff; the others are sent to the admin's login first.
    "<unnamed admin/(?P<url>.*)$>": {
        "url": lambda world: "/admin/no-such-page/", "get": staff(404), "post": staff(404),
    },
}


def _object_id(model):
    return lambda world: world.admin_object(model).pk


def admin_model_rules(model) -> dict[str, dict]:
    """Return the rules of the pages Django's admin (and simple_history) gives a registered MODEL."""
    opts = model._meta
    info = f"admin:{opts.app_label}_{opts.model_name}"
    object_id = {"object_id": _object_id(model)}
    is_log = model in SIGN_IN_LOGS
    if model in DERIVED:
        return {
            f"{info}_changelist": {"get": model_staff(200), "post": model_staff(200)},
            f"{info}_add": {"get": model_staff(403), "post": model_staff(403)},
            f"{info}_change": {"kwargs": object_id, "get": model_staff(200), "post": model_staff(403)},
            f"{info}_delete": {"kwargs": object_id, "get": model_staff(403), "post": model_staff(403)},
            f"{info}_history": {"kwargs": object_id, "get": model_staff(200), "post": model_staff(200)},
            f"<unnamed admin/{opts.app_label}/{opts.model_name}/<path:object_id>/>": {
                "url": lambda world: f"/admin/{opts.app_label}/{opts.model_name}/{world.admin_object(model).pk}/",
                "get": model_staff(REDIRECT),
                "post": model_staff(REDIRECT),
            },
        }
    rules = {
        f"{info}_changelist": {"get": model_staff(200), "post": model_staff(200)},
        f"{info}_add": {"get": model_staff(403 if is_log else 200), "post": model_staff(403 if is_log else 200)},
        # The sign-in logs' change form is all read-only: a POST changes no field and goes back to the list,
        # though Django's admin still logs it ("no fields changed").
        # An adjustment is never changed (deleted and given anew): its change page only shows it, a POST is refused.
        f"{info}_change": {
            "kwargs": object_id, "get": model_staff(200),
            "post": model_staff(REDIRECT if is_log else 403 if model is Adjustment else 200),
            **({"writes": {"admin.LogEntry": 1}} if is_log else {}),
        },
        # An empty POST is not a confirmation: the page asks again and nothing is deleted. Users are never
        # deleted (made inactive instead: the history keeps their names).
        f"{info}_delete": {
            "kwargs": object_id,
            "get": model_staff(403 if model is get_user_model() else 200),
            "post": model_staff(403 if model is get_user_model() else 200),
        },
        f"{info}_history": {"kwargs": object_id, "get": model_staff(200), "post": model_staff(200)},
        # The old change URL, kept by Django: it redirects to the change page.
        f"<unnamed admin/{opts.app_label}/{opts.model_name}/<path:object_id>/>": {
            "url": lambda world: f"/admin/{opts.app_label}/{opts.model_name}/{world.admin_object(model).pk}/",
            "get": model_staff(REDIRECT),
            "post": model_staff(REDIRECT),
        },
    }
    if opts.app_label == "clearance":
        # One past version, shown read-only: reverting would write past the services (admin.ClearanceAdmin).
        rules[f"{info}_simple_history"] = {
            "args": [_object_id(model), lambda world: world.admin_object(model).history.earliest().history_id],
            "get": model_staff(200),
            "post": model_staff(403),
        }
    if model is get_user_model():
        rules[f"{info}_password_change"] = {
            "kwargs": {"id": _object_id(model)}, "get": model_staff(200), "post": model_staff(200),
        }
    return rules


def admin_rules() -> dict[str, dict]:
    """Return the rules of every page of the admin: the site's own, and each registered model's."""
    rules = dict(ADMIN_SITE_RULES)
    for model in admin.site._registry:
        rules.update(admin_model_rules(model))
    return rules


RULES: dict[str, dict] = {**SITE_RULES, **admin_rules()}


@dataclass
class World:
    """Two towns, each with an active pairing and task force, an official, a site, an enterprise and an event."""

    town: Town
    site: Site
    parcel: Site
    enterprise: Enterprise
    event: Event
    other_town: Town
    other_site: Site
    other_enterprise: Enterprise
    official: object
    other_official: object
    leader: object
    admin: object
    # One record of every model registered in the admin, keyed by model (build_admin_world fills it).
    admin_objects: dict = field(default_factory=dict)

    def user(self, role: str):
        return None if role == "anonymous" else getattr(self, role)

    def admin_object(self, model):
        assert model in self.admin_objects, f"build_admin_world() makes no {model.__name__} for its admin pages"
        return self.admin_objects[model]

    @property
    def photo(self) -> Photo:
        return self.admin_object(Photo)


def _user(username: str, *, group: str | None = None, superuser: bool = False):
    users = get_user_model().objects
    if superuser:
        return users.create_superuser(username, f"{username}@example.org", "pw-admin-1")
    user = users.create_user(username, password=f"pw-{username}")
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


def _town_with_task_force(name: str, bureau: str, head: str, official):
    town = services.town_upsert(name=name, kind=TownKind.TOWN).obj
    pairing = services.pairing_start(
        town=town, head=services.bureau_head_upsert(bureau_name=bureau, head_name=head), started_on=date(2022, 1, 1)
    )
    services.task_force_member_upsert(task_force=pairing.task_force, person_name=official.get_username(), user_account=official)
    services.attack_group_upsert(task_force=pairing.task_force, name=f"{name}第一攻坚小组")
    return town


def ended_ledger_job(world) -> BackgroundJob:
    """Return the world admin's ledger job that has ended (imported), created on first use."""
    return BackgroundJob.objects.get_or_create(
        kind=JobKind.LEDGER_IMPORT, created_by=world.admin, status=JobStatus.SUCCEEDED,
        defaults={"result": {"lines": ["地块：新增 0，更新 0，未变 0"]}},
    )[0]


def ended_indicators_job(world) -> BackgroundJob:
    """Return the world admin's evaluation data job that has ended (imported), created on first use."""
    return BackgroundJob.objects.get_or_create(
        kind=JobKind.INDICATORS_IMPORT, created_by=world.admin, status=JobStatus.SUCCEEDED,
        defaults={"result": {"lines": ["参评企业：新增 0，更新 0，未变 0"]}},
    )[0]


def evaluated_row(world) -> IndicatorRow:
    """Return the 2022 evaluation data (规下, scored) of an enterprise of the world's town, created on first use."""
    row = IndicatorRow.objects.filter(enterprise__town=world.town, year=2022).first()
    if row is None:
        enterprise = evaluation.evaluated_enterprise_upsert(town=world.town, name="示例评价企业", user=world.admin)
        row = evaluation.indicator_row_upsert(enterprise=enterprise, year=2022, size=SizeClass.BELOW, user=world.admin,
                                              land_mu=Decimal("10"), tax_wan=Decimal("50"), power_10k_kwh=Decimal("20"))
    return row


def evaluation_adjustment(world) -> Adjustment:
    """Return an adjustment of the world's evaluated enterprise, created on first use."""
    row = evaluated_row(world)
    return Adjustment.objects.filter(enterprise_id=row.enterprise_id).first() or evaluation.adjustment_add(
        enterprise=row.enterprise, year=row.year, points=Decimal("5"), reason="高新技术企业", user=world.admin)

def register_item(world) -> RegisterItem:
    """Return an open dispute on the world's site, recorded by its official on first use."""
    return RegisterItem.objects.filter(site=world.site).first() or services.register_item_create(
        kind=RegisterKind.DISPUTE, raised_on=date(2022, 3, 5), description="租户押金纠纷", site=world.site,
        user=world.official)


def evaluated_enterprise(world) -> EvaluatedEnterprise:
    """Return the world's evaluated enterprise: scored in 2022, not in clearance."""
    return evaluated_row(world).enterprise


def world_project(world) -> Project:
    """Return the world town's investment project taking 10 mu of its parcel, created on first use."""
    project = Project.objects.filter(town=world.town).first()
    if project is None:
        project = services.project_create(
            town=world.town, name="示例招商项目", investor="示例投资方", committed_investment_wan=Decimal("5000"),
            user=world.admin,
        )
        services.project_land_set(project=project, site=world.parcel, area_mu=Decimal("10"),
                                  expected_version=project.version, user=world.admin)
        project.refresh_from_db()
    return project


def world_project_event(world) -> ProjectEvent:
    """Return the 签约 of the world's project, recorded on first use."""
    project = world_project(world)
    return project.events.first() or services.project_event_record(
        project=project, stage=ProjectStage.SIGNED, on=date(2022, 3, 1), user=world.official
    )


def build_world() -> World:
    """Build the world of the matrix through the services (call inside a test with database access)."""
    official = _user("official-a", group=OFFICIALS_GROUP)
    other_official = _user("official-b", group=OFFICIALS_GROUP)
    leader = _user("leader-x", group=LEADERS_GROUP)
    admin = _user("admin-x", superuser=True)
    town = _town_with_task_force("曹桥街道", "市应急管理局", "马根良", official)
    other_town = _town_with_task_force("林埭镇", "市自然资源和规划局", "张局长", other_official)
    site = services.site_create(town=town, name="六店区域", area_mu=Decimal("100"), user=admin)
    parcel = services.site_create(town=town, name="原胜利钢厂地块", area_mu=Decimal("20.43"), parent=site, user=admin)
    enterprise = services.enterprise_create(site=site, name="示例企业甲", user=admin, is_tenant=True)
    event = services.event_record(enterprise=enterprise, stage=Stage.SIGNED, on=date(2022, 3, 1), user=official)
    other_site = services.site_create(town=other_town, name="林埭示例地块", area_mu=Decimal("8"), user=admin)
    other_enterprise = services.enterprise_create(site=other_site, name="林埭示例企业", user=admin)
    return World(
        town=town, site=site, parcel=parcel, enterprise=enterprise, event=event,
        other_town=other_town, other_site=other_site, other_enterprise=other_enterprise,
        official=official, other_official=other_official, leader=leader, admin=admin,
    )


def _png(name: str = "site.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "green").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def build_admin_world() -> World:
    """Build the world and a record of every model the admin lists, so each of its object pages can be opened."""
    world = build_world()
    admin_user = world.admin
    county = services.county_upsert(name="平湖市", is_home=True, user=admin_user).obj
    pairing = Pairing.objects.active().select_related("task_force").get(town=world.town)
    task_force = pairing.task_force
    photo = services.photo_add(
        event=world.event, upload=_png(), phase=PhotoPhase.DURING, caption="签约现场", user=world.official
    )
    target = services.target_set(
        year=2022, metric=Metric.ENTERPRISES_RECTIFIED, value=Decimal("190"), user=admin_user
    ).obj
    figure = services.bulletin_figure_set(
        county=county, year=2022, month=8, metric=Metric.LAND_VACATED_MU, actual=Decimal("3163"),
        target=Decimal("2500"), user=admin_user,
    ).obj
    sign_in = {"ip_address": "10.0.0.1", "username": "official-a", "user_agent": "test", "http_accept": "*/*",
               "path_info": "/accounts/login/"}
    world.admin_objects = {
        Town: world.town,
        County: county,
        Bureau: pairing.head.bureau,
        BureauHead: pairing.head,
        Pairing: pairing,
        TaskForce: task_force,
        TaskForceMember: task_force.members.get(user=world.official),
        AttackGroup: AttackGroup.objects.get(task_force=task_force),
        Site: world.site,
        Enterprise: world.enterprise,
        Event: world.event,
        Photo: photo,
        Target: target,
        BulletinFigure: figure,
        get_user_model(): world.official,
        Group: Group.objects.get(name=OFFICIALS_GROUP),
        AccessAttempt: AccessAttempt.objects.create(**sign_in, get_data="", post_data="", failures_since_start=1),
        AccessLog: AccessLog.objects.create(**sign_in),
        AccessFailureLog: AccessFailureLog.objects.create(**sign_in),
        EvaluatedEnterprise: evaluated_enterprise(world),
        IndicatorRow: evaluated_row(world),
        Scheme: Scheme.objects.get(year=evaluated_row(world).year, size=evaluated_row(world).size),
        Adjustment: evaluation_adjustment(world),
        Project: world_project(world),
        ProjectEvent: world_project_event(world),
        ProjectPhoto: services.photo_add(event=world_project_event(world), upload=_png("project.png"),
                                         phase=PhotoPhase.AFTER, caption="签约仪式", user=world.official),
        ReuseMonthlyFigure: ReuseMonthlyFigure.objects.get(town=world.town, year=2022, month=3),
        EconomyFigure: services.economy_figure_upsert(
            region="pinghu", year=2022, month=8, value_added_growth_pct=Decimal("6.5"), employment=115000,
            user=admin_user).obj,
        EconomyYear: services.economy_year_set(year=2022, employment_base_month=3, user=admin_user).obj,
        RegisterItem: register_item(world),
    }
    return world


def site_views() -> dict[str, object]:
    """Return key → view (the class for a class-based view) of every URL outside the admin, keyed as in SITE_RULES."""
    views = {}

    def walk(resolver, route: str, namespace: str):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if pattern.app_name == "admin":
                    continue
                walk(pattern, f"{route}{pattern.pattern}", f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace)
            elif isinstance(pattern, URLPattern):
                key = f"{namespace}{pattern.name}" if pattern.name else f"<unnamed {route}{pattern.pattern}>"
                views[key] = getattr(pattern.callback, "view_class", pattern.callback)

    walk(get_resolver(), "", "")
    return views


def site_url(key: str, world: World) -> str:
    """Return the address of the URL KEY of SITE_RULES in WORLD, its arguments taken as its rule says."""
    rule = SITE_RULES[key]
    if "url" in rule:
        return rule["url"](world)

    def value(source):
        return source(world) if callable(source) else getattr(world, source).pk

    if "args" in rule:
        return reverse(key, args=[value(source) for source in rule["args"]])
    return reverse(key, kwargs={name: value(source) for name, source in rule.get("kwargs", {}).items()})
