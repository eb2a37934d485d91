"""The admin's one write path: every form refuses with the service's own message and code, and saves as the pages do."""

import ast
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from PIL import Image

import clearance.admin
from clearance import services
from clearance.choices import Metric, PhotoPhase, Stage, TownKind
from clearance.models import (
    AttackGroup,
    Bureau,
    BulletinFigure,
    County,
    Enterprise,
    Event,
    Pairing,
    Photo,
    Site,
    TaskForce,
    Target,
    Town,
)

pytestmark = pytest.mark.django_db

HISTORY_MODELS = [
    model for model in apps.get_app_config("clearance").get_models() if model.__name__.startswith("Historical")
]
# What differs between two runs of the same write: when, the history's own keys, files' random names.
VOLATILE = {"history_id", "history_date", "m2m_history_id", "history", "recorded_at", "uploaded_at", "image", "thumbnail"}
CATEGORIES = ["is_two_high_one_low", "is_high_consumption", "is_low_scattered", "is_factory_in_factory", "is_tenant"]


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:clearance_{model._meta.model_name}_{view}", args=args)


def png_upload(name: str = "photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "green").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def management(prefix: str, total: int = 0, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000",
    }


@pytest.fixture
def records_world(admin_user, media) -> dict:
    """A paired town with an area, a parcel, an enterprise on it with a photo of its 签约, and a free head."""
    user = admin_user
    town = services.town_upsert(name="曹桥街道", kind=TownKind.SUBDISTRICT, user=user).obj
    other_town = services.town_upsert(name="林埭镇", kind=TownKind.TOWN, user=user).obj
    head = services.bureau_head_upsert(bureau_name="市应急管理局", head_name="张明", user=user)
    free_head = services.bureau_head_upsert(bureau_name="市经信局", head_name="李华", user=user)
    pairing = services.pairing_start(town=town, head=head, started_on=date(2022, 1, 1), user=user)
    group = services.attack_group_upsert(task_force=pairing.task_force, name="第一攻坚小组", user=user)
    area = services.site_upsert(town=town, name="六店区域", area_mu=Decimal("360.50"), user=user).obj
    parcel = services.site_upsert(town=town, name="原胜利钢厂地块", area_mu=Decimal("20.43"), parent=area, user=user).obj
    enterprise = services.enterprise_upsert(
        town=town, name="示例钢铁有限公司", site=parcel, is_tenant=True, responsible_group=group, user=user
    ).obj
    signed = services.event_record(enterprise=enterprise, stage=Stage.SIGNED, on=date(2022, 3, 1), user=user)
    photo = services.photo_add(event=signed, upload=png_upload(), phase=PhotoPhase.DURING, caption="签约", user=user)
    county = services.county_upsert(name="平湖市", is_home=True, user=user).obj
    return {
        "town": town, "other_town": other_town, "head": head, "free_head": free_head, "pairing": pairing,
        "group": group, "area": area, "parcel": parcel, "enterprise": enterprise, "signed": signed, "photo": photo,
        "county": county,
    }


# What the admin shows and what the service says --------------------------------------------------


def shown_errors(form) -> set:
    """(field, message, code) of every error FORM shows."""
    return {
        (field, message, error.code)
        for field, errors in form.errors.as_data().items()
        for error in errors
        for message in error.messages
    }


def service_errors(call, form) -> set:
    """(field, message, code) of the service's refusal, each field as FORM shows it (a field it lacks: non-field)."""
    with translation.override(settings.LANGUAGE_CODE):
        with pytest.raises(ValidationError) as caught, transaction.atomic():
            call()
        error = caught.value
        items = error.error_dict.items() if hasattr(error, "error_dict") else [(NON_FIELD_ERRORS, error.error_list)]
        return {
            (field if field in form.fields else NON_FIELD_ERRORS, message, each.code)
            for field, errors in items
            for each in errors
            for message in each.messages
        }


def assert_shows_the_service_refusal(response, form, call) -> None:
    assert response.status_code == 200
    shown = shown_errors(form)
    assert shown == service_errors(call, form)
    content = response.content.decode()
    assert all(escape(message) in content for _field, message, _code in shown)


def main_form(response):
    return response.context["adminform"].form


def test_pairing_add_refuses_a_paired_town_as_pairing_start_does(admin_client, admin_user, records_world):
    data = {"town": records_world["town"].pk, "head": records_world["free_head"].pk, "started_on": "2022-09-01"}
    call = lambda: services.pairing_start(  # noqa: E731
        town=records_world["town"], head=records_world["free_head"], started_on=date(2022, 9, 1), user=admin_user
    )

    response = admin_client.post(admin_url(Pairing, "add"), data)

    assert_shows_the_service_refusal(response, main_form(response), call)
    assert {code for _f, _m, code in shown_errors(main_form(response))} == {"town_already_paired"}


def test_pairing_add_refuses_a_head_paired_elsewhere_as_pairing_start_does(admin_client, admin_user, records_world):
    data = {"town": records_world["other_town"].pk, "head": records_world["head"].pk, "started_on": "2022-09-01"}
    call = lambda: services.pairing_start(  # noqa: E731
        town=records_world["other_town"], head=records_world["head"], started_on=date(2022, 9, 1), user=admin_user
    )

    response = admin_client.post(admin_url(Pairing, "add"), data)

    assert_shows_the_service_refusal(response, main_form(response), call)
    assert {code for _f, _m, code in shown_errors(main_form(response))} == {"head_already_paired"}


def test_pairing_hand_over_before_the_start_is_refused_as_pairing_change_does(admin_client, admin_user, records_world):
    data = {"town": records_world["town"].pk, "head": records_world["free_head"].pk, "started_on": "2021-12-01", "hand_over": "on"}
    call = lambda: services.pairing_change(  # noqa: E731
        town=records_world["town"], new_head=records_world["free_head"], on=date(2021, 12, 1), user=admin_user
    )

    response = admin_client.post(admin_url(Pairing, "add"), data)

    assert_shows_the_service_refusal(response, main_form(response), call)
    assert {(f, code) for f, _m, code in shown_errors(main_form(response))} == {("started_on", "change_before_start")}


def test_pairing_reopening_is_refused_as_pairing_update_does(admin_client, admin_user, records_world):
    old = records_world["pairing"]
    services.pairing_change(town=records_world["town"], new_head=records_world["free_head"], on=date(2022, 9, 1), user=admin_user)
    data = {
        "started_on": "2022-01-01", "ended_on": "", "note": "",
        **management("task_force", 1, 1), "task_force-0-id": old.task_force.pk, "task_force-0-pairing": old.pk,
    }
    call = lambda: services.pairing_update(  # noqa: E731
        pairing=old, started_on=date(2022, 1, 1), ended_on=None, note="", user=admin_user
    )

    response = admin_client.post(admin_url(Pairing, "change", old.pk), data)

    assert_shows_the_service_refusal(response, main_form(response), call)
    assert {(f, code) for f, _m, code in shown_errors(main_form(response))} == {("ended_on", "town_already_paired")}


@pytest.mark.parametrize(
    ("subject", "stage", "code"),
    [("none", Stage.SURVEYED, "no_subject"), ("both", Stage.VACATED, "two_subjects"),
     ("enterprise", Stage.SIGNED, "stage_already_recorded")],
)
def test_event_add_refuses_as_event_record_does(admin_client, admin_user, records_world, subject, stage, code):
    enterprise = records_world["enterprise"] if subject in ("enterprise", "both") else None
    site = records_world["parcel"] if subject == "both" else None
    data = {
        "enterprise": enterprise.pk if enterprise else "", "site": site.pk if site else "", "stage": stage,
        "occurred_on": "2022-04-01", "note": "", **management("photos"),
    }
    call = lambda: services.event_record(  # noqa: E731
        stage=stage, on=date(2022, 4, 1), enterprise=enterprise, site=site, note="", user=admin_user
    )

    response = admin_client.post(admin_url(Event, "add"), data)

    assert_shows_the_service_refusal(response, main_form(response), call)
    assert {c for _f, _m, c in shown_errors(main_form(response))} == {code}


def test_event_change_on_a_stale_page_is_refused_as_event_correct_does(admin_client, admin_user, records_world):
    event = records_world["signed"]
    services.event_correct(event=event, expected_version=event.version, note="别人改过", user=admin_user)
    data = {"occurred_on": "2022-03-02", "note": "", "expected_version": event.version, **management("photos")}
    call = lambda: services.event_correct(  # noqa: E731
        event=event, expected_version=event.version, on=date(2022, 3, 2), note="", user=admin_user
    )

    response = admin_client.post(admin_url(Event, "change", event.pk), data)

    assert_shows_the_service_refusal(response, main_form(response), call)
    assert {c for _f, _m, c in shown_errors(main_form(response))} == {"stale_edit"}


def site_admin_data(site: Site, **changes) -> dict:
    data = {
        "name": site.name, "town": site.town_id, "parent": site.parent_id or "", "area_mu": str(site.area_mu),
        "land_use": site.land_use, "deadline": site.deadline or "", "ownership_notes": site.ownership_notes,
        "notes": site.notes, "expected_version": site.version, **management("children"), **management("enterprises"),
    }
    return {**data, **changes}


def test_site_change_to_another_town_is_refused_as_site_update_does(admin_client, admin_user, records_world):
    parcel = records_world["parcel"]
    call = lambda: services.site_update(  # noqa: E731
        site=parcel, expected_version=parcel.version, town=records_world["other_town"], parent=None, user=admin_user
    )

    response = admin_client.post(
        admin_url(Site, "change", parcel.pk), site_admin_data(parcel, town=records_world["other_town"].pk, parent="")
    )

    assert_shows_the_service_refusal(response, main_form(response), call)
    assert ("town", "site_town_has_members") in {(f, c) for f, _m, c in shown_errors(main_form(response))}


def test_town_add_of_a_known_name_is_refused_as_town_create_does(admin_client, admin_user, records_world):
    call = lambda: services.town_create(name="曹桥街道", kind=TownKind.TOWN, display_order=3, user=admin_user)  # noqa: E731

    response = admin_client.post(admin_url(Town, "add"), {"name": "曹桥街道", "kind": TownKind.TOWN, "display_order": "3"})

    assert_shows_the_service_refusal(response, main_form(response), call)


def test_attack_group_inline_refuses_a_known_name_on_its_row(admin_client, admin_user, records_world):
    task_force = records_world["pairing"].task_force
    data = {
        "name": task_force.name, "member_bureaus": [records_world["head"].bureau_id],
        **management("members", 1, 1), "members-0-id": task_force.members.get().pk,
        "members-0-task_force": task_force.pk, "members-0-person_name": "张明", "members-0-role": "head",
        "members-0-unit": "市应急管理局", "members-0-user": "",
        **management("attack_groups", 2, 1), "attack_groups-0-id": records_world["group"].pk,
        "attack_groups-0-task_force": task_force.pk, "attack_groups-0-name": "第一攻坚小组",
        "attack_groups-0-leader_name": "", "attack_groups-1-task_force": task_force.pk,
        "attack_groups-1-name": "第一攻坚小组", "attack_groups-1-leader_name": "",
    }
    call = lambda: services.attack_group_create(task_force=task_force, name="第一攻坚小组", user=admin_user)  # noqa: E731

    response = admin_client.post(admin_url(TaskForce, "change", task_force.pk), data)

    formset = next(
        each.formset for each in response.context["inline_admin_formsets"] if each.formset.prefix == "attack_groups"
    )
    assert_shows_the_service_refusal(response, formset.forms[1], call)
    assert AttackGroup.objects.filter(task_force=task_force).count() == 1


def test_photo_inline_refuses_a_replaced_image_as_photo_update_does(admin_client, admin_user, records_world):
    event, photo = records_world["signed"], records_world["photo"]
    data = {
        "occurred_on": "2022-03-01", "note": "", "expected_version": event.version, **management("photos", 1, 1),
        "photos-0-id": photo.pk, "photos-0-event": event.pk, "photos-0-phase": PhotoPhase.DURING,
        "photos-0-caption": "签约", "photos-0-image": png_upload("new.png"),
    }
    call = lambda: services.photo_update(photo=photo, upload=png_upload(), user=admin_user)  # noqa: E731

    response = admin_client.post(admin_url(Event, "change", event.pk), data)

    formset = response.context["inline_admin_formsets"][0].formset
    assert_shows_the_service_refusal(response, formset.forms[0], call)


def test_event_delete_is_refused_with_the_message_of_event_delete(admin_client, admin_user, records_world):
    enterprise = records_world["enterprise"]
    services.event_record(enterprise=enterprise, stage=Stage.VACATED, on=date(2022, 5, 1), user=admin_user)
    signed = records_world["signed"]
    with translation.override(settings.LANGUAGE_CODE):
        with pytest.raises(ValidationError) as caught, transaction.atomic():
            services.event_delete(event=signed, expected_version=signed.version, user=admin_user)
        expected = caught.value.messages

    response = admin_client.post(admin_url(Event, "delete", signed.pk), {"post": "yes"})

    assert response.status_code == 302
    assert [str(message) for message in get_messages(response.wsgi_request)] == expected
    assert caught.value.code == "stage_needed_by_later"
    assert Event.objects.filter(pk=signed.pk).exists()


# A valid submission leaves the history the page, or the service, leaves -----------------------------


def history_marks() -> dict:
    return {model: model.objects.aggregate(n=Max("pk"))["n"] or 0 for model in HISTORY_MODELS}


def history_since(marks: dict) -> list:
    rows = []
    for model in HISTORY_MODELS:
        for row in model.objects.filter(pk__gt=marks[model]).order_by("pk").values():
            kept = {name: value for name, value in row.items() if name not in VOLATILE}
            # A new row's id, and a many-to-many row's, comes from a sequence that a rollback does not rewind.
            if row.get("history_type") == "+" or "history_type" not in row:
                kept.pop("id", None)
            rows.append((model.__name__, kept))
    return rows


def history_of(write) -> list:
    """The history rows WRITE leaves; the write is rolled back after."""
    marks = history_marks()
    with transaction.atomic():
        result = write()
        if hasattr(result, "status_code"):
            assert result.status_code == 302, result.context and main_form(result).errors
        rows = history_since(marks)
        transaction.set_rollback(True)
    assert rows
    return rows


def test_site_change_leaves_the_history_the_site_page_leaves(admin_client, records_world):
    parcel = records_world["parcel"]
    page = {
        "name": parcel.name, "area_mu": "21.00", "parent": parcel.parent_id, "land_use": "工业", "ownership_notes": "",
        "deadline": "", "notes": "面积复核", "version": parcel.version,
    }
    admin = site_admin_data(parcel, area_mu="21.00", land_use="工业", notes="面积复核")

    by_page = history_of(lambda: admin_client.post(reverse("clearance:site_update", args=[parcel.pk]), page))
    by_admin = history_of(lambda: admin_client.post(admin_url(Site, "change", parcel.pk), admin))

    assert by_admin == by_page


def enterprise_values(enterprise: Enterprise) -> dict:
    values = {
        "name": enterprise.name, "site": enterprise.site_id, "credit_code": enterprise.credit_code or "",
        "disposal": enterprise.disposal or "", "annual_energy_tce": str(enterprise.annual_energy_tce),
        "energy_freed_tce": str(enterprise.energy_freed_tce), "responsible_group": enterprise.responsible_group_id or "",
        "plan_deadline": enterprise.plan_deadline or "", "plan_notes": enterprise.plan_notes,
    }
    values.update({name: "on" for name in CATEGORIES if getattr(enterprise, name)})
    return values


def test_enterprise_change_leaves_the_history_the_enterprise_page_leaves(admin_client, records_world):
    enterprise = records_world["enterprise"]
    change = {"plan_notes": "一企一策", "annual_energy_tce": "12.50"}
    page = {**enterprise_values(enterprise), **change, "version": enterprise.version}
    admin = {
        **enterprise_values(enterprise), **change, "town": enterprise.town_id, "expected_version": enterprise.version,
        **management("events", 1, 1), "events-0-id": records_world["signed"].pk, "events-0-enterprise": enterprise.pk,
    }

    by_page = history_of(lambda: admin_client.post(reverse("clearance:enterprise_update", args=[enterprise.pk]), page))
    by_admin = history_of(lambda: admin_client.post(admin_url(Enterprise, "change", enterprise.pk), admin))

    assert by_admin == by_page


def test_event_change_leaves_the_history_the_event_page_leaves(admin_client, records_world):
    event, photo = records_world["signed"], records_world["photo"]
    page = {"version": event.version, "occurred_on": "2022-03-05", "note": "日期更正", "phase": PhotoPhase.DURING}
    admin = {
        "occurred_on": "2022-03-05", "note": "日期更正", "expected_version": event.version,
        **management("photos", 1, 1), "photos-0-id": photo.pk, "photos-0-event": event.pk,
        "photos-0-phase": photo.phase, "photos-0-caption": photo.caption,
    }

    by_page = history_of(lambda: admin_client.post(reverse("clearance:event_update", args=[event.pk]), page))
    by_admin = history_of(lambda: admin_client.post(admin_url(Event, "change", event.pk), admin))

    assert by_admin == by_page


def test_the_admin_writes_as_the_services_do(admin_client, admin_user, records_world):
    """Each other form that writes, beside the service call it makes: the same history rows."""
    user, town, pairing, group, photo = admin_user, records_world["town"], records_world["pairing"], records_world["group"], records_world["photo"]
    task_force = pairing.task_force
    finance = services.bureau_upsert(name="市财政局", user=user).obj
    task_force_data = {
        "name": task_force.name, "member_bureaus": [records_world["head"].bureau_id, finance.pk],
        **management("members", 1, 1), "members-0-id": task_force.members.get().pk,
        "members-0-task_force": task_force.pk, "members-0-person_name": "张明", "members-0-role": "head",
        "members-0-unit": "市应急管理局", "members-0-user": "",
        **management("attack_groups", 2, 1), "attack_groups-0-id": group.pk,
        "attack_groups-0-task_force": task_force.pk, "attack_groups-0-name": group.name,
        "attack_groups-0-leader_name": "", "attack_groups-1-task_force": task_force.pk,
        "attack_groups-1-name": "第二攻坚小组", "attack_groups-1-leader_name": "王五",
    }
    cases = {
        "town add": (
            lambda: admin_client.post(admin_url(Town, "add"), {"name": "新仓镇", "kind": TownKind.TOWN, "display_order": "5"}),
            lambda: services.town_create(name="新仓镇", kind=TownKind.TOWN, display_order=5, user=user),
        ),
        "town list_editable": (
            lambda: admin_client.post(admin_url(Town, "changelist"), {
                "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-MIN_NUM_FORMS": "0",
                "form-MAX_NUM_FORMS": "1000", "form-0-id": town.pk, "form-0-display_order": "7", "_save": "Save",
            }),
            lambda: services.town_update(town=town, display_order=7, user=user),
        ),
        "bureau add": (
            lambda: admin_client.post(admin_url(Bureau, "add"), {"name": "市商务局"}),
            lambda: services.bureau_create(name="市商务局", user=user),
        ),
        "county change": (
            lambda: admin_client.post(admin_url(County, "change", records_world["county"].pk),
                                      {"name": "平湖市", "is_home": "on", "display_order": "2"}),
            lambda: services.county_update(county=records_world["county"], name="平湖市", is_home=True, display_order=2, user=user),
        ),
        "pairing end": (
            lambda: admin_client.post(admin_url(Pairing, "change", pairing.pk), {
                "started_on": "2022-01-01", "ended_on": "2022-06-30", "note": "",
                **management("task_force", 1, 1), "task_force-0-id": task_force.pk, "task_force-0-pairing": pairing.pk,
            }),
            lambda: services.pairing_update(
                pairing=pairing, started_on=date(2022, 1, 1), ended_on=date(2022, 6, 30), note="", user=user
            ),
        ),
        "task force bureaus and a new attack group": (
            lambda: admin_client.post(admin_url(TaskForce, "change", task_force.pk), task_force_data),
            lambda: (
                services.task_force_update(task_force=task_force, name=task_force.name, user=user),
                services.task_force_bureaus_set(task_force=task_force, bureaus=[records_world["head"].bureau, finance], user=user),
                services.attack_group_create(task_force=task_force, name="第二攻坚小组", leader_name="王五", user=user),
            ),
        ),
        "attack group delete": (
            lambda: admin_client.post(admin_url(AttackGroup, "delete", group.pk), {"post": "yes"}),
            lambda: services.attack_group_delete(group=group, user=user),
        ),
        "photo caption": (
            lambda: admin_client.post(admin_url(Photo, "change", photo.pk), {"phase": PhotoPhase.AFTER, "caption": "新说明"}),
            lambda: services.photo_update(photo=photo, phase=PhotoPhase.AFTER, caption="新说明", user=user),
        ),
        "target add": (
            lambda: admin_client.post(admin_url(Target, "add"), {
                "year": "2022", "metric": Metric.LAND_VACATED_MU, "town": town.pk, "value": "250",
            }),
            lambda: services.target_create(year=2022, metric=Metric.LAND_VACATED_MU, town=town, value=Decimal("250"), user=user),
        ),
        "bulletin figure add": (
            lambda: admin_client.post(admin_url(BulletinFigure, "add"), {
                "county": records_world["county"].pk, "year": "2022", "month": "8", "metric": Metric.ENTERPRISES_RECTIFIED,
                "actual": "10", "target": "",
            }),
            lambda: services.bulletin_figure_create(
                county=records_world["county"], year=2022, month=8, metric=Metric.ENTERPRISES_RECTIFIED,
                actual=Decimal("10"), target=None, user=user,
            ),
        ),
        "event delete action": (
            lambda: admin_client.post(admin_url(Event, "changelist"), {
                "action": "delete_selected", "post": "yes", "index": "0", "_selected_action": [records_world["signed"].pk],
            }),
            lambda: services.event_delete(event=records_world["signed"], expected_version=records_world["signed"].version, user=user),
        ),
    }
    for name, (by_admin, by_service) in cases.items():
        assert history_of(by_admin) == history_of(by_service), name


def test_attack_group_delete_takes_it_off_its_enterprises_with_history(admin_client, admin_user, records_world):
    enterprise, group = records_world["enterprise"], records_world["group"]

    response = admin_client.post(admin_url(AttackGroup, "delete", group.pk), {"post": "yes"})

    assert response.status_code == 302
    enterprise.refresh_from_db()
    assert (enterprise.responsible_group, enterprise.version) == (None, 2)
    latest = enterprise.history.first()
    assert (latest.responsible_group_id, latest.history_user) == (None, admin_user)


# The admin keeps no rule ---------------------------------------------------------------------------

ADMIN_MODULES = sorted(Path(clearance.admin.__file__).parent.glob("*.py"))
WRITES = {"save", "delete", "save_m2m", "create", "get_or_create", "update_or_create", "bulk_create", "bulk_update",
          "update", "add", "remove", "clear", "set"}


def test_the_admin_modules_write_nothing_themselves():
    found = []
    for path in ADMIN_MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITES:
                # formset.save(commit=False) builds the rows' objects for the services; it writes nothing.
                commit_false = any(
                    kw.arg == "commit" and isinstance(kw.value, ast.Constant) and kw.value.value is False
                    for kw in node.keywords
                )
                if not commit_false:
                    found.append(f"{path.name}:{node.lineno} .{node.func.attr}()")
    assert found == []


def test_the_admin_modules_keep_no_rule():
    found = []
    for path in ADMIN_MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and (node.name == "clean" or node.name.startswith("clean_")):
                calls = [each for each in ast.walk(node) if isinstance(each, ast.Call)]
                # A field's clean may hand its value to the service's own check (services.photo_check), nothing more.
                delegates = any(
                    isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name)
                    and call.func.value.id == "services" for call in calls
                )
                if not delegates or any(isinstance(each, ast.Raise) for each in ast.walk(node)):
                    found.append(f"{path.name}:{node.lineno} {node.name}()")
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ValidationError":
                if any(kw.arg == "code" and isinstance(kw.value, ast.Constant) for kw in node.keywords):
                    found.append(f"{path.name}:{node.lineno} a refusal of its own")
    assert found == []


def test_the_admin_modules_import_no_private_name_and_stay_small():
    found = []
    for path in ADMIN_MODULES:
        source = path.read_text()
        assert len(source.splitlines()) <= 400, path.name
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(("base", "places", "records")) or (
                isinstance(node, ast.ImportFrom) and node.level == 1
            ):
                found += [f"{path.name}: {alias.name}" for alias in node.names if alias.name.startswith("_")]
    assert found == []
