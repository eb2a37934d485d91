"""The rules of 换鸟, each refused with its Chinese message and nothing changed."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from clearance import services
from clearance.choices import ProjectKind, ProjectStage, Stage
from clearance.models import Event, Project, ProjectEvent, ProjectSite
from tests.factories import SiteFactory
from tests.reuse.builders import one_town_worked_on_paper, project, reach, vacated_site

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    with translation.override("zh-hans"):
        yield one_town_worked_on_paper()


def refused(call) -> str:
    with pytest.raises(ValidationError) as caught:
        call()
    return " ".join(caught.value.messages)


def snapshot():
    return (list(ProjectSite.objects.order_by("pk").values_list("site_id", "area_mu")),
            list(ProjectEvent.objects.order_by("pk").values_list("stage", "occurred_on")),
            list(Project.objects.order_by("pk").values_list("land_mu", "version")))


def take(target, site, area):
    target.refresh_from_db()
    return lambda: services.project_land_set(project=target, site=site, area_mu=Decimal(area),
                                             expected_version=target.version, user=None)


def test_land_over_allocation_is_refused(world):
    """甲 holds 30 mu, all taken (一号 20, 二号 10); 乙 holds 20, 5 taken."""
    third = project(world["town"], "三号项目", investment="100")
    before = snapshot()
    message = refused(take(third, world["jia"], "0.01"))
    assert "甲地块" in message and "30" in message and "最多还可" in message
    message = refused(take(third, world["yi"], "15.01"))
    assert "乙地块" in message and "15" in message
    assert snapshot() == before
    take(third, world["yi"], "15")()
    assert ProjectSite.objects.get(project=third).area_mu == Decimal("15")


def test_changing_one_s_own_share_counts_only_the_others(world):
    """二号 takes 10 of 甲; it may not take 11 (一号 has 20 of 30), but 10 again changes nothing."""
    assert "甲地块" in refused(take(world["second"], world["jia"], "10.01"))
    take(world["second"], world["jia"], "10")()


def test_no_land_supply_on_land_not_yet_vacated(world):
    pending = project(world["town"], "四号项目", investment="100", land=[(world["bing2"], "5")])
    reach(pending, ProjectStage.SIGNED, date(2022, 3, 1))
    message = refused(lambda: reach(pending, ProjectStage.LAND_SUPPLIED, date(2022, 4, 1)))
    assert "丙二" in message and "尚未腾退" in message
    assert not pending.events.filter(stage=ProjectStage.LAND_SUPPLIED).exists()
    # Vacated later than the supply date is not enough either.
    services.event_record(site=world["bing2"], stage=Stage.VACATED, on=date(2022, 5, 1), user=None)
    assert "丙二" in refused(lambda: reach(pending, ProjectStage.LAND_SUPPLIED, date(2022, 4, 1)))
    reach(pending, ProjectStage.LAND_SUPPLIED, date(2022, 5, 1))


def test_no_land_supply_without_land(world):
    bare = project(world["town"], "五号项目", investment="100")
    reach(bare, ProjectStage.SIGNED, date(2022, 3, 1))
    assert "地块" in refused(lambda: reach(bare, ProjectStage.LAND_SUPPLIED, date(2022, 4, 1)))


def test_no_full_production_before_production_and_dates_in_order(world):
    first = world["first"]
    message = refused(lambda: reach(first, ProjectStage.FULL_PRODUCTION, date(2022, 6, 1)))
    assert "达产" in message and "投产" in message
    reach(first, ProjectStage.CONSTRUCTION_STARTED, date(2022, 2, 1))
    message = refused(lambda: reach(first, ProjectStage.IN_PRODUCTION, date(2022, 1, 31)))
    assert "开工" in message and "顺序" in message
    assert "晚于今天" in refused(lambda: reach(first, ProjectStage.IN_PRODUCTION, timezone.localdate() + timedelta(days=1)))
    assert not first.events.filter(stage=ProjectStage.IN_PRODUCTION).exists()


def test_a_reclamation_has_no_investment_stages(world):
    farmland = world["farmland"]
    assert "复垦" in refused(lambda: reach(farmland, ProjectStage.IN_PRODUCTION, date(2022, 6, 1)))


def test_a_stage_needed_by_a_later_one_cannot_go(world):
    supplied = world["first"].events.get(stage=ProjectStage.SIGNED)
    assert "供地" in refused(lambda: services.project_event_delete(
        event=supplied, expected_version=supplied.version, user=None))


def test_an_area_with_parcels_gives_no_land_directly(world):
    other = project(world["town"], "六号项目", investment="1")
    assert "丙区域" in refused(take(other, world["area"], "1"))


def test_the_site_side_keeps_the_land_given(world):
    """A site whose land is given cannot shrink below it, gain parcels, or lose its 腾退 before the supply."""
    jia = world["jia"]
    jia.refresh_from_db()
    assert "30" in refused(lambda: services.site_update(site=jia, expected_version=jia.version, user=None,
                                                        area_mu=Decimal("29.99")))
    assert "甲地块" in refused(lambda: SiteFactory(town=world["town"], name="甲内", parent=jia))
    vacated = Event.objects.get(site=jia)
    message = refused(lambda: services.event_delete(event=vacated, expected_version=vacated.version, user=None))
    assert "一号项目" in message
    message = refused(lambda: services.event_correct(event=vacated, expected_version=vacated.version,
                                                     on=date(2022, 1, 20), user=None))
    assert "一号项目" in message
    assert Event.objects.get(site=jia).occurred_on == date(2021, 11, 10)


def test_stale_project_edits_are_refused(world):
    first = world["first"]
    first.refresh_from_db()
    seen = first.version
    services.project_update(project=first, expected_version=seen, user=None, industry="智能制造")
    with pytest.raises(services.StaleEditError):
        services.project_update(project=first, expected_version=seen, user=None, industry="纺织")
    assert Project.objects.get(pk=first.pk).industry == "智能制造"


def test_an_investment_project_names_its_investor_and_dates_in_order(world):
    assert "投资方" in refused(lambda: services.project_create(
        user=None, town=world["town"], name="无名项目", kind=ProjectKind.INVESTMENT))
    assert "顺序" in refused(lambda: services.project_create(
        user=None, town=world["town"], name="倒序项目", investor="某公司",
        committed_production_on=date(2023, 1, 1), committed_full_production_on=date(2022, 1, 1)))
    assert not Project.objects.filter(name__in=["无名项目", "倒序项目"]).exists()


def test_land_of_another_town_is_refused(world):
    elsewhere = vacated_site(SiteFactory().town, "他镇地块", "10", date(2022, 1, 1))
    third = project(world["town"], "七号项目", investment="1")
    assert "他镇地块" in refused(take(third, elsewhere, "1"))
