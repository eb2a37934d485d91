"""Audit (issue 7, part 8): every write leaves a history row naming its user; /audit/ shows who changed a figure."""

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.forms import BooleanField, FileField, MultiWidget
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from openpyxl import Workbook
from PIL import Image

from clearance import selectors, services
from clearance.choices import Disposal, MemberRole, Metric, PhotoPhase, Stage, TownKind
from clearance.ledger import BULLETIN_COLUMNS, ENTERPRISE_COLUMNS, SITE_COLUMNS, bulletin_import, ledger_import
from clearance.models import (
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

pytestmark = pytest.mark.django_db


def last_change(model, pk) -> tuple[str, object]:
    """Return the change type (+ ~ -) and the user of the newest history row of MODEL's row PK."""
    record = model.history.filter(id=pk).order_by("-history_date", "-history_id").first()
    assert record is not None, f"{model.__name__} {pk} has no history"
    return record.history_type, record.history_user


def png(name: str = "现场.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "green").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# The pages -----------------------------------------------------------------------------------------------


def test_recording_a_stage_with_a_photo_on_the_page_names_the_official(as_official, world):
    response = as_official.post(
        reverse("clearance:enterprise_event_create", args=[world.enterprise.pk]),
        {"stage": Stage.NEGOTIATING, "occurred_on": "2022-02-01", "photos": [png()], "phase": PhotoPhase.BEFORE},
    )

    assert response.status_code == 302
    event = Event.objects.get(enterprise=world.enterprise, stage=Stage.NEGOTIATING)
    assert last_change(Event, event.pk) == ("+", world.official)
    assert last_change(Photo, event.photos.get().pk) == ("+", world.official)


def test_recording_a_stage_for_several_enterprises_at_once_names_the_official(as_official, world):
    second = services.enterprise_create(site=world.site, name="示例企业乙", user=world.admin)

    response = as_official.post(
        reverse("clearance:site_events_bulk", args=[world.site.pk]),
        {"bulk-enterprises": [world.enterprise.pk, second.pk], "bulk-stage": Stage.SURVEYED,
         "bulk-occurred_on": "2022-01-10"},
    )

    assert response.status_code == 302
    events = Event.objects.filter(stage=Stage.SURVEYED).order_by("pk")
    assert [last_change(Event, event.pk) for event in events] == [("+", world.official)] * 2


def test_correcting_a_date_on_the_page_names_the_official_and_keeps_the_old_date(as_official, world):
    response = as_official.post(
        reverse("clearance:event_update", args=[world.event.pk]),
        {"version": world.event.version, "occurred_on": "2022-04-01", "note": "日期有误", "phase": PhotoPhase.DURING},
    )

    assert response.status_code == 302
    assert last_change(Event, world.event.pk) == ("~", world.official)
    dates = [record.occurred_on for record in world.event.history.order_by("history_date", "history_id")]
    assert dates == [date(2022, 3, 1), date(2022, 4, 1)]


def test_deleting_an_event_on_the_page_names_the_official_for_it_and_its_photos(as_official, world):
    event = services.event_record(enterprise=world.enterprise, stage=Stage.NEGOTIATING, on=date(2022, 2, 1),
                                  user=world.admin)
    photo = services.photo_add(event=event, upload=png(), phase=PhotoPhase.DURING, user=world.admin)

    response = as_official.post(reverse("clearance:event_delete", args=[event.pk]), {"version": event.version})

    assert response.status_code == 302
    assert last_change(Event, event.pk) == ("-", world.official)
    assert last_change(Photo, photo.pk) == ("-", world.official)


def test_creating_and_editing_a_site_on_the_pages_names_the_official(as_official, world):
    created = as_official.post(
        reverse("clearance:site_create", args=[world.town.pk]), {"name": "新埭地块", "area_mu": "12.50"}
    )
    site = Site.objects.get(name="新埭地块")
    edited = as_official.post(
        reverse("clearance:site_update", args=[site.pk]),
        {"version": site.version, "name": "新埭地块", "area_mu": "13.00", "parent": world.site.pk},
    )

    assert (created.status_code, edited.status_code) == (302, 302)
    records = site.history.order_by("history_date", "history_id")
    assert [(record.history_type, record.history_user, record.area_mu) for record in records] == [
        ("+", world.official, Decimal("12.50")),
        ("~", world.official, Decimal("13.00")),
    ]


def test_creating_and_editing_an_enterprise_on_the_pages_names_the_official(as_official, world):
    fields = {"name": "示例企业丙", "site": world.site.pk, "disposal": Disposal.SHUT_DOWN, "annual_energy_tce": "100",
              "energy_freed_tce": "40"}
    created = as_official.post(reverse("clearance:enterprise_create", args=[world.site.pk]), fields)
    enterprise = Enterprise.objects.get(name="示例企业丙")
    edited = as_official.post(
        reverse("clearance:enterprise_update", args=[enterprise.pk]),
        {**fields, "version": enterprise.version, "energy_freed_tce": "55.5"},
    )

    assert (created.status_code, edited.status_code) == (302, 302)
    records = enterprise.history.order_by("history_date", "history_id")
    assert [(record.history_type, record.history_user, record.energy_freed_tce) for record in records] == [
        ("+", world.official, Decimal("40.00")),
        ("~", world.official, Decimal("55.50")),
    ]


# The admin -------------------------------------------------------------------------------------------------


def _post_value(value):
    if hasattr(value, "pk"):
        return str(value.pk)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def form_data(response) -> dict:
    """Return what the admin page's form posts as it stands: the main form and every inline formset."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name, field in form.fields.items():
            key, value = form.add_prefix(name), form[name].value()
            if field.disabled or isinstance(field, FileField):
                continue
            if isinstance(field.widget, MultiWidget):
                parts = value if isinstance(value, list) else field.widget.decompress(value)
                data.update({f"{key}_{index}": _post_value(part) for index, part in enumerate(parts) if part})
            elif isinstance(field, BooleanField):
                if value:
                    data[key] = "on"
            elif isinstance(value, (list, tuple)):
                data[key] = [_post_value(each) for each in value]
            elif value is not None:
                data[key] = _post_value(value)
    return data


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def admin_post(client, url: str, changes: dict, files: dict | None = None):
    """Open the admin form at URL, apply CHANGES to what it shows and save; fail with the form's errors."""
    data = {**form_data(client.get(url)), **changes, **(files or {})}
    response = client.post(url, data)
    if response.status_code != 302:
        errors = [response.context["adminform"].form.errors] if response.context else []
        errors += [formset.errors for formset in (response.context or {}).get("inline_admin_formsets", [])]
        pytest.fail(f"the admin refused {url}: {errors}")
    return response


def _free_town_and_head(world):
    town = services.town_upsert(name="新埭镇", kind=TownKind.TOWN, user=world.admin).obj
    head = services.bureau_head_upsert(bureau_name="市市场监管局", head_name="钱局长", user=world.admin)
    return town, head


def _task_force(world) -> TaskForce:
    return TaskForce.objects.get(pairing__town=world.town, pairing__ended_on__isnull=True)


def _pairing_without_task_force(world) -> Pairing:
    town, head = _free_town_and_head(world)
    return Pairing.objects.create(town=town, head=head, started_on=date(2022, 2, 1))


def _county(world) -> County:
    return services.county_upsert(name="平湖市", is_home=True, user=world.admin).obj


# Per model: the fields to add one with, a change to make, and the field that shows the change was saved.
ADMIN_CASES = {
    Town: lambda world: ({"name": "新仓镇", "kind": TownKind.TOWN, "display_order": "3"}, {"display_order": "5"}),
    County: lambda world: ({"name": "海宁市", "display_order": "2"}, {"display_order": "4"}),
    Bureau: lambda world: ({"name": "市财政局"}, {"name": "市财政局（新）"}),
    BureauHead: lambda world: (
        {"name": "李局长", "bureau": Bureau.objects.get(name="市应急管理局").pk}, {"name": "李副局长"}
    ),
    Pairing: lambda world: (
        dict(zip(("town", "head"), (obj.pk for obj in _free_town_and_head(world))), started_on="2022-02-01"),
        {"note": "联挂调整"},
    ),
    TaskForce: lambda world: (
        {"pairing": _pairing_without_task_force(world).pk, "name": "新埭镇专班"}, {"name": "新埭镇工作专班"}
    ),
    TaskForceMember: lambda world: (
        {"task_force": _task_force(world).pk, "person_name": "王五", "role": MemberRole.MEMBER, "unit": "镇政府"},
        {"unit": "镇经济发展办"},
    ),
    AttackGroup: lambda world: (
        {"task_force": _task_force(world).pk, "name": "第二攻坚小组", "leader_name": "赵六"}, {"leader_name": "孙七"}
    ),
    Site: lambda world: ({"name": "新地块", "town": world.town.pk, "area_mu": "12.50"}, {"area_mu": "14.00"}),
    Enterprise: lambda world: (
        {"name": "示例企业丁", "town": world.town.pk, "site": world.site.pk, "disposal": Disposal.VACATE,
         "annual_energy_tce": "10", "energy_freed_tce": "5"},
        {"energy_freed_tce": "7.50"},
    ),
    Event: lambda world: (
        {"enterprise": world.enterprise.pk, "stage": Stage.NEGOTIATING, "occurred_on": "2022-02-01"},
        {"occurred_on": "2022-02-05"},
    ),
    Photo: lambda world: ({"event": world.event.pk, "phase": PhotoPhase.DURING, "caption": "签约"}, {"caption": "签约现场"}),
    Target: lambda world: (
        {"year": "2023", "metric": Metric.ENTERPRISES_RECTIFIED, "town": world.town.pk, "value": "20"},
        {"value": "25"},
    ),
    BulletinFigure: lambda world: (
        {"county": _county(world).pk, "year": "2022", "month": "8", "metric": Metric.LAND_VACATED_MU,
         "actual": "3163", "target": "2500"},
        {"actual": "3200"},
    ),
}


@pytest.mark.parametrize("model", list(ADMIN_CASES), ids=lambda model: model.__name__)
def test_admin_add_change_and_delete_are_each_attributed_to_the_admin(admin_client, admin_user, world, model):
    added, changed = ADMIN_CASES[model](world)
    before = set(model.objects.values_list("pk", flat=True))

    admin_post(admin_client, admin_url(model, "add"), added, files={"image": png()} if model is Photo else None)
    (pk,) = set(model.objects.values_list("pk", flat=True)) - before
    assert last_change(model, pk) == ("+", admin_user)

    admin_post(admin_client, admin_url(model, "change", pk), changed)
    assert last_change(model, pk) == ("~", admin_user)
    (field, value), = changed.items()
    assert _post_value(getattr(model.objects.get(pk=pk), field)) in (value, f"{value}.00")

    response = admin_client.post(admin_url(model, "delete", pk), {"post": "yes"})
    assert response.status_code == 302
    assert not model.objects.filter(pk=pk).exists()
    assert last_change(model, pk) == ("-", admin_user)


def test_admin_changing_a_task_forces_member_bureaus_is_kept_in_its_history(admin_client, admin_user, world):
    task_force = _task_force(world)
    finance = services.bureau_head_upsert(bureau_name="市财政局", head_name="周局长", user=world.admin).bureau
    bureaus = sorted([*task_force.member_bureaus.values_list("pk", flat=True), finance.pk])
    url = admin_url(TaskForce, "change", task_force.pk)

    admin_post(admin_client, url, {"member_bureaus": [str(pk) for pk in bureaus]})

    record = task_force.history.order_by("-history_date", "-history_id").first()
    assert (record.history_type, record.history_user) == ("~", admin_user)
    assert sorted(record.member_bureaus.values_list("bureau_id", flat=True)) == bureaus


def test_admin_deleting_a_photo_on_its_event_page_is_attributed_to_the_admin(admin_client, admin_user, world):
    photo = services.photo_add(event=world.event, upload=png(), phase=PhotoPhase.DURING, user=world.official)
    url = admin_url(Event, "change", world.event.pk)

    admin_post(admin_client, url, {"photos-0-DELETE": "on"})

    assert not Photo.objects.filter(pk=photo.pk).exists()
    assert last_change(Photo, photo.pk) == ("-", admin_user)


def test_admin_deleting_a_pairing_records_who_deleted_its_task_force_and_members(admin_client, admin_user, world):
    town, head = _free_town_and_head(world)
    pairing = services.pairing_start(town=town, head=head, started_on=date(2022, 2, 1), user=world.admin)
    task_force, member = pairing.task_force, pairing.task_force.members.get()

    response = admin_client.post(admin_url(Pairing, "delete", pairing.pk), {"post": "yes"})

    assert response.status_code == 302
    assert [last_change(model, pk) for model, pk in ((Pairing, pairing.pk), (TaskForce, task_force.pk),
                                                     (TaskForceMember, member.pk))] == [("-", admin_user)] * 3


def test_admin_deleting_an_attack_group_records_who_took_it_off_its_enterprises(admin_client, admin_user, world):
    group = AttackGroup.objects.get(task_force=_task_force(world))
    services.enterprise_update(enterprise=world.enterprise, expected_version=world.enterprise.version,
                             user=world.official, responsible_group=group)

    response = admin_client.post(admin_url(AttackGroup, "delete", group.pk), {"post": "yes"})

    assert response.status_code == 302
    world.enterprise.refresh_from_db()
    assert world.enterprise.responsible_group is None
    assert last_change(Enterprise, world.enterprise.pk) == ("~", admin_user)
    assert world.enterprise.history.order_by("-history_date", "-history_id").first().responsible_group_id is None


def test_admin_hand_over_names_the_admin_on_the_ended_and_the_new_pairing(admin_client, admin_user, world):
    old = Pairing.objects.active().get(town=world.town)
    head = services.bureau_head_upsert(bureau_name="市市场监管局", head_name="钱局长", user=world.leader)

    admin_post(admin_client, admin_url(Pairing, "add"),
               {"town": world.town.pk, "head": head.pk, "started_on": "2022-06-01", "hand_over": "on"})

    new = Pairing.objects.active().get(town=world.town)
    moved = new.task_force.members.get(user=world.official)
    assert [last_change(Pairing, old.pk), last_change(Pairing, new.pk), last_change(TaskForceMember, moved.pk)] == [
        ("~", admin_user), ("+", admin_user), ("+", admin_user)
    ]


def test_admin_copying_targets_to_the_next_year_names_the_admin(admin_client, admin_user, world):
    target = services.target_set(year=2022, metric=Metric.LAND_VACATED_MU, value=Decimal("300"), town=world.town,
                                 user=world.leader)

    response = admin_client.post(
        admin_url(Target, "changelist"), {"action": "copy_allocation_to_next_year", "_selected_action": [target.obj.pk]}
    )

    assert response.status_code == 302
    copied = Target.objects.get(year=2023, town=world.town)
    assert (copied.value, last_change(Target, copied.pk)) == (Decimal("300"), ("+", admin_user))


def test_admin_list_editing_the_towns_order_names_the_admin(admin_client, admin_user, world):
    towns = list(Town.objects.order_by("pk"))
    data = {"form-TOTAL_FORMS": str(len(towns)), "form-INITIAL_FORMS": str(len(towns)), "_save": "保存"}
    for index, town in enumerate(towns):
        data.update({f"form-{index}-id": town.pk, f"form-{index}-display_order": str(10 + index)})

    response = admin_client.post(admin_url(Town, "changelist"), data)

    assert response.status_code == 302
    assert [last_change(Town, town.pk) for town in towns] == [("~", admin_user)] * len(towns)


def test_admin_changes_to_users_and_groups_are_in_the_admins_log_with_the_admin(admin_client, admin_user, world):
    # Accounts carry no simple_history table (it would copy password hashes); Django's admin log keeps who did what.
    admin_post(admin_client, admin_url(Group, "add"), {"name": "巡查组"})
    admin_post(admin_client, admin_url(get_user_model(), "change", world.leader.pk), {"first_name": "领导"})

    entries = LogEntry.objects.order_by("action_time", "pk")
    assert [(entry.user, entry.action_flag, entry.object_repr) for entry in entries] == [
        (admin_user, ADDITION, "巡查组"), (admin_user, CHANGE, "leader-x"),
    ]


# Imports -----------------------------------------------------------------------------------------------------


def ledger_file(path, *, area: str, signed: str):
    workbook = Workbook()
    workbook.remove(workbook.active)
    sheets = {
        "地块": (SITE_COLUMNS, [["新埭地块", "曹桥街道", area, "", "工业", ""]]),
        "企业": (ENTERPRISE_COLUMNS, [["新埭纺织厂", "", "曹桥街道", "新埭地块", "高耗低效", "腾退收回", "100", "60",
                                     signed, "", ""]]),
    }
    for name, (header, rows) in sheets.items():
        sheet = workbook.create_sheet(name)
        sheet.append(list(header))
        for row in rows:
            sheet.append(row)
    file = path / "台账.xlsx"
    workbook.save(file)
    return file


def test_ledger_import_names_its_user_on_every_row_it_adds_or_changes(tmp_path, world):
    ledger_import(path=ledger_file(tmp_path, area="20.00", signed="2022-03-01"), user=world.admin)
    site, enterprise = Site.objects.get(name="新埭地块"), Enterprise.objects.get(name="新埭纺织厂")
    event = enterprise.events.get()
    added = [last_change(Site, site.pk), last_change(Enterprise, enterprise.pk), last_change(Event, event.pk)]

    ledger_import(path=ledger_file(tmp_path, area="22.00", signed="2022-03-05"), user=world.leader)

    assert added == [("+", world.admin)] * 3
    assert [last_change(Site, site.pk), last_change(Event, event.pk)] == [("~", world.leader)] * 2


def test_ledger_import_page_names_the_admin_who_confirmed_it(admin_client, admin_user, world, tmp_path):
    file = ledger_file(tmp_path, area="20.00", signed="2022-03-01")
    url = reverse("clearance:ledger_import")
    with open(file, "rb") as upload:
        preview = admin_client.post(url, {"workbook": upload})
    assert preview.status_code == 302

    confirmed = admin_client.post(preview.url, {"confirm": "1"})

    assert (confirmed.status_code, confirmed.url) == (302, preview.url)
    enterprise = Enterprise.objects.get(name="新埭纺织厂")
    assert [last_change(Enterprise, enterprise.pk), last_change(Event, enterprise.events.get().pk)] == [
        ("+", admin_user)
    ] * 2


def test_bulletin_import_names_its_user(world):
    county = services.county_upsert(name="海宁市", user=world.admin).obj
    header = {column: column for column in BULLETIN_COLUMNS}
    row = dict(zip(BULLETIN_COLUMNS, ("海宁市", 2022, 8, "腾退低效用地", "2800", "2600")))

    bulletin_import(rows=[(1, header), (2, row)], sheet="通报", user=world.leader)

    figure = BulletinFigure.objects.get(county=county)
    assert last_change(BulletinFigure, figure.pk) == ("+", world.leader)


# The services, called directly (commands, the demo, other services) ------------------------------------------


def _services_write_references(world, user):
    town = services.town_upsert(name="新仓镇", kind=TownKind.TOWN, user=user).obj
    county = services.county_upsert(name="海盐县", user=user).obj
    head = services.bureau_head_upsert(bureau_name="市财政局", head_name="周局长", user=user)
    pairing = services.pairing_start(town=town, head=head, started_on=date(2022, 1, 1), user=user)
    member = services.task_force_member_upsert(task_force=pairing.task_force, person_name="吴八", user=user)
    group = services.attack_group_upsert(task_force=pairing.task_force, name="攻坚一组", user=user)
    target = services.target_set(year=2022, metric=Metric.ENERGY_FREED_TCE, value=Decimal("500"), town=town, user=user)
    figure = services.bulletin_figure_set(county=county, year=2022, month=8, metric=Metric.ENERGY_FREED_TCE,
                                          actual=Decimal("1"), target=None, user=user).obj
    return [(Town, town.pk, "+"), (County, county.pk, "+"), (Bureau, head.bureau.pk, "+"), (BureauHead, head.pk, "+"),
            (Pairing, pairing.pk, "+"), (TaskForce, pairing.task_force.pk, "~"), (TaskForceMember, member.pk, "+"),
            (AttackGroup, group.pk, "+"), (Target, target.obj.pk, "+"), (BulletinFigure, figure.pk, "+")]


def _services_hand_over(world, user):
    old = Pairing.objects.active().get(town=world.town)
    head = services.bureau_head_upsert(bureau_name="市财政局", head_name="周局长", user=world.admin)
    new = services.pairing_change(town=world.town, new_head=head, on=date(2022, 7, 1), user=user)
    copied = services.targets_copy_year(from_year=2022, user=user)
    assert copied == (1, 0)
    return [(Pairing, old.pk, "~"), (Pairing, new.pk, "+"),
            (TaskForceMember, new.task_force.members.get(user=world.official).pk, "+"),
            (Target, Target.objects.get(year=2023).pk, "+")]


def _services_write_sites_and_enterprises(world, user):
    site = services.site_upsert(town=world.town, name="新地块", area_mu=Decimal("5"), user=user).obj
    site = services.site_update(site=site, expected_version=site.version, user=user, notes="补测")
    enterprise = services.enterprise_upsert(town=world.town, name="示例企业戊", site=site, user=user).obj
    services.enterprise_update(enterprise=enterprise, expected_version=enterprise.version, user=user,
                             energy_freed_tce=Decimal("3"))
    created = services.enterprise_create(site=site, name="示例企业己", user=user)
    return [(Site, site.pk, "~"), (Enterprise, enterprise.pk, "~"), (Enterprise, created.pk, "+")]


def _services_write_events(world, user):
    negotiated = services.event_record(enterprise=world.enterprise, stage=Stage.NEGOTIATING,
                                                   on=date(2022, 2, 1), user=user, photos=[png()])
    services.event_correct(event=negotiated, expected_version=negotiated.version, user=user, on=date(2022, 2, 2),
                        note="更正", photos=[png("b.png")])
    vacated = services.event_upsert(enterprise=world.enterprise, stage=Stage.VACATED, on=date(2022, 4, 1), user=user)
    services.event_upsert(enterprise=world.enterprise, stage=Stage.VACATED, on=date(2022, 4, 3), user=user)
    parcel_vacated = services.event_record(site=world.parcel, stage=Stage.VACATED, on=date(2022, 5, 1), user=user)
    photos = list(negotiated.photos.values_list("pk", flat=True))
    services.event_delete(event=vacated.obj, expected_version=vacated.obj.version + 1, user=user)
    surveyed = services.events_record_bulk(site=world.site, enterprises=[world.enterprise], stage=Stage.SURVEYED,
                                           on=date(2022, 1, 5), user=user)
    services.event_delete(event=negotiated, expected_version=negotiated.version + 1, user=user)
    return [(Event, vacated.obj.pk, "-"), (Event, parcel_vacated.pk, "+"), (Event, surveyed[0].pk, "+"),
            (Event, negotiated.pk, "-"), *((Photo, pk, "-") for pk in photos)]


@pytest.mark.parametrize(
    "writes",
    [_services_write_references, _services_hand_over, _services_write_sites_and_enterprises, _services_write_events],
    ids=lambda writes: writes.__name__.removeprefix("_services_"),
)
def test_services_called_with_a_user_name_that_user_on_every_history_row(world, writes):
    services.target_set(year=2022, metric=Metric.ENTERPRISES_RECTIFIED, value=Decimal("190"), town=world.town,
                        user=world.admin)
    auditor = get_user_model().objects.create_user("auditor-z")

    expected = writes(world, auditor)

    assert [(model.__name__, pk, *last_change(model, pk)) for model, pk, _action in expected] == [
        (model.__name__, pk, action, auditor) for model, pk, action in expected
    ]


# The audit page ----------------------------------------------------------------------------------------------

TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2} ")


def audit_rows(response) -> list[str]:
    """Return each change the audit page lists as text, without its time: who, change, record, town, old → new."""
    assert response.status_code == 200
    rows = re.findall(r"<tr data-audit-entry.*?</tr>", response.content.decode(), re.DOTALL)
    return [TIME.sub("", " ".join(strip_tags(row).split())) for row in rows]


def audit(client, **filters):
    return client.get(reverse("clearance:audit"), filters)


def test_a_leader_sees_who_corrected_an_event_date_with_the_old_and_new_dates(client, world):
    client.force_login(world.official)
    client.post(reverse("clearance:event_update", args=[world.event.pk]),
                {"version": world.event.version, "occurred_on": "2022-04-01", "note": ""})
    client.force_login(world.leader)

    rows = audit_rows(audit(client, kind="event"))

    assert rows[0] == "official-a 修改 进度事件 示例企业甲 · 签约 曹桥街道 日期：2022-03-01 → 2022-04-01"
    assert rows[1] == "official-a 新增 进度事件 示例企业甲 · 签约 曹桥街道 日期：— → 2022-03-01"


def test_the_audit_page_shows_what_each_kind_of_record_brought_to_the_figures(client, world):
    services.target_set(year=2022, metric=Metric.LAND_VACATED_MU, value=Decimal("300"), town=world.town,
                        user=world.admin)
    services.enterprise_update(enterprise=world.enterprise, expected_version=world.enterprise.version,
                             user=world.official, energy_freed_tce=Decimal("80.5"), disposal=Disposal.SHUT_DOWN)
    services.site_update(site=world.parcel, expected_version=world.parcel.version, user=world.admin,
                         area_mu=Decimal("21"))
    client.force_login(world.leader)

    rows = audit_rows(audit(client))

    assert rows[:3] == [
        "admin-x 修改 地块 原胜利钢厂地块 曹桥街道 面积（亩）：20.43 → 21.00",
        "official-a 修改 企业 示例企业甲 曹桥街道 处置方式：— → 关停淘汰 腾出用能（吨标准煤）：0.00 → 80.50",
        "admin-x 新增 目标 2022 腾退低效用地 曹桥街道 目标：— → 300.00",
    ]
    assert "admin-x 新增 地块 原胜利钢厂地块 曹桥街道 镇街道：— → 曹桥街道 所属区域：— → 六店区域 面积（亩）：— → 20.43" in rows


def test_a_deleted_event_shows_its_date_going_away(client, world):
    event = services.event_record(enterprise=world.enterprise, stage=Stage.NEGOTIATING, on=date(2022, 2, 1),
                                  user=world.official)
    services.event_delete(event=event, expected_version=event.version, user=world.official)
    client.force_login(world.leader)

    rows = audit_rows(audit(client))

    assert rows[0] == "official-a 删除 进度事件 示例企业甲 · 洽谈 曹桥街道 日期：2022-02-01 → —"


def test_an_official_sees_their_own_change_on_their_towns_audit_page(client, world):
    services.event_record(enterprise=world.other_enterprise, stage=Stage.SIGNED, on=date(2022, 5, 1),
                          user=world.other_official)
    client.force_login(world.official)
    client.post(reverse("clearance:enterprise_event_create", args=[world.enterprise.pk]),
                {"stage": Stage.NEGOTIATING, "occurred_on": "2022-02-01"})

    rows = audit_rows(audit(client, town=world.town.pk, kind="event"))

    assert rows == [
        "official-a 新增 进度事件 示例企业甲 · 洽谈 曹桥街道 日期：— → 2022-02-01",
        "official-a 新增 进度事件 示例企业甲 · 签约 曹桥街道 日期：— → 2022-03-01",
    ]


def test_the_audit_page_filters_by_town_user_kind_and_dates(client, world):
    services.event_record(enterprise=world.other_enterprise, stage=Stage.SIGNED, on=date(2022, 5, 1),
                          user=world.other_official)
    client.force_login(world.leader)
    today = timezone.localdate()

    by_town = audit_rows(audit(client, town=world.other_town.pk))
    by_user = audit_rows(audit(client, user=world.other_official.pk))
    by_kind = audit_rows(audit(client, kind="site"))
    today_only = audit_rows(audit(client, since=today.isoformat(), until=today.isoformat()))
    before_today = audit_rows(audit(client, until=(today - timedelta(days=1)).isoformat()))

    assert by_town == [
        "official-b 新增 进度事件 林埭示例企业 · 签约 林埭镇 日期：— → 2022-05-01",
        "admin-x 新增 企业 林埭示例企业 林埭镇 镇街道：— → 林埭镇 地块：— → 林埭示例地块 腾出用能（吨标准煤）：— → 0.00",
        "admin-x 新增 地块 林埭示例地块 林埭镇 镇街道：— → 林埭镇 面积（亩）：— → 8.00",
    ]
    assert by_user == [by_town[0]]
    assert [row.split(" ")[3] for row in by_kind] == ["林埭示例地块", "原胜利钢厂地块", "六店区域"]
    assert len(today_only) == 7
    assert before_today == []


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"since": "2022-13-01"}, "输入一个有效的日期。"),
        ({"since": "2022-06-02", "until": "2022-06-01"}, "起始日期晚于截止日期。"),
        ({"town": "999999"}, "选择一个有效的选项： 该选择不在可用的选项中。"),
        ({"kind": "photo"}, "选择一个有效的选项。 photo 不在可用的选项中。"),
    ],
)
def test_a_bad_filter_says_why_and_lists_nothing(client, world, filters, message):
    client.force_login(world.leader)

    response = audit(client, **filters)

    assert message in response.content.decode()
    assert audit_rows(response) == []
    assert 'data-audit-count="0"' in response.content.decode()


def _grow_history(world, count: int) -> None:
    for index in range(count):
        site = services.site_create(town=world.town, name=f"增量地块{index:03d}", area_mu=Decimal("1"), user=world.admin)
        services.site_update(site=site, expected_version=site.version, user=world.official, area_mu=Decimal("2"))
        services.target_set(year=2000 + index, metric=Metric.ENERGY_FREED_TCE, value=Decimal(index), town=world.town,
                            user=world.admin)


def _queries_of_audit_page(client) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        rows = audit_rows(audit(client))
    return len(queries), len(rows)


def test_the_audit_page_reads_a_constant_number_of_queries_whatever_the_rows(client, world):
    client.force_login(world.leader)
    small = _queries_of_audit_page(client)
    _grow_history(world, 20)  # 60 more rows: a full page of 50 and a second one
    large = _queries_of_audit_page(client)

    assert small[0] == large[0]
    assert (small[1], large[1]) == (6, 50)


def test_the_audit_page_pages_through_older_changes(client, world):
    _grow_history(world, 20)
    client.force_login(world.leader)

    first, second = audit(client, town=world.town.pk), audit(client, town=world.town.pk, page=2)

    assert len(audit_rows(first)) == 50
    assert audit_rows(second)[-1].startswith("admin-x 新增 地块 六店区域 曹桥街道")
    assert f'href="?town={world.town.pk}&amp;page=2" rel="next"' in first.content.decode()
    assert "第 2 页，共 2 页" in second.content.decode()


def test_the_town_page_and_the_navigation_lead_to_the_audit_page(client, world):
    client.force_login(world.leader)

    town_page = client.get(reverse("clearance:town_detail", args=[world.town.pk])).content.decode()
    dashboard = client.get(reverse("clearance:home")).content.decode()

    audit_url = reverse("clearance:audit")
    year, month = selectors.default_period()
    # The change log of the figures shown: the period, and the town on its page.
    link = f'<a class="btn btn-outline-secondary btn-sm" href="{audit_url}?town={world.town.pk}&amp;year={year}&amp;month={month}" data-audit-link>'
    assert f"{link}谁改了这个数？</a>" in town_page
    assert f'href="{audit_url}?year={year}&amp;month={month}" data-audit-link>谁改了这个数？</a>' in dashboard
    # Each card asks about its own figure.
    assert (f'href="{audit_url}?year={year}&amp;month={month}&amp;metric=enterprises_rectified" '
            f'data-audit-link="enterprises_rectified">谁改了这个数？</a>') in dashboard
    assert f'<a class="nav-link" href="{audit_url}">变更记录</a>' in dashboard


def test_the_audit_page_filtered_by_a_figure_lists_only_the_changes_behind_it(client, world):
    # 销号 in March (counted by the figure), a 签约 (not counted), a parcel vacated in September (another period).
    enterprise = world.enterprise
    close_out_after_signed = [(Stage.VACATED, date(2022, 3, 10)), (Stage.CLOSED, date(2022, 3, 20))]
    for stage, on in close_out_after_signed:
        services.event_record(enterprise=enterprise, stage=stage, on=on, user=world.official)
    services.event_record(site=world.parcel, stage=Stage.VACATED, on=date(2022, 9, 1), user=world.admin)
    client.force_login(world.leader)

    closed = audit_rows(audit(client, town=world.town.pk, metric="enterprises_rectified", year=2022, month=8))
    land_august = audit_rows(audit(client, metric="land_vacated_mu", year=2022, month=8))
    land_september = audit_rows(audit(client, metric="land_vacated_mu", year=2022, month=9))

    # The 销号 event and the enterprise closed out by then; not its 签约 or 腾退, nor the parcel.
    assert [row for row in closed if "进度事件" in row] == ["official-a 新增 进度事件 示例企业甲 · 销号 曹桥街道 日期：— → 2022-03-20"]
    assert any(row.startswith("admin-x 新增 企业 示例企业甲") for row in closed)
    assert not any("原胜利钢厂地块" in row for row in closed)
    assert land_august == []
    assert [row for row in land_september if "进度事件" in row] == [
        "admin-x 新增 进度事件 原胜利钢厂地块 · 腾退 曹桥街道 日期：— → 2022-09-01"
    ]
    assert any(row.startswith("admin-x 新增 地块 原胜利钢厂地块") for row in land_september)


def test_the_audit_page_refuses_a_figure_without_its_year(client, world):
    client.force_login(world.leader)

    response = audit(client, metric="enterprises_rectified")

    assert 'data-audit-count="0"' in response.content.decode()
    assert "请选择该数字的年度。" in response.content.decode()
