"""Who may open which URL: the expected outcome per role, and the small world the permission matrix runs in.

Every named URL of the project (but the admin's, set_language and static
files) needs an entry here; tests/test_permission_matrix.py fails for one
without. Outcomes: a status code, or LOGIN for a redirect to the login page.
GET is checked for every URL; POST (with an empty body, so an allowed user
gets the form back with its errors and nothing changes) for the forms.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from clearance import services
from clearance.choices import Stage, TownKind
from clearance.models import Enterprise, Event, Site, Town
from clearance.permissions import LEADERS_GROUP, OFFICIALS_GROUP

LOGIN = "login"
ROLES = ("anonymous", "official", "other_official", "leader", "admin")

# Every signed-in user reads every page.
READ = {"anonymous": LOGIN, "official": 200, "other_official": 200, "leader": 200, "admin": 200}
# Writes: the task force of the record's town and admins; 403 for everyone else, on GET and POST alike.
WRITE = {"anonymous": LOGIN, "official": 200, "other_official": 403, "leader": 403, "admin": 200}
# Admins only (imports): everyone else gets 403.
ADMIN_ONLY = {"anonymous": LOGIN, "official": 403, "other_official": 403, "leader": 403, "admin": 200}
# A form that only accepts POST.
POST_ONLY = {"anonymous": LOGIN, "official": 405, "other_official": 405, "leader": 405, "admin": 405}

RULES: dict[str, dict] = {
    # Signing in and out: the login page is open to everyone; logging out is a POST.
    "login": {"get": {role: 200 for role in ROLES}},
    "logout": {
        "get": {**{role: 405 for role in ROLES}, "anonymous": LOGIN},
        # Signed in or not, logging out ends on the login page.
        "post": {role: LOGIN for role in ROLES},
    },
    "api_summary": {"get": READ},
    "clearance:home": {"get": READ},
    # Issue 4: the dashboard, the town page and the battle boards are read-only.
    "clearance:town_detail": {"kwargs": {"pk": "town"}, "get": READ},
    "clearance:town_board": {"kwargs": {"pk": "town"}, "get": READ},
    "clearance:board": {"get": READ},
    "clearance:bulletin": {"get": READ},
    # Issue 3: the pages where progress is recorded (kwargs name the world's objects, all in the official's town).
    "clearance:site_detail": {"kwargs": {"pk": "site"}, "get": READ},
    "clearance:enterprise_detail": {"kwargs": {"pk": "enterprise"}, "get": READ},
    "clearance:workspace": {"get": READ},
    "clearance:workspace_sites": {"kwargs": {"town_pk": "town"}, "get": READ},
    "clearance:workspace_enterprises": {"kwargs": {"town_pk": "town"}, "get": READ},
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
    "clearance:ledger_template": {"get": READ},
    "clearance:ledger_export": {"get": READ},
    "clearance:pairings": {"get": READ},
}


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

    def user(self, role: str):
        return None if role == "anonymous" else getattr(self, role)


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
    services.task_force_member_add(task_force=pairing.task_force, person_name=official.get_username(), user_account=official)
    services.attack_group_upsert(task_force=pairing.task_force, name=f"{name}第一攻坚小组")
    return town


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
