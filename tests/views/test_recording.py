"""Recording progress from the pages: stages, bulk, corrections, sites and enterprises; each rule refuses with its message and code."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from clearance import selectors, services
from clearance.choices import Disposal, Stage
from clearance.models import Enterprise, Event, Photo, Site
from tests.factories import close_out

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (Site, Enterprise, Event, Photo)}


def history_counts() -> dict[str, int]:
    return {model.__name__: model.history.count() for model in (Site, Enterprise, Event)}


def errors_of(response) -> list[str]:
    """Every error the re-rendered form shows, non-field errors first."""
    form = response.context["form"]
    return [*form.non_field_errors(), *(error for name, errors in form.errors.items() if name != "__all__" for error in errors)]


def codes_of(response) -> list[str]:
    """The code of each error errors_of() lists, in the same order."""
    errors = response.context["form"].errors.as_data()
    return [error.code for name in ("__all__", *(name for name in errors if name != "__all__")) for error in errors.get(name, [])]


def record_on_site(client, site, **data):
    return client.post(reverse("clearance:site_event_create", args=[site.pk]), data)


def record_on_enterprise(client, enterprise, **data):
    return client.post(reverse("clearance:enterprise_event_create", args=[enterprise.pk]), data)


# Recording ---------------------------------------------------------------------------


def test_record_stage_from_site_page_for_an_enterprise(as_official, world):
    response = record_on_site(
        as_official, world.site, subject=world.enterprise.pk, stage=Stage.VACATED, occurred_on="2022-04-01",
        note="已清场", phase="after",
    )

    event = Event.objects.get(enterprise=world.enterprise, stage=Stage.VACATED)
    assert response.status_code == 302
    assert response.url == f"{world.site.get_absolute_url()}#timeline"
    assert (event.occurred_on, event.note, event.recorded_by) == (date(2022, 4, 1), "已清场", world.official)
    assert event.history.get().history_user == world.official
    page = as_official.get(response.url).content.decode()
    assert "已记录“示例企业甲”于 2022年4月1日 腾退。" in page
    assert f'data-event="{event.pk}" data-stage="{Stage.VACATED.value}"' in page
    assert 'data-vacated-count="1"' in page


def test_record_form_defaults_to_today(as_official, world):
    response = as_official.get(reverse("clearance:enterprise_event_create", args=[world.enterprise.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'value="{timezone.localdate().isoformat()}"' in html
    assert f'max="{timezone.localdate().isoformat()}"' in html


def selected_stage(html: str) -> str | None:
    """The value of the stage option the page preselects, or None."""
    import re

    select = re.search(r'<select name="stage".*?</select>', html, re.S).group(0)
    chosen = re.search(r'<option value="(\d*)"[^>]*selected', select)
    return (chosen.group(1) or None) if chosen else None


@pytest.mark.parametrize(
    ("disposal", "expected"), [(Disposal.VACATE, Stage.VACATED), (Disposal.UPGRADE, Stage.CLOSED), (Disposal.MERGE, Stage.CLOSED)]
)
def test_enterprise_page_preselects_the_next_stage(as_official, world, disposal, expected):
    Enterprise.objects.filter(pk=world.enterprise.pk).update(disposal=disposal)  # 签约 is recorded in the world

    page = as_official.get(reverse("clearance:enterprise_detail", args=[world.enterprise.pk])).content.decode()
    form_page = as_official.get(reverse("clearance:enterprise_event_create", args=[world.enterprise.pk])).content.decode()

    assert selected_stage(page) == str(expected.value)
    assert selected_stage(form_page) == str(expected.value)


def test_site_page_offers_each_subjects_next_stage(as_official, world):
    other = services.enterprise_create(site=world.site, name="示例企业乙", user=world.admin, disposal=Disposal.UPGRADE)
    services.event_record(enterprise=other, stage=Stage.SIGNED, on=date(2022, 3, 1), user=world.official)

    html = as_official.get(reverse("clearance:site_detail", args=[world.site.pk])).content.decode()

    assert f'value="{world.enterprise.pk}" data-next-stage="{Stage.VACATED.value}"' in html
    assert f'value="{other.pk}" data-next-stage="{Stage.CLOSED.value}"' in html
    assert f'value="site" data-next-stage="{Stage.VACATED.value}"' in html
    # No subject chosen yet: no stage either.
    assert selected_stage(html) is None
    # Coming from an enterprise's row (?enterprise=), its next stage is chosen already.
    form_page = as_official.get(
        reverse("clearance:site_event_create", args=[world.site.pk]), {"enterprise": other.pk}
    ).content.decode()
    assert selected_stage(form_page) == str(Stage.CLOSED.value)


def test_record_stage_from_enterprise_page(as_official, world):
    response = record_on_enterprise(as_official, world.enterprise, stage=Stage.NEGOTIATING, occurred_on="2022-02-01")

    assert response.status_code == 302
    stages = Event.objects.filter(enterprise=world.enterprise).order_by("stage").values_list("stage", flat=True)
    assert list(stages) == [Stage.NEGOTIATING, Stage.SIGNED]


def test_site_records_vacated_once_its_enterprises_are_out(as_official, world):
    record_on_enterprise(as_official, world.enterprise, stage=Stage.VACATED, occurred_on="2022-04-01")

    response = record_on_site(as_official, world.site, subject="site", stage=Stage.VACATED, occurred_on="2022-05-01")

    assert response.status_code == 302
    assert Event.objects.get(site=world.site).occurred_on == date(2022, 5, 1)


@pytest.mark.parametrize("neighbours", [0, 300])
def test_a_save_from_the_phone_runs_a_fixed_number_of_queries(as_official, world, django_assert_num_queries, neighbours):
    """The recording POST an official's phone makes, in as many queries whatever the site and the month hold."""
    today = timezone.localdate()
    others = Enterprise.objects.bulk_create(
        Enterprise(town=world.town, site=world.site, name=f"邻居{n:03d}") for n in range(neighbours)
    )
    Event.objects.bulk_create(Event(enterprise=each, stage=Stage.SIGNED, occurred_on=today) for each in others)
    vacated_before = selectors.city_figures(year=today.year, month=today.month)["vacated"]

    # session, user, enterprise with its town and site, may the official write there (one query); then, in the
    # transaction (here a savepoint, BEGIN and COMMIT uncounted outside tests): the enterprise's lock, whether the
    # month is closed (no note), the stage rules (one query), the event, its history row, the rollup's upsert, the
    # site's progress rows locked and rewritten (derived.site_progress: two, however many areas it lies in). The
    # rollup's year and month rows are one statement on PostgreSQL, two on SQLite (no INSERT inside a WITH there).
    with django_assert_num_queries(14 if connection.vendor == "postgresql" else 15):
        response = record_on_enterprise(
            as_official, world.enterprise, stage=Stage.VACATED, occurred_on=today.isoformat(), note="", phase=""
        )

    assert response.status_code == 302
    assert response.url == f"{world.enterprise.get_absolute_url()}#timeline"
    event = Event.objects.get(enterprise=world.enterprise, stage=Stage.VACATED)
    assert (event.occurred_on, event.recorded_by, event.history.get().history_user) == (today, world.official, world.official)
    assert selectors.city_figures(year=today.year, month=today.month)["vacated"] == vacated_before + 1


# Rule 6: each refusal with its Chinese message, and nothing saved ------------------------


@pytest.mark.parametrize(
    ("disposal", "stage", "message"),
    [
        (Disposal.VACATE, Stage.CLOSED, "须先记录“腾退”，才能记录“销号”。"),
        (Disposal.SHUT_DOWN, Stage.CLOSED, "须先记录“腾退”，才能记录“销号”。"),
        (Disposal.MOVE_TO_PARK, Stage.CLOSED, "须先记录“腾退”，才能记录“销号”。"),
        (Disposal.VACATE, Stage.DEMOLISHED, "须先记录“腾退”，才能记录“拆除”。"),
    ],
)
def test_stage_out_of_order_is_refused(as_official, world, disposal, stage, message):
    services.enterprise_update(enterprise=world.enterprise, expected_version=world.enterprise.version,
                               user=world.admin, disposal=disposal)
    before = row_counts()

    response = record_on_enterprise(as_official, world.enterprise, stage=stage, occurred_on="2022-06-01")

    assert response.status_code == 200
    assert errors_of(response) == [message]
    assert codes_of(response) == ["stage_out_of_order"]
    assert message in response.content.decode()
    assert row_counts() == before


def test_vacated_without_signed_is_refused(as_official, world):
    fresh = services.enterprise_create(site=world.site, name="未签约企业", user=world.admin)
    before = row_counts()

    response = record_on_enterprise(as_official, fresh, stage=Stage.VACATED, occurred_on="2022-06-01")

    assert errors_of(response) == ["须先记录“签约”，才能记录“腾退”。"]
    assert codes_of(response) == ["stage_out_of_order"]
    assert row_counts() == before


@pytest.mark.parametrize("disposal", [Disposal.UPGRADE, Disposal.MERGE])
def test_upgrade_and_merge_close_out_without_vacating(as_official, world, disposal):
    services.enterprise_update(enterprise=world.enterprise, expected_version=world.enterprise.version,
                               user=world.admin, disposal=disposal)

    response = record_on_enterprise(as_official, world.enterprise, stage=Stage.CLOSED, occurred_on="2022-06-01")

    assert response.status_code == 302
    assert Event.objects.filter(enterprise=world.enterprise, stage=Stage.CLOSED).count() == 1


def test_rule_per_disposal_is_documented_on_the_pages(as_official, world):
    site_html = as_official.get(world.site.get_absolute_url()).content.decode()
    enterprise_html = as_official.get(world.enterprise.get_absolute_url()).content.decode()

    assert "改造提升：企业原地保留，“销号”只需先“签约”。" in site_html
    assert "腾退收回：“销号”须先“腾退”。" in site_html
    assert "<summary>记录进度节点的规则</summary>" in site_html
    # The enterprise's own rule under its plan: it has no disposal method yet.
    assert '<p class="form-text mb-0 mt-2" data-record-rule>尚未确定处置方式：“销号”须先“腾退”。</p>' in enterprise_html


def test_future_date_is_refused(as_official, world):
    before = row_counts()
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = record_on_enterprise(as_official, world.enterprise, stage=Stage.VACATED, occurred_on=tomorrow.isoformat())

    assert errors_of(response) == ["日期不能晚于今天。"]
    assert codes_of(response) == ["future_date"]
    assert row_counts() == before


def test_stage_already_recorded_is_refused(as_official, world):
    before = row_counts()

    response = record_on_enterprise(as_official, world.enterprise, stage=Stage.SIGNED, occurred_on="2022-05-01")

    assert errors_of(response) == ["“签约”已于 2022-03-01 记录，请修改原记录。"]
    assert codes_of(response) == ["stage_already_recorded"]
    assert row_counts() == before


def test_dates_out_of_order_are_refused(as_official, world):
    before = row_counts()

    response = record_on_enterprise(as_official, world.enterprise, stage=Stage.VACATED, occurred_on="2022-02-01")

    assert errors_of(response) == ["腾退日期 2022-02-01 早于签约日期 2022-03-01：各节点须按顺序。"]
    assert codes_of(response) == ["dates_out_of_order"]
    assert row_counts() == before


def test_site_vacated_with_enterprises_still_there_is_refused(as_official, world):
    before = row_counts()

    response = record_on_site(as_official, world.site, subject="site", stage=Stage.VACATED, occurred_on="2022-05-01")

    assert errors_of(response) == ["地块不能在 2022-05-01 腾退：其上还有 1 家企业（示例企业甲）届时尚未腾退或销号。"]
    assert codes_of(response) == ["site_not_empty"]
    assert row_counts() == before


def test_site_records_no_stage_but_vacated(as_official, world):
    before = row_counts()

    response = record_on_site(as_official, world.site, subject="site", stage=Stage.SIGNED, occurred_on="2022-05-01")

    assert errors_of(response) == ["地块只记录“腾退”节点。"]
    assert codes_of(response) == ["site_stage"]
    assert row_counts() == before


def test_enterprise_of_another_site_cannot_be_chosen_on_a_site_page(as_official, world):
    other = services.enterprise_create(site=world.parcel, name="地块内企业", user=world.admin)
    before = row_counts()

    response = record_on_site(as_official, world.site, subject=other.pk, stage=Stage.SIGNED, occurred_on="2022-05-01")

    assert response.status_code == 200
    assert "subject" in response.context["form"].errors
    assert codes_of(response) == ["invalid_choice"]
    assert row_counts() == before


@pytest.mark.parametrize("who", ["other_official", "leader"])
def test_write_by_someone_not_of_the_town_is_forbidden_and_saves_nothing(client, world, who):
    client.force_login(getattr(world, who))
    before, history_before = row_counts(), history_counts()
    version = world.enterprise.version

    responses = [
        record_on_enterprise(client, world.enterprise, stage=Stage.VACATED, occurred_on="2022-04-01"),
        record_on_site(client, world.site, subject=world.enterprise.pk, stage=Stage.VACATED, occurred_on="2022-04-01"),
        client.post(reverse("clearance:site_events_bulk", args=[world.site.pk]),
                    {"bulk-enterprises": [world.enterprise.pk], "bulk-stage": Stage.VACATED, "bulk-occurred_on": "2022-04-01"}),
        client.post(reverse("clearance:enterprise_update", args=[world.enterprise.pk]),
                    {"name": "改名", "site": world.site.pk, "version": version, "annual_energy_tce": "0", "energy_freed_tce": "0"}),
        client.post(reverse("clearance:event_delete", args=[world.event.pk]), {"version": world.event.version}),
        client.post(reverse("clearance:event_update", args=[world.event.pk]),
                    {"version": world.event.version, "occurred_on": "2022-03-02"}),
        client.post(reverse("clearance:site_create", args=[world.town.pk]), {"name": "新地块", "area_mu": "3"}),
    ]

    assert [response.status_code for response in responses] == [403] * len(responses)
    assert row_counts() == before
    assert history_counts() == history_before


# Bulk ---------------------------------------------------------------------------------


def _tenants(world, count):
    return [services.enterprise_create(site=world.site, name=f"租户{n:02d}", user=world.admin, is_tenant=True)
            for n in range(count)]


def test_bulk_records_one_stage_for_the_ticked_enterprises(as_official, world):
    tenants = _tenants(world, 20)

    response = as_official.post(
        reverse("clearance:site_events_bulk", args=[world.site.pk]),
        {"bulk-enterprises": [t.pk for t in tenants], "bulk-stage": Stage.SIGNED, "bulk-occurred_on": "2022-06-18"},
    )

    assert response.status_code == 302
    assert Event.objects.filter(enterprise__in=tenants, stage=Stage.SIGNED, occurred_on=date(2022, 6, 18)).count() == 20
    page = as_official.get(world.site.get_absolute_url()).content.decode()
    assert 'data-signed-count="21"' in page


def test_bulk_is_all_or_nothing_and_names_each_refused_enterprise(as_official, world):
    tenants = _tenants(world, 3)
    before = row_counts()

    # 示例企业甲 has signed and can be vacated; the three tenants have not signed.
    response = as_official.post(
        reverse("clearance:site_events_bulk", args=[world.site.pk]),
        {"bulk-enterprises": [world.enterprise.pk, *(t.pk for t in tenants)], "bulk-stage": Stage.VACATED,
         "bulk-occurred_on": "2022-06-18"},
    )

    assert response.status_code == 200
    assert errors_of(response) == [f"租户{n:02d}：须先记录“签约”，才能记录“腾退”。" for n in range(3)]
    assert codes_of(response) == ["bulk_item_refused"] * 3
    assert row_counts() == before


def test_bulk_refuses_enterprises_of_another_site(as_official, world):
    before = row_counts()

    response = as_official.post(
        reverse("clearance:site_events_bulk", args=[world.site.pk]),
        {"bulk-enterprises": [world.other_enterprise.pk], "bulk-stage": Stage.SIGNED, "bulk-occurred_on": "2022-06-18"},
    )

    assert response.status_code == 200
    assert "enterprises" in response.context["form"].errors
    assert codes_of(response) == ["invalid_choice"]  # the form offers only the site's enterprises
    assert row_counts() == before


def test_bulk_without_a_ticked_enterprise_says_so(as_official, world):
    response = as_official.post(
        reverse("clearance:site_events_bulk", args=[world.site.pk]),
        {"bulk-stage": Stage.SIGNED, "bulk-occurred_on": "2022-06-18"},
    )

    assert response.context["form"].errors["enterprises"] == ["请至少选择一家企业。"]
    assert codes_of(response) == ["required"]


# Correcting and deleting ------------------------------------------------------------------


def test_correcting_an_event_keeps_the_old_date_in_the_history(as_official, world):
    response = as_official.post(
        reverse("clearance:event_update", args=[world.event.pk]),
        {"version": world.event.version, "occurred_on": "2022-03-05", "note": "日期更正", "phase": "during"},
    )

    world.event.refresh_from_db()
    assert response.status_code == 302
    assert (world.event.occurred_on, world.event.note, world.event.version) == (date(2022, 3, 5), "日期更正", 2)
    html = as_official.get(world.enterprise.get_absolute_url()).content.decode()
    assert '<li class="text-break-cjk" data-change>日期：<del class="text-secondary">2022-03-01</del> → <ins>2022-03-05</ins></li>' in html
    assert '<li class="text-break-cjk" data-change>备注：<del class="text-secondary">—</del> → <ins>日期更正</ins></li>' in html


def test_deleting_an_event_leaves_it_in_the_history(as_official, world):
    response = as_official.post(reverse("clearance:event_delete", args=[world.event.pk]), {"version": world.event.version})

    assert response.status_code == 302
    assert not Event.objects.filter(pk=world.event.pk).exists()
    deletion = Event.history.filter(id=world.event.pk, history_type="-").get()
    assert deletion.history_user == world.official
    html = as_official.get(world.site.get_absolute_url()).content.decode()
    assert 'data-history-kind="-"' in html


def test_deleting_a_stage_a_later_one_needs_is_refused(as_official, world):
    record_on_enterprise(as_official, world.enterprise, stage=Stage.VACATED, occurred_on="2022-04-01")
    before = row_counts()

    response = as_official.post(reverse("clearance:event_delete", args=[world.event.pk]), {"version": world.event.version})

    assert response.status_code == 200
    assert errors_of(response) == ["已记录“腾退”，不能删除“签约”。"]
    assert codes_of(response) == ["stage_needed_by_later"]
    assert row_counts() == before


def test_a_mistaken_closing_out_is_deleted_on_the_page_although_the_site_is_vacated(as_official, world):
    parcel = world.parcel
    enterprise = services.enterprise_create(site=parcel, name="示例钢铁", user=world.admin)
    close_out(enterprise, signed=date(2022, 3, 1), vacated=date(2022, 3, 2), closed=date(2022, 3, 6))
    services.event_record(site=parcel, stage=Stage.VACATED, on=date(2022, 3, 3), user=world.admin)
    closed = enterprise.events.get(stage=Stage.CLOSED)

    response = as_official.post(reverse("clearance:event_delete", args=[closed.pk]), {"version": closed.version})

    assert response.status_code == 302
    assert list(enterprise.events.order_by("stage").values_list("stage", flat=True)) == [Stage.SIGNED, Stage.VACATED]
    vacated = enterprise.events.get(stage=Stage.VACATED)
    refused = as_official.post(reverse("clearance:event_delete", args=[vacated.pk]), {"version": vacated.version})
    assert errors_of(refused) == [
        "删除此记录后，“示例钢铁”在“原胜利钢厂地块”腾退之日（2022-03-03）尚未腾退或销号；请先更正或删除该地块的腾退记录。"
    ]
    assert codes_of(refused) == ["site_not_empty"]


# Sites and enterprises ------------------------------------------------------------------


def test_official_adds_a_parcel_inside_a_site(as_official, world):
    response = as_official.post(
        reverse("clearance:site_create", args=[world.town.pk]),
        {"name": "新地块", "area_mu": "6.93", "parent": world.site.pk, "deadline": "2022-12-31"},
    )

    site = Site.objects.get(name="新地块")
    assert response.status_code == 302
    assert (site.town, site.parent, site.area_mu, site.version) == (world.town, world.site, Decimal("6.93"), 1)
    assert site.history.get().history_user == world.official


def test_site_form_refuses_a_parent_of_another_town(as_official, world):
    before = row_counts()

    response = as_official.post(
        reverse("clearance:site_create", args=[world.town.pk]),
        {"name": "新地块", "area_mu": "3", "parent": world.other_site.pk},
    )

    assert response.status_code == 200
    assert "parent" in response.context["form"].errors
    assert codes_of(response) == ["invalid_choice"]  # the form offers only the town's sites
    assert row_counts() == before


def test_site_form_refuses_a_non_positive_area(as_official, world):
    before = row_counts()

    response = as_official.post(reverse("clearance:site_create", args=[world.town.pk]), {"name": "新地块", "area_mu": "0"})

    assert response.context["form"].errors["area_mu"] == ["面积必须是大于 0 的亩数。"]
    assert codes_of(response) == ["area_not_positive"]
    assert row_counts() == before


def test_official_edits_a_site_and_the_history_shows_old_and_new(as_official, world):
    response = as_official.post(
        reverse("clearance:site_update", args=[world.site.pk]),
        {"version": world.site.version, "name": "六店区域", "area_mu": "120", "deadline": "2022-10-01"},
    )

    world.site.refresh_from_db()
    assert response.status_code == 302
    assert (world.site.area_mu, world.site.deadline, world.site.version) == (Decimal("120"), date(2022, 10, 1), 2)
    html = as_official.get(world.site.get_absolute_url()).content.decode()
    assert '面积（亩）：<del class="text-secondary">100.00</del> → <ins>120.00</ins>' in html
    assert '完成期限：<del class="text-secondary">—</del> → <ins>2022-10-01</ins>' in html
    # The deadline has passed and the site is not vacated: overdue.
    assert '<span class="badge text-bg-danger" data-overdue>逾期</span>' in html


def test_official_adds_an_enterprise_with_its_plan(as_official, world):
    group = world.town.pairings.get().task_force.attack_groups.get()

    response = as_official.post(
        reverse("clearance:enterprise_create", args=[world.site.pk]),
        {"name": "示例纺织企业", "site": world.site.pk, "is_tenant": "on", "disposal": Disposal.UPGRADE,
         "annual_energy_tce": "2000", "energy_freed_tce": "120.5", "responsible_group": group.pk,
         "plan_deadline": "2022-12-31", "plan_notes": "原地改造"},
    )

    enterprise = Enterprise.objects.get(name="示例纺织企业")
    assert response.status_code == 302
    assert (enterprise.town, enterprise.site, enterprise.is_tenant, enterprise.responsible_group) == (
        world.town, world.site, True, group
    )
    html = as_official.get(enterprise.get_absolute_url()).content.decode()
    assert '<dd class="col-7" data-disposal>改造提升</dd>' in html
    assert "曹桥街道第一攻坚小组" in html


def test_enterprise_cannot_be_added_to_a_vacated_site(as_official, world):
    record_on_enterprise(as_official, world.enterprise, stage=Stage.VACATED, occurred_on="2022-04-01")
    record_on_site(as_official, world.site, subject="site", stage=Stage.VACATED, occurred_on="2022-05-01")
    before = row_counts()

    response = as_official.post(
        reverse("clearance:enterprise_create", args=[world.site.pk]),
        {"name": "迟到企业", "site": world.site.pk, "annual_energy_tce": "0", "energy_freed_tce": "0"},
    )

    assert response.context["form"].errors["site"] == ["“六店区域”已记录腾退，不能再添加企业。"]
    assert codes_of(response) == ["site_vacated"]
    assert row_counts() == before


def test_enterprise_form_offers_only_sites_and_groups_of_its_town(as_official, world):
    response = as_official.get(reverse("clearance:enterprise_update", args=[world.enterprise.pk]))

    form = response.context["form"]
    assert set(form.fields["site"].queryset) == {world.site, world.parcel}
    assert [group.name for group in form.fields["responsible_group"].queryset] == ["曹桥街道第一攻坚小组"]
    assert form["version"].value() == world.enterprise.version
