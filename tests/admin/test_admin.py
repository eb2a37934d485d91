"""The Django admin of the clearance app: every model's pages, the service rules on its forms, constant queries."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.text import capfirst
from django.utils.translation import gettext
from PIL import Image
from simple_history.admin import SimpleHistoryAdmin

from clearance import services
from clearance.choices import (
    Disposal, Metric, PhotoPhase, ProjectStage, RegisterKind, SizeClass, Stage, TownKind,
)
from clearance.services import evaluation
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
    EvaluationTownFigure,
    Event,
    IndicatorRow,
    JobFile,
    MonthlyFigure,
    Pairing,
    Photo,
    Project,
    ProjectEvent,
    ProjectPhoto,
    ProjectSite,
    RegisterItem,
    RegisterMonthlyFigure,
    RegisterYearlyFigure,
    ReportingPeriod,
    ReuseMonthlyFigure,
    ReuseYearlyFigure,
    YearlyFigure,
    Profile,
    Scheme,
    SchemeWeight,
    ScoringRequest,
    Site,
    SiteAncestry,
    SiteProgress,
    TaskForce,
    TaskForceMember,
    Target,
    Town,
)

from tests.factories import TownFactory

CLEARANCE_MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label == "clearance"), key=lambda model: model.__name__
)
# Derived, shown read-only: no add page, no history of their own.
DERIVED = (ReuseMonthlyFigure,)
EDITED_MODELS = [model for model in CLEARANCE_MODELS if model not in DERIVED]
EMPTY_PHOTO_FORMSET = {
    "photos-TOTAL_FORMS": "0",
    "photos-INITIAL_FORMS": "0",
    "photos-MIN_NUM_FORMS": "0",
    "photos-MAX_NUM_FORMS": "1000",
}


def admin_url(model, view: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def in_site_language(text) -> str:
    """Return TEXT (lazy or a model's str()) as the pages render it: in the site's language, HTML-escaped."""
    with translation.override(settings.LANGUAGE_CODE):
        return escape(str(text))


def png_upload(name: str = "site.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "green").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def build_campaign(user) -> dict:
    """Build one record of every clearance model through the services, as USER; return them by model."""
    town = services.town_upsert(name="曹桥街道", kind=TownKind.SUBDISTRICT, user=user).obj
    county = services.county_upsert(name="平湖市", is_home=True, user=user).obj
    head = services.bureau_head_upsert(bureau_name="市应急管理局", head_name="张明", user=user)
    pairing = services.pairing_start(town=town, head=head, started_on=date(2022, 1, 1), user=user)
    group = services.attack_group_upsert(task_force=pairing.task_force, name="第一攻坚小组", user=user)
    area = services.site_upsert(town=town, name="六店区域", area_mu=Decimal("360.50"), user=user).obj
    parcel = services.site_upsert(
        town=town, name="原胜利钢厂地块", area_mu=Decimal("20.43"), parent=area, user=user
    ).obj
    enterprise = services.enterprise_upsert(
        town=town,
        name="示例钢铁有限公司",
        site=parcel,
        is_high_consumption=True,
        is_tenant=True,
        disposal=Disposal.VACATE,
        energy_freed_tce=Decimal("120.50"),
        responsible_group=group,
        user=user,
    ).obj
    signed = services.event_record(enterprise=enterprise, stage=Stage.SIGNED, on=date(2022, 3, 1), user=user)
    services.event_record(enterprise=enterprise, stage=Stage.VACATED, on=date(2022, 5, 1), user=user)
    services.event_record(enterprise=enterprise, stage=Stage.CLOSED, on=date(2022, 6, 1), user=user)
    services.event_record(site=parcel, stage=Stage.VACATED, on=date(2022, 6, 15), user=user)
    target = services.target_set(year=2022, metric=Metric.ENTERPRISES_RECTIFIED, value=Decimal("190"), user=user).obj
    figure = services.bulletin_figure_set(
        county=county, year=2022, month=8, metric=Metric.LAND_VACATED_MU, actual=Decimal("3163"),
        target=Decimal("2500"), user=user,
    ).obj
    photo = services.photo_add(event=signed, upload=png_upload(), phase=PhotoPhase.DURING, caption="签约现场", user=user)
    evaluated = evaluation.evaluated_enterprise_create(town=town, name="示例钢铁有限公司", user=user)
    scheme = evaluation.scheme_create(year=2022, size=SizeClass.BELOW, user=user)
    row = evaluation.indicator_row_upsert(
        enterprise=evaluated, year=2022, size=SizeClass.BELOW, land_mu=Decimal("10"), tax_wan=Decimal("50"),
        power_10k_kwh=Decimal("20"), user=user,
    )
    adjustment = evaluation.adjustment_add(enterprise=evaluated, year=2022, points=Decimal("5"), reason="高新技术企业",
                                           user=user)
    project = services.project_create(town=town, name="示例智造项目", investor="示例投资方", operator=evaluated,
                                      committed_investment_wan=Decimal("5000"), user=user)
    services.project_land_set(project=project, site=parcel, area_mu=Decimal("10"), expected_version=project.version,
                              user=user)
    project_signed = services.project_event_record(project=project, stage=ProjectStage.SIGNED, on=date(2022, 7, 1),
                                                   user=user)
    project_photo = services.photo_add(event=project_signed, upload=png_upload("project.png"), phase=PhotoPhase.AFTER,
                                       caption="签约仪式", user=user)
    economy_figure = services.economy_figure_upsert(region="pinghu", year=2022, month=8,
                                                    value_added_growth_pct=Decimal("6.5"), employment=115000, user=user).obj
    economy_year = services.economy_year_set(year=2022, employment_base_month=3, user=user).obj
    hazard = services.register_item_create(
        kind=RegisterKind.HAZARD, raised_on=date(2022, 4, 2), description="厂房钢结构锈蚀", site=parcel,
        responsible_group=group, user=user,
    )
    return {
        Project: project,
        ProjectEvent: project_signed,
        ProjectPhoto: project_photo,
        ReuseMonthlyFigure: ReuseMonthlyFigure.objects.get(town=town, year=2022, month=7),
        Town: town,
        County: county,
        Bureau: head.bureau,
        BureauHead: head,
        Pairing: pairing,
        TaskForce: pairing.task_force,
        TaskForceMember: pairing.task_force.members.get(),
        AttackGroup: group,
        Site: parcel,
        Enterprise: enterprise,
        Event: signed,
        Photo: photo,
        Target: target,
        BulletinFigure: figure,
        EvaluatedEnterprise: evaluated,
        IndicatorRow: row,
        Scheme: scheme,
        Adjustment: adjustment,
        EconomyFigure: economy_figure,
        EconomyYear: economy_year,
        RegisterItem: hazard,
    }


def record_of(model, records: dict):
    assert model in records, f"build_campaign() makes no {model.__name__}; add one so its admin pages are tested"
    return records[model]


def error_codes(response, field: str) -> list[str]:
    return [error.code for error in response.context["adminform"].form.errors.as_data().get(field, [])]


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# Every model's pages ----------------------------------------------------------------------


def test_admin_index_shows_the_site_header(admin_client):
    response = admin_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert in_site_language(admin.site.site_header) in response.content.decode()


def test_admin_registers_every_clearance_model_with_its_history():
    # MonthlyFigure and SiteAncestry are derived (from the events, from the sites' containing areas: see
    # clearance.derived.rollup and clearance.derived.site_tree): nobody edits them, so they have no admin.
    # ReportingPeriod is closed and reopened on the periods page (/periods/), through its services, only.
    # A Profile is part of a person, kept on the people page (clearance/views/people.py) with its account, through
    # clearance/services/people.py; an admin page of its own would edit a phone apart from its person.
    # Background jobs and their uploads are the worker's bookkeeping, followed on the ledger import pages; so are the
    # scorings waiting for the worker (ScoringRequest), which every evaluation page of their year announces.
    # A scheme's weights are part of it, edited on its page (an inline) and saved with it in one scheme_update.
    # A project's land (ProjectSite) is part of it, an inline of its page, each row through project_land_set.
    # The monthly reuse rollup is derived too, but shown (read-only) for the admins who check a 换鸟 figure.
    # The towns' evaluation figures, the register's rollups and the yearly rollups are derived like MonthlyFigure
    # (clearance.derived.evaluation_rollup and register_rollup), checked by verify_rollups: no admin either; so is
    # each site's progress (clearance.derived.site_progress), which the battle board reads.
    app_models = {
        model for model in apps.get_app_config("clearance").get_models()
        if not hasattr(model, "instance_type")
        and model not in (BackgroundJob, EvaluationTownFigure, JobFile, MonthlyFigure, Profile, ProjectSite,
                          RegisterMonthlyFigure, RegisterYearlyFigure, ReportingPeriod, ReuseYearlyFigure, SchemeWeight,
                          ScoringRequest, SiteAncestry, SiteProgress, YearlyFigure)
    }

    assert app_models == set(CLEARANCE_MODELS)
    without_history = [
        model for model in CLEARANCE_MODELS if not isinstance(admin.site._registry[model], SimpleHistoryAdmin)
    ]
    assert without_history == list(DERIVED)


@pytest.mark.parametrize("model", CLEARANCE_MODELS, ids=lambda model: model.__name__)
def test_admin_changelist_lists_the_record(admin_client, admin_user, model):
    obj = record_of(model, build_campaign(admin_user))

    response = admin_client.get(admin_url(model, "changelist"))

    assert response.status_code == 200
    content = response.content.decode()
    assert in_site_language(capfirst(model._meta.verbose_name_plural)) in content
    assert admin_url(model, "change", obj.pk) in content


@pytest.mark.parametrize("model", EDITED_MODELS, ids=lambda model: model.__name__)
def test_admin_add_page_names_the_model(admin_client, admin_user, model):
    build_campaign(admin_user)

    response = admin_client.get(admin_url(model, "add"))

    assert response.status_code == 200
    assert response.context["add"] is True
    assert in_site_language(model._meta.verbose_name) in response.content.decode()


@pytest.mark.parametrize("model", CLEARANCE_MODELS, ids=lambda model: model.__name__)
def test_admin_change_page_shows_the_record(admin_client, admin_user, model):
    obj = record_of(model, build_campaign(admin_user))

    response = admin_client.get(admin_url(model, "change", obj.pk))

    assert response.status_code == 200
    assert response.context["original"] == obj
    assert in_site_language(obj) in response.content.decode()


@pytest.mark.parametrize("model", EDITED_MODELS, ids=lambda model: model.__name__)
def test_admin_history_page_shows_who_changed_the_record(admin_client, admin_user, model):
    obj = record_of(model, build_campaign(admin_user))

    response = admin_client.get(admin_url(model, "history", obj.pk))

    assert response.status_code == 200
    content = response.content.decode()
    assert in_site_language(obj) in content
    # The "changed by" column links to the user who made the change.
    assert reverse("admin:auth_user_change", args=[admin_user.pk]) in content


AUTOCOMPLETE_FIELDS = [
    (model, field)
    for model in CLEARANCE_MODELS
    for field in admin.site._registry[model].autocomplete_fields
]


@pytest.mark.parametrize(
    ("model", "field"), AUTOCOMPLETE_FIELDS, ids=lambda value: getattr(value, "__name__", value)
)
def test_admin_autocomplete_answers_with_the_records_names(admin_client, admin_user, model, field):
    build_campaign(admin_user)
    related = model._meta.get_field(field).related_model

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": model._meta.app_label, "model_name": model._meta.model_name, "field_name": field, "term": ""},
    )

    assert response.status_code == 200
    answers = {int(result["id"]): result["text"] for result in response.json()["results"]}
    with translation.override(settings.LANGUAGE_CODE):
        expected = {obj.pk: str(obj) for obj in related._default_manager.all()}
    assert answers == expected


def test_admin_history_cannot_revert_a_record(admin_client, admin_user):
    event = build_campaign(admin_user)[Event]
    record = event.history.earliest()
    url = admin_url(Event, "simple_history", event.pk, record.history_id)

    response = admin_client.post(url, {"occurred_on": "2022-02-01", "note": "", **EMPTY_PHOTO_FORMSET})

    assert response.status_code == 403
    event.refresh_from_db()
    assert event.occurred_on == date(2022, 3, 1)


# Pairings ---------------------------------------------------------------------------------


def test_admin_pairing_add_refuses_a_second_active_pairing(admin_client, admin_user):
    town = build_campaign(admin_user)[Town]
    other_head = services.bureau_head_upsert(bureau_name="市经信局", head_name="李华", user=admin_user)
    counts_before = (Pairing.objects.count(), TaskForce.objects.count())

    response = admin_client.post(
        admin_url(Pairing, "add"), {"town": town.pk, "head": other_head.pk, "started_on": "2022-09-01"}
    )

    assert response.status_code == 200
    assert error_codes(response, "town") == ["town_already_paired"]
    error = response.context["adminform"].form.errors["town"][0]
    assert escape(error) in response.content.decode()
    assert (Pairing.objects.count(), TaskForce.objects.count()) == counts_before


def test_admin_pairing_add_refuses_a_head_paired_elsewhere(admin_client, admin_user):
    head = build_campaign(admin_user)[BureauHead]
    other_town = services.town_upsert(name="林埭镇", kind=TownKind.TOWN, user=admin_user).obj

    response = admin_client.post(
        admin_url(Pairing, "add"), {"town": other_town.pk, "head": head.pk, "started_on": "2022-09-01"}
    )

    assert response.status_code == 200
    assert error_codes(response, "head") == ["head_already_paired"]
    assert Pairing.objects.filter(town=other_town).count() == 0


def test_admin_pairing_add_starts_the_pairing_and_its_task_force(admin_client, admin_user):
    build_campaign(admin_user)
    town = services.town_upsert(name="林埭镇", kind=TownKind.TOWN, user=admin_user).obj
    head = services.bureau_head_upsert(bureau_name="市自然资源和规划局", head_name="王芳", user=admin_user)

    response = admin_client.post(
        admin_url(Pairing, "add"), {"town": town.pk, "head": head.pk, "started_on": "2022-02-01"}
    )

    assert response.status_code == 302
    pairing = Pairing.objects.get(town=town)
    assert (pairing.head, pairing.started_on, pairing.ended_on) == (head, date(2022, 2, 1), None)
    assert list(pairing.task_force.members.values_list("person_name", flat=True)) == ["王芳"]
    assert pairing.history.get().history_user == admin_user


def test_admin_pairing_add_with_hand_over_ends_the_current_pairing(admin_client, admin_user):
    old = build_campaign(admin_user)[Pairing]
    new_head = services.bureau_head_upsert(bureau_name="市经信局", head_name="李华", user=admin_user)

    response = admin_client.post(
        admin_url(Pairing, "add"),
        {"town": old.town_id, "head": new_head.pk, "started_on": "2022-09-01", "hand_over": "on"},
    )

    assert response.status_code == 302
    old.refresh_from_db()
    assert old.ended_on == date(2022, 8, 31)
    active = Pairing.objects.active().get(town=old.town)
    assert (active.head, active.started_on) == (new_head, date(2022, 9, 1))
    assert TaskForce.objects.filter(pairing=active).count() == 1


def test_admin_pairing_change_refuses_to_reopen_beside_an_active_one(admin_client, admin_user):
    old = build_campaign(admin_user)[Pairing]
    new_head = services.bureau_head_upsert(bureau_name="市经信局", head_name="李华", user=admin_user)
    services.pairing_change(town=old.town, new_head=new_head, on=date(2022, 9, 1), user=admin_user)

    response = admin_client.post(
        admin_url(Pairing, "change", old.pk),
        {
            "started_on": "2022-01-01", "ended_on": "", "note": "",
            # The task force inline's management form, which a browser sends with the page.
            "task_force-TOTAL_FORMS": "1", "task_force-INITIAL_FORMS": "1", "task_force-MIN_NUM_FORMS": "0",
            "task_force-MAX_NUM_FORMS": "1", "task_force-0-id": old.task_force.pk, "task_force-0-pairing": old.pk,
        },
    )

    assert response.status_code == 200
    assert error_codes(response, "ended_on") == ["town_already_paired"]
    old.refresh_from_db()
    assert old.ended_on == date(2022, 8, 31)


def test_admin_pairing_list_puts_the_active_pairing_first_in_each_town(admin_client, admin_user):
    old = build_campaign(admin_user)[Pairing]
    new_head = services.bureau_head_upsert(bureau_name="市经信局", head_name="李华", user=admin_user)
    new = services.pairing_change(town=old.town, new_head=new_head, on=date(2022, 9, 1), user=admin_user)

    response = admin_client.get(admin_url(Pairing, "changelist"))

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [new, old]


# Events -----------------------------------------------------------------------------------


def test_admin_event_add_refuses_a_future_date(admin_client, admin_user):
    enterprise = build_campaign(admin_user)[Enterprise]
    tomorrow = timezone.localdate() + timedelta(days=1)
    count_before = Event.objects.count()

    response = admin_client.post(
        admin_url(Event, "add"),
        {"enterprise": enterprise.pk, "stage": Stage.SURVEYED, "occurred_on": tomorrow.isoformat(), "note": "",
         **EMPTY_PHOTO_FORMSET},
    )

    assert response.status_code == 200
    assert error_codes(response, "occurred_on") == ["future_date"]
    error = response.context["adminform"].form.errors["occurred_on"][0]
    assert escape(error) in response.content.decode()
    assert Event.objects.count() == count_before


def test_admin_event_add_refuses_closing_out_before_vacating(admin_client, admin_user):
    records = build_campaign(admin_user)
    enterprise = services.enterprise_upsert(
        town=records[Town], name="示例纺织有限公司", site=records[Site].parent, disposal=Disposal.SHUT_DOWN,
        user=admin_user,
    ).obj
    services.event_record(enterprise=enterprise, stage=Stage.SIGNED, on=date(2022, 4, 1), user=admin_user)

    response = admin_client.post(
        admin_url(Event, "add"),
        {"enterprise": enterprise.pk, "stage": Stage.CLOSED, "occurred_on": "2022-07-01", "note": "",
         **EMPTY_PHOTO_FORMSET},
    )

    assert response.status_code == 200
    assert error_codes(response, "stage") == ["stage_out_of_order"]
    assert list(enterprise.events.values_list("stage", flat=True)) == [Stage.SIGNED]


def test_admin_event_add_refuses_a_stage_already_recorded(admin_client, admin_user):
    enterprise = build_campaign(admin_user)[Enterprise]

    response = admin_client.post(
        admin_url(Event, "add"),
        {"enterprise": enterprise.pk, "stage": Stage.SIGNED, "occurred_on": "2022-03-05", "note": "",
         **EMPTY_PHOTO_FORMSET},
    )

    assert response.status_code == 200
    assert error_codes(response, "stage") == ["stage_already_recorded"]
    assert enterprise.events.get(stage=Stage.SIGNED).occurred_on == date(2022, 3, 1)


def test_admin_event_add_records_the_event_with_its_photo(admin_client, admin_user):
    records = build_campaign(admin_user)
    enterprise = services.enterprise_upsert(
        town=records[Town], name="示例纺织有限公司", site=records[Site].parent, user=admin_user
    ).obj

    response = admin_client.post(
        admin_url(Event, "add"),
        {
            "enterprise": enterprise.pk, "stage": Stage.SIGNED, "occurred_on": "2022-04-01", "note": "协议已签",
            "photos-TOTAL_FORMS": "1", "photos-INITIAL_FORMS": "0", "photos-MIN_NUM_FORMS": "0",
            "photos-MAX_NUM_FORMS": "1000", "photos-0-image": png_upload("signing.png"),
            "photos-0-phase": PhotoPhase.AFTER, "photos-0-caption": "签约仪式",
        },
    )

    assert response.status_code == 302
    event = enterprise.events.get()
    assert (event.stage, event.occurred_on, event.note, event.recorded_by) == (
        Stage.SIGNED, date(2022, 4, 1), "协议已签", admin_user
    )
    assert event.history.get().history_user == admin_user
    photo = event.photos.get()
    assert (photo.caption, photo.phase, photo.uploaded_by) == ("签约仪式", PhotoPhase.AFTER, admin_user)
    assert photo.thumbnail.name.endswith(".jpg")


def test_admin_event_add_with_a_bad_photo_records_nothing(admin_client, admin_user):
    records = build_campaign(admin_user)
    enterprise = services.enterprise_upsert(
        town=records[Town], name="示例纺织有限公司", site=records[Site].parent, user=admin_user
    ).obj

    response = admin_client.post(
        admin_url(Event, "add"),
        {
            "enterprise": enterprise.pk, "stage": Stage.SIGNED, "occurred_on": "2022-04-01", "note": "",
            "photos-TOTAL_FORMS": "1", "photos-INITIAL_FORMS": "0", "photos-MIN_NUM_FORMS": "0",
            "photos-MAX_NUM_FORMS": "1000", "photos-0-phase": PhotoPhase.AFTER, "photos-0-caption": "",
            "photos-0-image": SimpleUploadedFile("signing.png", b"not an image", content_type="image/png"),
        },
    )

    assert response.status_code == 200
    photo_form = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert response.context["inline_admin_formsets"][0].formset.errors[0].keys() == {"image"}
    assert [error.code for error in photo_form.errors.as_data()["image"]] == ["invalid_image"]  # Django's ImageField
    assert enterprise.events.count() == 0


def test_admin_event_change_corrects_the_date_and_keeps_the_old_one_in_history(admin_client, admin_user):
    event = build_campaign(admin_user)[Enterprise].events.get(stage=Stage.CLOSED)

    response = admin_client.post(
        admin_url(Event, "change", event.pk),
        {"occurred_on": "2022-06-10", "note": "日期更正", "expected_version": event.version, **EMPTY_PHOTO_FORMSET},
    )

    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.occurred_on, event.note, event.version) == (date(2022, 6, 10), "日期更正", 2)
    assert [record.occurred_on for record in event.history.order_by("history_date")] == [
        date(2022, 6, 1), date(2022, 6, 10)
    ]


def test_admin_event_change_refuses_an_edit_made_on_a_stale_page(admin_client, admin_user):
    event = build_campaign(admin_user)[Enterprise].events.get(stage=Stage.CLOSED)
    services.event_correct(event=event, expected_version=event.version, note="别人改过", user=admin_user)

    response = admin_client.post(
        admin_url(Event, "change", event.pk),
        {"occurred_on": "2022-06-10", "note": "", "expected_version": event.version, **EMPTY_PHOTO_FORMSET},
    )

    assert response.status_code == 200
    assert error_codes(response, "__all__") == ["stale_edit"]
    event.refresh_from_db()
    assert (event.occurred_on, event.note) == (date(2022, 6, 1), "别人改过")


def test_admin_event_change_refuses_dates_out_of_stage_order(admin_client, admin_user):
    event = build_campaign(admin_user)[Enterprise].events.get(stage=Stage.SIGNED)

    response = admin_client.post(
        admin_url(Event, "change", event.pk),
        {
            "occurred_on": "2022-05-20", "note": "", "expected_version": event.version,
            "photos-TOTAL_FORMS": "1", "photos-INITIAL_FORMS": "1", "photos-MIN_NUM_FORMS": "0",
            "photos-MAX_NUM_FORMS": "1000", "photos-0-id": event.photos.get().pk, "photos-0-event": event.pk,
            "photos-0-phase": PhotoPhase.DURING, "photos-0-caption": "签约现场",
        },
    )

    assert response.status_code == 200
    assert error_codes(response, "occurred_on") == ["dates_out_of_order"]
    event.refresh_from_db()
    assert event.occurred_on == date(2022, 3, 1)


def test_admin_event_delete_refuses_a_stage_a_later_one_needs(admin_client, admin_user):
    enterprise = build_campaign(admin_user)[Enterprise]
    signed = enterprise.events.get(stage=Stage.SIGNED)

    response = admin_client.post(admin_url(Event, "delete", signed.pk), {"post": "yes"})

    assert response.status_code == 302
    assert response["Location"] == admin_url(Event, "change", signed.pk)
    assert Event.objects.filter(pk=signed.pk).exists()
    assert LogEntry.objects.filter(action_flag=DELETION).count() == 0
    with translation.override(settings.LANGUAGE_CODE):
        expected = gettext("%(stage)s cannot be deleted while %(later)s is recorded.") % {
            "stage": Stage.SIGNED.label, "later": Stage.VACATED.label
        }
    assert message_texts(response) == [expected]


def test_admin_event_delete_removes_an_event_nothing_needs(admin_client, admin_user):
    parcel = build_campaign(admin_user)[Site]
    site_event = parcel.events.get()

    response = admin_client.post(admin_url(Event, "delete", site_event.pk), {"post": "yes"})

    assert response.status_code == 302
    assert response["Location"] == admin_url(Event, "changelist")
    assert parcel.events.count() == 0
    assert Event.history.filter(id=site_event.pk, history_type="-").get().history_user == admin_user


def test_admin_event_bulk_delete_is_all_or_nothing(admin_client, admin_user):
    enterprise = build_campaign(admin_user)[Enterprise]
    enterprise_events = list(enterprise.events.values_list("pk", flat=True))
    action = {"action": "delete_selected", "post": "yes", "index": "0"}

    refused = admin_client.post(admin_url(Event, "changelist"), {**action, "_selected_action": enterprise_events})

    assert refused.status_code == 302
    assert sorted(enterprise.events.values_list("pk", flat=True)) == sorted(enterprise_events)
    assert LogEntry.objects.filter(action_flag=DELETION).count() == 0
    assert len(message_texts(refused)) == 1

    everything = [*enterprise_events, enterprise.site.events.get().pk]
    deleted = admin_client.post(admin_url(Event, "changelist"), {**action, "_selected_action": everything})

    assert deleted.status_code == 302
    assert Event.objects.count() == 0


# Sites and enterprises --------------------------------------------------------------------


def test_admin_site_change_bumps_the_version_the_pages_check(admin_client, admin_user):
    parcel = build_campaign(admin_user)[Site]
    data = {
        "name": parcel.name, "town": parcel.town_id, "parent": parcel.parent_id, "area_mu": "21.00",
        "land_use": "", "deadline": "", "ownership_notes": "", "notes": "面积复核", "expected_version": parcel.version,
        "children-TOTAL_FORMS": "0", "children-INITIAL_FORMS": "0", "children-MIN_NUM_FORMS": "0",
        "children-MAX_NUM_FORMS": "0", "enterprises-TOTAL_FORMS": "1", "enterprises-INITIAL_FORMS": "1",
        "enterprises-MIN_NUM_FORMS": "0", "enterprises-MAX_NUM_FORMS": "0",
        "enterprises-0-id": parcel.enterprises.get().pk, "enterprises-0-site": parcel.pk,
    }

    response = admin_client.post(admin_url(Site, "change", parcel.pk), data)

    assert response.status_code == 302
    parcel.refresh_from_db()
    assert (parcel.area_mu, parcel.notes, parcel.version) == (Decimal("21.00"), "面积复核", 2)
    stale = admin_client.post(admin_url(Site, "change", parcel.pk), {**data, "notes": "过期页面"})
    assert stale.status_code == 200
    assert error_codes(stale, "__all__") == ["stale_edit"]


def test_admin_site_change_refuses_moving_a_site_with_enterprises_to_another_town(admin_client, admin_user):
    parcel = build_campaign(admin_user)[Site]
    other_town = services.town_upsert(name="林埭镇", kind=TownKind.TOWN, user=admin_user).obj
    enterprise = parcel.enterprises.get()

    response = admin_client.post(
        admin_url(Site, "change", parcel.pk),
        {
            "name": parcel.name, "town": other_town.pk, "parent": "", "area_mu": "20.43", "land_use": "",
            "deadline": "", "ownership_notes": "", "notes": "", "expected_version": parcel.version,
            "children-TOTAL_FORMS": "0", "children-INITIAL_FORMS": "0", "children-MIN_NUM_FORMS": "0",
            "children-MAX_NUM_FORMS": "0", "enterprises-TOTAL_FORMS": "1", "enterprises-INITIAL_FORMS": "1",
            "enterprises-MIN_NUM_FORMS": "0", "enterprises-MAX_NUM_FORMS": "0",
            "enterprises-0-id": enterprise.pk, "enterprises-0-site": parcel.pk,
        },
    )

    assert response.status_code == 200
    assert error_codes(response, "town") == ["site_town_has_members"]
    parcel.refresh_from_db()
    assert (parcel.town, parcel.version) == (enterprise.town, 1)


def test_admin_enterprise_add_refuses_a_site_of_another_town(admin_client, admin_user):
    area = build_campaign(admin_user)[Site].parent
    other_town = services.town_upsert(name="林埭镇", kind=TownKind.TOWN, user=admin_user).obj

    response = admin_client.post(
        admin_url(Enterprise, "add"),
        {"name": "示例化工有限公司", "town": other_town.pk, "site": area.pk, "annual_energy_tce": "0",
         "energy_freed_tce": "0", "expected_version": "",
         "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0", "events-MIN_NUM_FORMS": "0",
         "events-MAX_NUM_FORMS": "0"},
    )

    assert response.status_code == 200
    assert error_codes(response, "site") == ["site_other_town"]
    assert not Enterprise.objects.filter(name="示例化工有限公司").exists()


def test_admin_enterprise_add_refuses_a_vacated_site(admin_client, admin_user):
    parcel = build_campaign(admin_user)[Site]

    response = admin_client.post(
        admin_url(Enterprise, "add"),
        {"name": "示例化工有限公司", "town": parcel.town_id, "site": parcel.pk, "annual_energy_tce": "0",
         "energy_freed_tce": "0", "expected_version": "",
         "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0", "events-MIN_NUM_FORMS": "0",
         "events-MAX_NUM_FORMS": "0"},
    )

    assert response.status_code == 200
    assert error_codes(response, "site") == ["site_vacated"]
    assert not Enterprise.objects.filter(name="示例化工有限公司").exists()


def test_admin_enterprise_add_creates_it_in_the_town_of_its_site(admin_client, admin_user):
    area = build_campaign(admin_user)[Site].parent

    response = admin_client.post(
        admin_url(Enterprise, "add"),
        {"name": "示例化工有限公司", "town": area.town_id, "site": area.pk, "credit_code": "",
         "disposal": Disposal.SHUT_DOWN, "annual_energy_tce": "800", "energy_freed_tce": "650",
         "is_two_high_one_low": "on", "expected_version": "",
         "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0", "events-MIN_NUM_FORMS": "0",
         "events-MAX_NUM_FORMS": "0"},
    )

    assert response.status_code == 302
    enterprise = Enterprise.objects.get(name="示例化工有限公司")
    assert (enterprise.town, enterprise.site, enterprise.credit_code, enterprise.energy_freed_tce) == (
        area.town, area, None, Decimal("650.00")
    )
    assert enterprise.history.get().history_user == admin_user


def test_admin_enterprise_list_shows_current_stage_and_categories(admin_client, admin_user):
    enterprise = build_campaign(admin_user)[Enterprise]

    response = admin_client.get(admin_url(Enterprise, "changelist"), {"current_stage": str(Stage.CLOSED.value)})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [enterprise]
    content = response.content.decode()
    with translation.override(settings.LANGUAGE_CODE):
        categories = "、".join(str(category.label) for category in enterprise.categories)
        stage = str(Stage.CLOSED.label)
    assert escape(categories) in content
    assert f'<td class="field-current_stage">{escape(stage)}</td>' in content


# Photos -----------------------------------------------------------------------------------


def test_admin_photo_add_refuses_a_file_that_is_not_a_photo(admin_client, admin_user):
    event = build_campaign(admin_user)[Event]
    count_before = Photo.objects.count()
    not_a_photo = SimpleUploadedFile("scan.png", b"not an image at all", content_type="image/png")

    response = admin_client.post(
        admin_url(Photo, "add"), {"event": event.pk, "image": not_a_photo, "phase": PhotoPhase.BEFORE, "caption": ""}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.has_error("image")
    assert Photo.objects.count() == count_before


def test_admin_photo_add_stores_the_photo_with_a_thumbnail(admin_client, admin_user):
    event = build_campaign(admin_user)[Event]

    response = admin_client.post(
        admin_url(Photo, "add"),
        {"event": event.pk, "image": png_upload("现场.png"), "phase": PhotoPhase.AFTER, "caption": "拆除后"},
    )

    assert response.status_code == 302
    photo = event.photos.get(caption="拆除后")
    assert (photo.phase, photo.uploaded_by) == (PhotoPhase.AFTER, admin_user)
    assert photo.thumbnail.name.endswith(".jpg")
    assert "现场" not in photo.image.name


# Queries ----------------------------------------------------------------------------------


def grow_records(user, *, town: Town, area: Site, count: int) -> None:
    """Have COUNT numbered parcels in AREA, each holding one enterprise with a signed event."""
    for number in range(Enterprise.objects.filter(name__startswith="示例企业").count(), count):
        parcel = services.site_upsert(
            town=town, name=f"示例地块{number:03d}", area_mu=Decimal("5"), parent=area, user=user
        ).obj
        enterprise = services.enterprise_upsert(
            town=town, name=f"示例企业{number:03d}", site=parcel, is_tenant=number % 2 == 0, user=user
        ).obj
        services.event_record(enterprise=enterprise, stage=Stage.SIGNED, on=date(2022, 3, 1), user=user)


@pytest.mark.parametrize("model", [Enterprise, Site, Event, Town, Pairing, TaskForce], ids=lambda model: model.__name__)
def test_admin_changelist_queries_do_not_grow_with_rows(admin_client, admin_user, model):
    town = services.town_upsert(name="曹桥街道", kind=TownKind.SUBDISTRICT, user=admin_user).obj
    area = services.site_upsert(town=town, name="六店区域", area_mu=Decimal("360.5"), user=admin_user).obj
    url = admin_url(model, "changelist")
    counts = []
    for rows in (3, 30):
        grow_records(admin_user, town=town, area=area, count=rows)
        for number in range(Pairing.objects.count(), rows):
            other_town = services.town_upsert(name=f"示例镇{number:03d}", kind=TownKind.TOWN, user=admin_user).obj
            head = services.bureau_head_upsert(bureau_name=f"示例局{number:03d}", head_name="示例", user=admin_user)
            services.pairing_start(town=other_town, head=head, started_on=date(2022, 1, 1), user=admin_user)
        admin_client.get(url)  # Warm the caches (content types, session) before counting.
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(url)
        assert response.status_code == 200
        assert response.context["cl"].result_count >= rows
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_admin_site_change_page_queries_do_not_grow_with_enterprises(admin_client, admin_user):
    town = services.town_upsert(name="曹桥街道", kind=TownKind.SUBDISTRICT, user=admin_user).obj
    site = services.site_upsert(town=town, name="徐家埭工业集聚点", area_mu=Decimal("120"), user=admin_user).obj
    url = admin_url(Site, "change", site.pk)
    counts = []
    for rows in (3, 30):
        for number in range(site.enterprises.count(), rows):
            enterprise = services.enterprise_upsert(
                town=town, name=f"示例企业{number:03d}", site=site, is_tenant=True, user=admin_user
            ).obj
            services.event_record(enterprise=enterprise, stage=Stage.SIGNED, on=date(2022, 3, 1), user=admin_user)
            services.site_upsert(
                town=town, name=f"示例地块{number:03d}", area_mu=Decimal("1"), parent=site, user=admin_user
            )
        admin_client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(url)
        assert response.status_code == 200
        assert in_site_language(f"示例企业{rows - 1:03d}") in response.content.decode()
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_users_are_made_inactive_not_deleted_so_the_history_keeps_their_names(admin_client, admin_user):
    """Deleting a user would blank their name in every history row; the admin offers no way to."""
    official = get_user_model().objects.create_user("official-gone", password="x" * 12)
    site = services.site_create(town=TownFactory(), name="留名地块", area_mu=Decimal("3"), user=official)
    url = reverse("admin:auth_user_delete", args=[official.pk])

    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    changelist = admin_client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert 'value="delete_selected"' not in changelist
    response = admin_client.post(reverse("admin:auth_user_changelist"),
                                 {"action": "delete_selected", "_selected_action": [official.pk], "post": "yes"})
    assert get_user_model().objects.filter(pk=official.pk).exists(), response.status_code

    # What the admin offers instead: untick "Active". The history still names them.
    official.is_active = False
    official.save()
    assert site.history.earliest().history_user == official
