"""The Pinghu demo: the published figures, the article's sites and counts, idempotence and the demo users."""

import io
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Q, Sum
from django.test import Client

from clearance import permissions, services
from clearance.choices import Metric, Region, Stage, TownKind
from clearance.models import (
    Adjustment,
    AttackGroup,
    BulletinFigure,
    County,
    EconomyFigure,
    Enterprise,
    Event,
    IndicatorRow,
    Pairing,
    ReportingPeriod,
    ReuseMonthlyFigure,
    Scheme,
    Site,
    Target,
    TaskForceMember,
    Town,
)
from clearance.selectors import city_figures
from clearance.selectors.evaluation import candidates, evaluated_years, evaluation_rows

CLOSED, LAND, ENERGY = Metric.ENTERPRISES_RECTIFIED, Metric.LAND_VACATED_MU, Metric.ENERGY_FREED_TCE
EIGHT_TOWNS = [
    ("当湖街道", TownKind.SUBDISTRICT),
    ("钟埭街道", TownKind.SUBDISTRICT),
    ("曹桥街道", TownKind.SUBDISTRICT),
    ("新埭镇", TownKind.TOWN),
    ("新仓镇", TownKind.TOWN),
    ("广陈镇", TownKind.TOWN),
    ("林埭镇", TownKind.TOWN),
    ("独山港经济开发区", TownKind.DEVELOPMENT_ZONE),
]

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_db")]


def _one_decimal(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _site(name: str) -> Site:
    return Site.objects.get(name=name)


def _on_or_inside(site: Site) -> Q:
    return Q(site=site) | Q(site__parent=site)


def test_demo_reproduces_the_published_figures():
    figures = city_figures(year=2022, month=8)

    assert (figures[CLOSED], figures[LAND], figures[ENERGY]) == (190, Decimal("3163.00"), Decimal("50000.00"))


def test_demo_completion_against_city_targets_is_the_published_one():
    figures = city_figures(year=2022, month=8)
    targets = {t.metric: t.value for t in Target.objects.filter(year=2022, town=None, metric__in=Metric.values)}

    completion = {metric: _one_decimal(Decimal(figures[metric]) / targets[metric] * 100) for metric in targets}

    assert completion == {CLOSED: Decimal("100.0"), LAND: Decimal("126.5"), ENERGY: Decimal("111.1")}


def test_demo_town_targets_add_up_to_the_city_targets():
    city = {t.metric: t.value for t in Target.objects.filter(year=2022, town=None, metric__in=Metric.values)}
    towns = dict(
        Target.objects.filter(year=2022, town__isnull=False, metric__in=Metric.values)
        .order_by()
        .values_list("metric")
        .annotate(total=Sum("value"))
    )
    allocated = Target.objects.filter(year=2022, town__isnull=False, metric__in=Metric.values).order_by().values_list("metric", "town").distinct()

    assert city == {CLOSED: Decimal("190"), LAND: Decimal("2500"), ENERGY: Decimal("45000")}
    assert towns == city
    assert len(allocated) == 3 * 8


def test_demo_has_the_eight_towns_in_order():
    assert list(Town.objects.values_list("name", "kind")) == EIGHT_TOWNS


def test_demo_pairs_the_article_heads():
    pairings = Pairing.objects.active().select_related("town", "head__bureau")
    active = {p.town.name: (p.head.bureau.name, p.head.name) for p in pairings}

    assert active["曹桥街道"] == ("市应急管理局", "马根良")
    assert active["独山港经济开发区"] == ("市经信局", "沈洪")
    assert active["当湖街道"][0] == "市综合执法局"
    assert active["新埭镇"][0] == "市市场监管局"
    assert active["林埭镇"][0] == "市自然资源和规划局"
    assert len(active) == 8
    assert {p.started_on for p in Pairing.objects.all()} == {date(2022, 1, 1)}


def test_demo_task_forces_of_caoqiao_and_lindai():
    caoqiao = Pairing.objects.active().get(town__name="曹桥街道").task_force
    lindai = Pairing.objects.active().get(town__name="林埭镇").task_force

    assert set(caoqiao.member_bureaus.values_list("name", flat=True)) == {"市应急管理局", "市国资办", "市建设局", "市综合执法局"}
    assert AttackGroup.objects.filter(task_force=lindai).count() == 13
    assert Enterprise.objects.filter(town__name="林埭镇", responsible_group__isnull=True).count() == 0
    assert Enterprise.objects.filter(town__name="林埭镇").values("responsible_group").distinct().count() == 13


def test_demo_xujiadai_has_106_enterprises_71_tenants_90_signed():
    enterprises = Enterprise.objects.filter(_on_or_inside(_site("徐家埭工业集聚点")))

    assert enterprises.count() == 106
    assert enterprises.filter(is_tenant=True).count() == 71
    assert enterprises.filter(events__stage=Stage.SIGNED).count() == 90


def test_demo_xujiadai_parcels_were_cleared_within_a_month():
    gongmao = _site("某工贸企业地块")
    fangzhi = _site("某纺织企业地块")
    gongmao_events = dict(Enterprise.objects.get(name="某工贸企业").events.values_list("stage", "occurred_on"))
    fangzhi_events = dict(Enterprise.objects.get(name="某纺织企业").events.values_list("stage", "occurred_on"))

    assert (gongmao.area_mu, fangzhi.area_mu) == (Decimal("6.93"), Decimal("20.00"))
    assert {Stage.SIGNED, Stage.VACATED, Stage.DEMOLISHED, Stage.CLOSED} <= set(gongmao_events)
    assert (gongmao_events[Stage.DEMOLISHED] - min(gongmao_events.values())).days <= 31
    assert gongmao.events.get().stage == Stage.VACATED
    assert (fangzhi_events[Stage.VACATED] - fangzhi_events[Stage.SIGNED]).days < 31
    assert fangzhi.events.get().stage == Stage.VACATED


def test_demo_liudian_parcels_total_360_5_mu_vacated():
    liudian = _site("六店区域")
    shengli = _site("原胜利钢厂地块")
    vacated = Site.objects.filter(parent=liudian, events__stage=Stage.VACATED)

    assert vacated.aggregate(total=Sum("area_mu"))["total"] == Decimal("360.50")
    assert shengli.parent == liudian
    assert shengli.area_mu == Decimal("20.43")
    assert shengli in vacated
    assert shengli.enterprises.filter(is_tenant=True).count() >= 20
    assert shengli.enterprises.filter(is_tenant=False, name="某贸易公司").exists()
    assert not liudian.events.exists()


def test_demo_longpai_and_salt_company_are_still_in_talks():
    for name in ("平湖市龙牌糟厂", "某盐业公司"):
        enterprise = Enterprise.objects.get(name=name)
        stages = set(enterprise.events.values_list("stage", flat=True))

        assert Stage.NEGOTIATING in stages
        assert not stages & {Stage.SIGNED, Stage.VACATED, Stage.CLOSED}
        assert enterprise.site.parent.name == "六店区域"
        assert not enterprise.site.events.exists()


def test_demo_events_fall_in_every_month_of_the_period_and_none_later():
    months = set(Event.objects.dates("occurred_on", "month"))
    closed_months = set(Event.objects.filter(stage=Stage.CLOSED).dates("occurred_on", "month"))
    land_months = set(Event.objects.filter(site__isnull=False).dates("occurred_on", "month"))

    assert months == closed_months == land_months == {date(2022, month, 1) for month in range(1, 9)}
    assert not Event.objects.filter(Q(occurred_on__gt=date(2022, 8, 31)) | Q(occurred_on__lt=date(2022, 1, 1))).exists()


def test_demo_monthly_figures_rise():
    by_month = [city_figures(year=2022, month=month) for month in range(1, 9)]

    for metric in (CLOSED, LAND, ENERGY):
        values = [figures[metric] for figures in by_month]
        assert values == sorted(set(values)), metric


def test_demo_pinghu_leads_jiaxing_on_enterprises_and_land():
    figures = city_figures(year=2022, month=8)
    targets = {t.metric: t.value for t in Target.objects.filter(year=2022, town=None, metric__in=Metric.values)}
    pinghu = {metric: Decimal(figures[metric]) / targets[metric] for metric in targets}
    august = BulletinFigure.objects.filter(year=2022, month=8)
    others = {metric: [b.actual / b.target for b in august.filter(metric=metric)] for metric in targets}

    assert County.objects.get(is_home=True).name == "平湖市"
    assert County.objects.count() == 7
    assert len(others[CLOSED]) == len(others[LAND]) == len(others[ENERGY]) == 6
    assert max(others[CLOSED]) < pinghu[CLOSED]
    assert max(others[LAND]) < pinghu[LAND]
    assert max(others[ENERGY]) > pinghu[ENERGY]


def test_demo_bulletins_rise_month_by_month():
    for county in County.objects.filter(is_home=False):
        for metric in (CLOSED, LAND, ENERGY):
            actuals = list(
                BulletinFigure.objects.filter(county=county, year=2022, metric=metric)
                .order_by("month")
                .values_list("month", "actual")
            )

            assert [month for month, _ in actuals] == list(range(1, 9))
            assert [a for _, a in actuals] == sorted({a for _, a in actuals}), (county.name, metric)


def _row_counts() -> dict[str, int]:
    models = apps.get_app_config("clearance").get_models(include_auto_created=True)
    return {model._meta.label: model._default_manager.count() for model in models}


def _users() -> list[tuple]:
    return [
        (user.pk, user.username, user.password, user.last_login, user.is_staff, user.is_superuser,
         sorted(user.groups.values_list("name", flat=True)))
        for user in get_user_model().objects.order_by("pk")
    ]


def _evaluation() -> tuple[list, list]:
    """The evaluation's figures and scores, and when each scheme was last computed."""
    rows = list(IndicatorRow.objects.order_by("pk").values_list(
        "enterprise_id", "year", "size", "land_mu", "tax_wan", "energy_tce", "exempt", "version", "total", "position",
        "grade"))
    schemes = list(Scheme.objects.order_by("pk").values_list("year", "size", "version", "graded_count", "computed_at"))
    return rows, schemes


def _periods() -> list[tuple]:
    return list(ReportingPeriod.objects.order_by("year", "month").values_list("year", "month", "closed"))


def _reuse_rollup() -> list[dict]:
    return list(ReuseMonthlyFigure.objects.order_by("pk").values())


# The one second run of the whole demo in the suite (each takes tens of seconds): what the ledger, the
# evaluation, the reuse, the periods and the economy each keep through it is checked here.
def test_demo_second_run_changes_nothing():
    counts, users, evaluation = _row_counts(), _users(), _evaluation()
    periods, reuse_rollup = _periods(), _reuse_rollup()
    history_rows = sum(n for label, n in counts.items() if ".Historical" in label)

    call_command("load_demo", stdout=io.StringIO())

    # Not a row more or less, history included (the projects', the periods' and the economy's among them).
    assert _row_counts() == counts
    assert _users() == users
    assert history_rows > 0
    # Not even a score is computed again: nothing changed.
    assert _evaluation() == evaluation
    assert counts["clearance.IndicatorRow"] > 0 and counts["clearance.Adjustment"] == 2
    assert _reuse_rollup() == reuse_rollup
    # January to August are closed once: eight periods, eight history rows.
    assert _periods() == periods == [(2022, month, True) for month in range(1, 9)]
    assert counts["clearance.HistoricalReportingPeriod"] == 8
    assert counts["clearance.HistoricalProject"] > 0
    assert counts["clearance.HistoricalEconomyFigure"] + counts["clearance.HistoricalEconomyYear"] > 0
    assert EconomyFigure.objects.filter(year=2022).count() == 16
    assert EconomyFigure.objects.get(region=Region.PINGHU, year=2022, month=3).employment == 111_800


# 亩均效益评价 (issue 14): the demo's 2021 and 2022 evaluation.


def test_demo_evaluates_2021_and_2022_with_both_size_classes_a_few_exempt_and_a_few_without_land():
    assert evaluated_years() == [2022, 2021]
    for year in (2021, 2022):
        rows = IndicatorRow.objects.filter(year=year)
        assert {size for size in rows.values_list("size", flat=True).distinct()} == {"above", "below"}
        assert 3 <= rows.filter(exempt=True).count() <= 10
        assert 2 <= rows.filter(land_mu=0).count() <= 10
        assert rows.filter(exempt=False, land_mu=0).exclude(grade="").count() == 0
    assert set(Town.objects.filter(evaluated_enterprises__isnull=False).values_list("name", flat=True)) == {
        name for name, _kind in EIGHT_TOWNS}


def test_demo_evaluates_a_good_share_of_the_clearance_enterprises_and_many_more_never_in_clearance():
    rows = evaluation_rows(2021)
    in_clearance = rows.filter(in_clearance=True).count()
    assert in_clearance >= Enterprise.objects.count() // 3
    assert rows.filter(in_clearance=False).count() >= 300
    assert not rows.filter(in_clearance=False).exclude(enterprise__name__startswith="示例").exists()


def test_demo_some_clearance_enterprises_are_class_d_in_2021():
    d_in_clearance = evaluation_rows(2021).filter(grade="D", in_clearance=True).count()
    assert d_in_clearance >= 10
    assert d_in_clearance > evaluation_rows(2021).filter(grade="D", in_clearance=False).count()


def test_demo_every_town_has_candidates_and_some_are_class_c_two_years_running():
    for name, _kind in EIGHT_TOWNS:
        town = Town.objects.get(name=name)
        found = list(candidates(2022, town=town))
        assert found, name
        assert all(not row.in_clearance for row in found)
    assert candidates(2022).filter(grade="C", previous_grade="C").count() >= 8


def test_demo_adjustments_are_recorded_with_a_reason():
    assert sorted(Adjustment.objects.values_list("year", "points", "reason")) == [
        (2021, Decimal("-10.00"), "安全生产事故"), (2022, Decimal("5.00"), "高新技术企业")]


def test_demo_dashboard_panel_shows_2022_against_2021():
    client = Client()
    client.force_login(get_user_model().objects.get(username="leader"))
    page = client.get("/").content.decode()
    assert 'data-evaluation-panel data-year="2022"' in page and 'data-year-before="2021"' in page
    assert page.count('<tr data-town="') >= 2 * 8


def test_demo_rerun_keeps_progress_recorded_since_and_restores_moved_events():
    official = get_user_model().objects.get(username="official")
    zaochang = Enterprise.objects.get(name="平湖市龙牌糟厂")
    # August is closed in the demo: late changes carry a note.
    services.event_record(stage=Stage.SIGNED, on=date(2022, 8, 30), user=official, enterprise=zaochang, note="补录")
    moved = Event.objects.filter(enterprise__name="某纺织企业", stage=Stage.CLOSED).get()
    services.event_correct(
        event=moved, expected_version=moved.version, on=date(2022, 8, 1), user=official, correction_note="日期录错"
    )
    out = io.StringIO()

    call_command("load_demo", stdout=out)

    assert zaochang.events.filter(stage=Stage.SIGNED).exists()
    assert Event.objects.get(pk=moved.pk).occurred_on == date(2022, 6, 24)
    # Putting it back in a closed month is a late correction too, and says so.
    assert moved.history.order_by("-history_date").first().history_change_reason == "按演示数据恢复（load_demo）。"
    assert "Events recorded besides the demo's, included in the figures: 1." in out.getvalue()
    assert city_figures(year=2022, month=8)[CLOSED] == 190


@pytest.mark.parametrize("username", ["admin", "leader", "official"])
def test_demo_users_log_in(username):
    # Through the sign-in page: django-axes needs the request, which Client.login does not give.
    response = Client().post("/accounts/login/", {"username": username, "password": "demo-pass-2022"})

    if username == "official":
        # The official works for 曹桥街道 alone: signing in lands on its workspace.
        assert response.url == f"/workspace/{Town.objects.get(name='曹桥街道').pk}/sites/"
    else:
        assert response.url == "/"


def test_demo_users_roles():
    demo_users = get_user_model().objects.filter(username__in=["admin", "leader", "official"])
    users = {user.username: user for user in demo_users}

    assert users["admin"].is_superuser and users["admin"].is_staff
    assert permissions.is_leader(users["leader"])
    assert list(users["official"].groups.values_list("name", flat=True)) == [permissions.OFFICIALS_GROUP]


def test_demo_official_writes_for_caoqiao_only():
    official = get_user_model().objects.get(username="official")
    caoqiao, lindai = Town.objects.get(name="曹桥街道"), Town.objects.get(name="林埭镇")
    membership = TaskForceMember.objects.get(user=official)

    assert membership.task_force == Pairing.objects.active().get(town=caoqiao).task_force
    assert (membership.unit, membership.role) == ("曹桥街道", "member")
    assert permissions.can_write_town(official, caoqiao)
    assert not permissions.can_write_town(official, lindai)
