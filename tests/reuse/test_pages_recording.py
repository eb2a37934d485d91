"""Recording a project through its pages, as an official of its town: the project, its land, each stage, photos;
the refusals shown as Chinese form errors with nothing changed."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from clearance import services
from clearance.choices import ProjectKind, ProjectStage
from clearance.models import Project, ProjectEvent, ProjectPhoto, ProjectSite, ReuseMonthlyFigure
from tests.reuse.pages import CHINESE, form_errors, investment, png, record, take_land, vacate

pytestmark = pytest.mark.django_db


@pytest.fixture
def vacated_parcel(world):
    vacate(world.parcel)
    return world.parcel


@pytest.fixture
def project(world, vacated_parcel):
    created = services.project_create(town=world.town, name="嘉创智谷", investor="嘉兴创投", user=world.admin)
    services.project_land_set(project=created, site=vacated_parcel, area_mu=Decimal("12.5"),
                              expected_version=created.version, user=world.admin)
    created.refresh_from_db()
    return created


def test_official_records_a_project_its_land_and_every_stage_with_photos(as_official, world, vacated_parcel, media):
    response = as_official.post(reverse("clearance:project_create"), investment())
    project = Project.objects.get(name="嘉创智谷")
    assert response.status_code == 302
    assert (project.town, project.investor, project.committed_investment_wan) == (world.town, "嘉兴创投", Decimal("52000"))

    response = take_land(as_official, project, vacated_parcel, "12.5")
    assert response.status_code == 302
    steps = [(ProjectStage.SIGNED, "2022-06-01"), (ProjectStage.LAND_SUPPLIED, "2022-06-20"),
             (ProjectStage.CONSTRUCTION_STARTED, "2022-07-01"), (ProjectStage.IN_PRODUCTION, "2023-05-01"),
             (ProjectStage.FULL_PRODUCTION, "2024-03-01")]
    for stage, on in steps:
        extra = {"photos": [png("a.png"), png("b.png")], "phase": "after"} if stage == ProjectStage.FULL_PRODUCTION else {}
        response = record(as_official, project, stage, on, **extra)
        assert response.status_code == 302, form_errors(response)

    recorded = list(project.events.order_by("stage").values_list("stage", "occurred_on", "recorded_by"))
    assert recorded == [(stage, date.fromisoformat(on), world.official.pk) for stage, on in steps]
    assert list(ProjectPhoto.objects.filter(event__project=project).values_list("phase", flat=True)) == ["after", "after"]
    # The land counts as reused in the month of its 供地.
    assert ReuseMonthlyFigure.objects.get(town=world.town, year=2022, month=6).land_reused_mu == Decimal("12.50")
    page = as_official.get(project.get_absolute_url()).content.decode()
    assert page.count("data-reached") == 5
    assert page.count('class="photo-thumb"') == 2
    assert "data-allocation-area=\"12.50\"" in page


def test_reclamation_form_keeps_no_investor_or_commitment(as_official, world):
    data = investment(name="复垦地块", kind=ProjectKind.RECLAMATION, deadline="2023-03-31")

    as_official.post(reverse("clearance:project_create"), data)

    project = Project.objects.get(name="复垦地块")
    assert (project.investor, project.committed_investment_wan, project.committed_full_production_on) == ("", None, None)
    assert project.deadline == date(2023, 3, 31)


def test_taking_more_land_than_the_site_holds_is_refused_in_chinese(as_official, project, vacated_parcel):
    other = services.project_create(town=project.town, name="二号项目", investor="某公司", user=None)

    response = take_land(as_official, other, vacated_parcel, "8")

    assert response.status_code == 200
    # SQLite sums 12.50 as the float 12.5, PostgreSQL keeps the cents.
    [error] = form_errors(response)
    assert error.replace("12.50", "12.5") == "“原胜利钢厂地块”共 20.43 亩，其他项目已使用 12.5 亩：最多还可使用 7.93 亩。"
    assert ProjectSite.objects.filter(project=other).count() == 0


def test_land_supply_on_a_site_not_vacated_is_refused_in_chinese(as_official, world):
    project = services.project_create(town=world.town, name="未腾退项目", investor="某公司", user=None)
    assert take_land(as_official, project, world.parcel, "5").status_code == 302
    record(as_official, project, ProjectStage.SIGNED, "2022-06-01")

    response = record(as_official, project, ProjectStage.LAND_SUPPLIED, "2022-06-20")

    assert response.status_code == 200
    assert form_errors(response) == ["不能在 2022-06-20 供地：原胜利钢厂地块 当时尚未腾退。"]
    assert list(project.events.values_list("stage", flat=True)) == [ProjectStage.SIGNED]


def test_full_production_before_production_is_refused_in_chinese(as_official, project):
    record(as_official, project, ProjectStage.SIGNED, "2022-06-01")
    record(as_official, project, ProjectStage.LAND_SUPPLIED, "2022-06-20")

    response = record(as_official, project, ProjectStage.FULL_PRODUCTION, "2022-08-01")

    assert response.status_code == 200
    errors = form_errors(response)
    assert len(errors) == 1 and "达产" in errors[0] and "开工" in errors[0] and CHINESE.search(errors[0])
    assert project.events.count() == 2


def test_a_stale_edit_shows_the_conflict_and_changes_nothing(as_official, project):
    services.project_update(project=project, expected_version=project.version, user=None, industry="新材料")

    response = as_official.post(reverse("clearance:project_update", args=[project.pk]),
                                investment(name="嘉创智谷", version=str(project.version)))

    assert response.status_code == 409
    assert "他人已先保存" in response.content.decode()
    project.refresh_from_db()
    assert (project.industry, project.committed_investment_wan) == ("新材料", None)


def test_the_project_is_edited_on_a_page_carrying_its_version(as_official, project):
    response = as_official.post(reverse("clearance:project_update", args=[project.pk]),
                                investment(name="嘉创智谷", version=str(project.version)))

    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.industry, project.committed_full_production_on) == ("智能制造", date(2024, 12, 31))


def test_a_project_with_stages_is_not_deleted_and_one_without_is(as_official, project):
    record(as_official, project, ProjectStage.SIGNED, "2022-06-01")
    url = reverse("clearance:project_delete", args=[project.pk])

    refused = as_official.post(url, {"version": str(project.version)})

    assert refused.status_code == 200
    assert form_errors(refused) == ["“嘉创智谷”已记录进度节点；请先删除这些节点，再删除项目。"]
    assert Project.objects.filter(pk=project.pk).exists()
    event = project.events.get()
    as_official.post(reverse("clearance:project_event_delete", args=[event.pk]), {"version": str(event.version)})
    project.refresh_from_db()
    assert as_official.post(url, {"version": str(project.version)}).status_code == 302
    assert not Project.objects.filter(pk=project.pk).exists()
    assert not ProjectSite.objects.filter(project_id=project.pk).exists()


def test_land_given_back_and_an_area_changed_through_the_page(as_official, project, vacated_parcel):
    assert take_land(as_official, project, vacated_parcel, "20.43").status_code == 302
    assert project.allocations.get().area_mu == Decimal("20.43")
    allocation = project.allocations.get()
    project.refresh_from_db()

    response = as_official.post(reverse("clearance:project_land_remove", args=[allocation.pk]),
                                {"version": str(project.version)})

    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.allocations.count(), project.land_mu) == (0, Decimal("0"))


def test_a_correction_in_a_closed_month_needs_its_reason(as_official, project, world):
    event = services.project_event_record(project=project, stage=ProjectStage.SIGNED, on=date(2022, 6, 1), user=None)
    for month in range(1, 7):
        services.period_close(year=2022, month=month, user=world.admin)
    url = reverse("clearance:project_event_update", args=[event.pk])

    refused = as_official.post(url, {"version": "1", "occurred_on": "2022-06-02", "note": "", "phase": "during"})
    accepted = as_official.post(url, {"version": "1", "occurred_on": "2022-06-02", "note": "",
                                      "correction_note": "日期笔误", "phase": "during"})

    assert refused.status_code == 200
    assert "correction_note" in refused.context["form"].errors
    assert accepted.status_code == 302
    event.refresh_from_db()
    assert event.occurred_on == date(2022, 6, 2)
    assert event.history.first().history_change_reason


def test_record_form_offers_the_stages_of_the_kind_the_next_one_chosen(as_official, project):
    record(as_official, project, ProjectStage.SIGNED, "2022-06-01")

    form = as_official.get(project.get_absolute_url()).context["record_form"]

    assert [value for value, _label in form.fields["stage"].choices][1:] == [int(stage) for stage in project.stages]
    assert form.initial["stage"] == ProjectStage.LAND_SUPPLIED


WRITE_URLS = ["project_update", "project_delete", "project_land", "project_event_create", "project_land_remove",
              "project_event_update", "project_event_delete"]


@pytest.mark.parametrize("name", WRITE_URLS)
@pytest.mark.parametrize("role", ["other_official", "leader"])
def test_writes_of_another_town_or_a_leader_are_forbidden(client, world, project, role, name):
    event = services.project_event_record(project=project, stage=ProjectStage.SIGNED, on=date(2022, 6, 1), user=None)
    project.refresh_from_db()
    pk = {"project_land_remove": project.allocations.get().pk, "project_event_update": event.pk,
          "project_event_delete": event.pk}.get(name, project.pk)
    url = reverse(f"clearance:{name}", args=[pk])
    client.force_login(getattr(world, role))

    answers = (client.get(url).status_code, client.post(url, {"version": str(project.version)}).status_code)

    assert answers == (403, 403)
    assert ProjectEvent.objects.filter(project=project).count() == 1
    assert Project.objects.filter(pk=project.pk).exists()


@pytest.mark.parametrize("role", ["leader"])
def test_a_leader_may_not_create_a_project(client, world, role):
    client.force_login(getattr(world, role))

    assert client.get(reverse("clearance:project_create")).status_code == 403
    assert client.post(reverse("clearance:project_create"), investment()).status_code == 403
    assert not Project.objects.exists()


def test_another_official_may_not_create_a_project_in_this_town(client, world):
    client.force_login(world.other_official)
    url = reverse("clearance:project_create") + f"?town={world.town.pk}"

    assert client.post(url, investment()).status_code == 403
    assert not Project.objects.exists()


def test_pages_of_another_town_offer_no_write_form(client, world, project):
    client.force_login(world.other_official)

    html = client.get(project.get_absolute_url()).content.decode()

    assert "data-write-actions" not in html and "data-record-button" not in html and "data-land-form" not in html
    assert "/edit/" not in html
