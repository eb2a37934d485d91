"""The evaluation's pages: a year's table, a town's view, the card, the candidates, and a clearance plan opened."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from clearance import services
from clearance.choices import SizeClass
from clearance.models import Enterprise, EvaluatedEnterprise, Site
from clearance.selectors import evaluation as selectors
from clearance.services.evaluation import evaluated_enterprise_upsert, indicator_row_upsert, scores_recompute
from tests.language import visible_text

pytestmark = pytest.mark.django_db

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
CARD_LINK = re.compile(r'href="/evaluation/enterprises/(\d+)/"')

# 规下 (tax per mu 50, tax per unit of power 50), the same figures in 2021 and 2022, all in the world's town:
# name: (land, tax, power, energy). Means: tax per mu (20+10+8+5+1)/5 = 8.8, tax per power (10+5+4+2.5+1)/5 = 4.5.
#   甲 20/8.8 → 1.5 cap → 75, 10/4.5 → cap → 75: 150       position 1 of 5: 0.2 → A
#   乙 10/8.8 × 50 = 56.82, 5/4.5 × 50 = 55.56: 112.37      2: 0.4 → B
#   丙 8/8.8 × 50 = 45.45, 4/4.5 × 50 = 44.44: 89.90        3: 0.6 → B
#   丁 5/8.8 × 50 = 28.41, 2.5/4.5 × 50 = 27.78: 56.19      4: 0.8 → C (both years; in clearance: no candidate)
#   戊 1/8.8 × 50 = 5.68, 1/4.5 × 50 = 11.11: 16.79         5: 1.0 → D (a candidate)
# 己 is exempt (2022 only). 庚, of the other town, is the only 规上 enterprise of 2022: position 1 of 1 → D.
FIGURES = {
    "甲": ("10", "200", "20", "100"),
    "乙": ("10", "100", "20", "50"),
    "丙": ("10", "80", "20", "20"),
    "丁": ("10", "50", "20", "30"),
    "戊": ("20", "20", "20", "40"),
}


def _row(enterprise, year, *, land, tax, power, energy, size=SizeClass.BELOW, **fields):
    return indicator_row_upsert(enterprise=enterprise, year=year, size=size, rescore=False, land_mu=Decimal(land),
                                tax_wan=Decimal(tax), power_10k_kwh=Decimal(power), energy_tce=Decimal(energy), **fields)


def add_enterprises(town, count: int, *, years=(2022,), prefix="填充企业"):
    """COUNT more graded enterprises of TOWN for YEARS, each with its own tax (scores not recomputed)."""
    for number in range(count):
        evaluated = evaluated_enterprise_upsert(town=town, name=f"{prefix}{number:03}")
        for year in years:
            _row(evaluated, year, land="10", tax=str(number + 1), power="20", energy="5")


@pytest.fixture
def evaluation(world):
    """The world's towns evaluated for 2021 and 2022 (see FIGURES); 丁 is in the clearance ledger by its name."""
    for name, (land, tax, power, energy) in FIGURES.items():
        evaluated = evaluated_enterprise_upsert(town=world.town, name=name)
        for year in (2021, 2022):
            _row(evaluated, year, land=land, tax=tax, power=power, energy=energy)
    exempt = evaluated_enterprise_upsert(town=world.town, name="己")
    _row(exempt, 2022, land="5", tax="10", power="5", energy="1", exempt=True)
    other = evaluated_enterprise_upsert(town=world.other_town, name="庚", credit_code="91330482MA2B3C4D5Y")
    _row(other, 2022, land="10", tax="300", power="50", energy="60", size=SizeClass.ABOVE, value_added_wan=Decimal("900"))
    for year in (2021, 2022):
        scores_recompute(year=year)
    services.enterprise_create(site=world.site, name="丁", user=world.admin)
    return world


def evaluated(name: str) -> EvaluatedEnterprise:
    return EvaluatedEnterprise.objects.get(name=name)


def listed(response) -> list[str]:
    """The enterprises a table lists, in order, by their card links."""
    names = dict(EvaluatedEnterprise.objects.values_list("pk", "name"))
    return [names[int(pk)] for pk in CARD_LINK.findall(response.content.decode())]


def get(client, url, **query):
    response = client.get(url, query, **ENGLISH)
    assert response.status_code == 200, response.content.decode()[:500]
    return response


# The evaluation of a year ------------------------------------------------------------------------------------------


def test_evaluation_lists_the_latest_year_best_total_first_with_classes_and_status(client, evaluation):
    client.force_login(evaluation.leader)

    response = get(client, reverse("clearance:evaluation"))

    html = response.content.decode()
    assert (response.context["year"], response.context["years"]) == (2022, [2022, 2021])
    assert listed(response) == ["甲", "乙", "丙", "庚", "丁", "戊", "己"]
    assert re.findall(r'data-grade="(\w*)"', html) == ["A", "B", "B", "D", "C", "D", "exempt"]
    text = visible_text(html)
    assert "甲 曹桥街道 Below designated size 20.00 — 150.00 1 /5 A No No" in text
    assert "丁 曹桥街道 Below designated size 5.00 — 56.19 4 /5 C Yes No" in text
    assert "戊 曹桥街道 Below designated size 1.00 — 16.79 5 /5 D No Yes" in text
    assert "庚 林埭镇 Above designated size 30.00 90.00 70.00 1 /1 D No Yes" in text


@pytest.mark.parametrize(("query", "names"), [
    ({"grade": "D"}, ["庚", "戊"]),
    ({"grade": "none"}, ["己"]),
    ({"size": "above"}, ["庚"]),
    ({"candidate": "true"}, ["庚", "戊"]),
    ({"candidate": "false", "grade": "C"}, ["丁"]),
    ({"name": "乙"}, ["乙"]),
])
def test_evaluation_filters_change_what_is_listed(client, evaluation, query, names):
    client.force_login(evaluation.official)

    assert listed(get(client, reverse("clearance:evaluation"), **query)) == names


def test_evaluation_filters_by_town(client, evaluation):
    client.force_login(evaluation.official)

    assert listed(get(client, reverse("clearance:evaluation"), town=evaluation.other_town.pk)) == ["庚"]


@pytest.mark.parametrize(("sort", "names"), [
    ("total", ["戊", "丁", "庚", "丙", "乙", "甲", "己"]),
    ("-tax_per_mu", ["庚", "甲", "乙", "丙", "丁", "己", "戊"]),
    ("name", ["丁", "丙", "乙", "己", "庚", "戊", "甲"]),
    ("position", ["庚", "甲", "乙", "丙", "丁", "戊", "己"]),
])
def test_evaluation_sorts_by_the_column_clicked_empty_values_last(client, evaluation, sort, names):
    client.force_login(evaluation.leader)

    assert listed(get(client, reverse("clearance:evaluation"), sort=sort)) == names


def test_evaluation_of_an_earlier_year(client, evaluation):
    client.force_login(evaluation.leader)

    response = get(client, reverse("clearance:evaluation"), year="2021")

    assert listed(response) == ["甲", "乙", "丙", "丁", "戊"]
    assert '<option value="2021" selected>2021</option>' in response.content.decode()


def test_evaluation_of_a_year_without_data_says_so(client, evaluation):
    client.force_login(evaluation.leader)

    response = get(client, reverse("clearance:evaluation"), year="2030")

    assert listed(response) == []
    assert "2030 has no evaluation data." in visible_text(response.content.decode())


def test_evaluation_refuses_a_year_that_is_not_one_in_chinese(client, evaluation):
    client.force_login(evaluation.leader)

    response = client.get(reverse("clearance:evaluation"), {"year": "二〇二二"})

    assert response.status_code == 400
    assert "年度须为 2000 至 2100 之间的整数" in response.content.decode()


def test_evaluation_without_any_data_says_what_to_do(client, world):
    client.force_login(world.admin)

    response = get(client, reverse("clearance:evaluation"))

    text = visible_text(response.content.decode())
    assert "No evaluation data yet." in text
    assert "data-evaluation-empty" in response.content.decode()


def test_evaluation_exports_the_filtered_rows_with_numbers(client, evaluation):
    client.force_login(evaluation.leader)

    response = get(client, reverse("clearance:evaluation"), _export="csv", grade="D", sort="total")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["Enterprise", "Township", "Size class", "Tax per mu (10k yuan/mu)", "Value added per mu (10k yuan/mu)",
         "Score", "Position", "Class", "In clearance", "Candidate for clearance"],
        ["戊", "曹桥街道", "Below designated size", "1.00", "", "16.79", "5", "D", "No", "Yes"],
        ["庚", "林埭镇", "Above designated size", "30.00", "90.00", "70.00", "1", "D", "No", "Yes"],
    ]


# A town's view ------------------------------------------------------------------------------------------------------


def test_town_view_shows_the_class_mix_land_and_energy_of_c_and_d_and_what_is_in_clearance(client, evaluation):
    client.force_login(evaluation.leader)

    response = get(client, reverse("clearance:evaluation_town", args=[evaluation.town.pk]))

    html = response.content.decode()
    counts = dict(re.findall(r'data-grade-count="(\w+)">.*?<strong>(\d+)</strong>', html))
    assert counts == {"A": "1", "B": "2", "C": "1", "D": "1", "none": "1"}
    low = {grade: visible_text(row) for grade, row in re.findall(r'data-low-grade="(\w)">(.*?)</tr>', html, re.S)}
    # C: 丁, 10 mu and 30 tce, all in clearance; D: 戊, 20 mu and 40 tce, none yet.
    assert low == {"C": "C 1 10.00 10.00 30.00 30.00", "D": "D 1 20.00 0.00 40.00 0.00"}
    # (200 + 100 + 80 + 50 + 20 + 10) ÷ (10 × 4 + 20 + 5) = 460 ÷ 65
    assert "7.08 10k yuan/mu" in visible_text(html)
    assert 'data-town-candidates="1"' in html
    # Its enterprises only, and no town filter.
    assert listed(response) == ["甲", "乙", "丙", "丁", "戊", "己"]
    assert "town" not in response.context["filter"].form.fields


def test_town_view_filters_its_table(client, evaluation):
    client.force_login(evaluation.leader)

    response = get(client, reverse("clearance:evaluation_town", args=[evaluation.town.pk]), grade="B")

    assert listed(response) == ["乙", "丙"]


# The candidates -----------------------------------------------------------------------------------------------------


def test_candidates_per_town_lowest_total_first_with_land_energy_and_classes(client, evaluation):
    weak = evaluated_enterprise_upsert(town=evaluation.town, name="辛")
    _row(weak, 2022, land="30", tax="0", power="20", energy="70")
    scores_recompute(year=2022)
    client.force_login(evaluation.leader)

    response = get(client, reverse("clearance:evaluation_candidates"))

    # 辛 is last of six: D; 戊 fifth of six (0.83): C this year, D last year, no candidate.
    assert listed(response) == ["辛", "庚"]
    text = visible_text(response.content.decode())
    assert "曹桥街道 辛 0.00 30.00 70.00 D —" in text
    assert "林埭镇 庚 70.00 10.00 60.00 D —" in text
    # A leader opens no plan.
    assert "data-open-plan" not in response.content.decode()


def test_candidates_of_one_town_with_the_plan_button_for_its_official_only(client, evaluation):
    client.force_login(evaluation.official)

    mine = get(client, reverse("clearance:evaluation_candidates"), town=evaluation.town.pk)
    theirs = get(client, reverse("clearance:evaluation_candidates"), town=evaluation.other_town.pk)

    assert listed(mine) == ["戊"]
    plan = reverse("clearance:evaluation_plan", args=[evaluated("戊").pk])
    assert f'href="{plan}" data-open-plan' in mine.content.decode()
    assert listed(theirs) == ["庚"]
    assert "data-open-plan" not in theirs.content.decode()


def test_candidates_of_c_two_years_running(client, evaluation):
    ding = Enterprise.objects.get(name="丁")  # out of the clearance ledger, through the service the pages use
    services.enterprise_delete(enterprise=ding, expected_version=ding.version, user=None)
    client.force_login(evaluation.leader)

    assert listed(get(client, reverse("clearance:evaluation_candidates"), town=evaluation.town.pk)) == ["戊", "丁"]


# The card -----------------------------------------------------------------------------------------------------------


def test_card_shows_indicators_against_benchmarks_and_what_pulled_it_down(client, evaluation):
    client.force_login(evaluation.leader)

    response = get(client, reverse("clearance:evaluation_card", args=[evaluated("戊").pk]))

    html = response.content.decode()
    assert re.findall(r'data-card-year="(\d+)"', html) == ["2022", "2021"]
    assert re.findall(r'data-year-grade="(\d+)">\d+ <span class="badge text-bg-danger" data-grade="D">', html) == ["2021", "2022"]
    row = re.search(r'data-indicator="tax_per_mu">(.*?)</tr>', html, re.S).group(1)
    assert visible_text(row) == "Tax per mu （10k yuan/mu） 1.00 8.80 50 5.68"
    latest = html.split('data-card-year="2021"')[0]
    pulled = re.findall(r'data-pulled="(\w+)">(.*?)</li>', latest, re.S)
    # The heaviest loss first: 44.32 points on tax per mu, 38.89 on tax per unit of power.
    assert [key for key, _ in pulled] == ["tax_per_mu", "tax_per_power"]
    assert visible_text(pulled[0][1]) == ("Tax per mu 1.00 against a benchmark of 8.80: 5.68 of 50 points, "
                                          "44.32 points lost.")
    assert "Score 16.79, position 5 of 5" in visible_text(html)
    assert "Candidate for clearance (2022)" in visible_text(html)


def test_card_of_an_enterprise_in_clearance_links_to_its_clearance_page(client, evaluation):
    client.force_login(evaluation.leader)

    response = get(client, reverse("clearance:evaluation_card", args=[evaluated("丁").pk]))

    ding = Enterprise.objects.get(name="丁")
    assert f'<a href="{ding.get_absolute_url()}" data-in-clearance>' in response.content.decode()


def test_card_of_an_exempt_enterprise_says_not_graded_in_chinese(client, evaluation):
    client.force_login(evaluation.leader)

    response = client.get(reverse("clearance:evaluation_card", args=[evaluated("己").pk]))

    html = response.content.decode()
    assert '<span class="badge text-bg-light border" data-grade="exempt">不定等级</span>' in html
    assert "data-pulled-down" not in html


def test_card_lists_adjustments_with_reasons(client, evaluation):
    services.evaluation.adjustment_add(enterprise=evaluated("乙"), year=2022, points=Decimal("-10"),
                                       reason="安全生产事故", user=evaluation.admin)
    client.force_login(evaluation.leader)

    response = get(client, reverse("clearance:evaluation_card", args=[evaluated("乙").pk]))

    adjustments = re.search(r"data-adjustments>(.*?)</ul>", response.content.decode(), re.S).group(1)
    assert visible_text(adjustments) == "-10 · 安全生产事故 （admin-x）"


def test_enterprise_page_shows_its_latest_class_linked_to_its_card(client, evaluation):
    client.force_login(evaluation.leader)

    response = get(client, Enterprise.objects.get(name="丁").get_absolute_url())

    card = reverse("clearance:evaluation_card", args=[evaluated("丁").pk])
    assert re.search(rf'data-evaluation><a href="{card}">2022 <span class="badge text-bg-warning" data-grade="C">',
                     response.content.decode())


# Query counts -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 40])
def test_evaluation_queries_do_not_grow_with_rows(client, evaluation, django_assert_num_queries, count):
    add_enterprises(evaluation.town, count)
    scores_recompute(year=2022)
    client.force_login(evaluation.official)

    # session, user, year check (latest year), the towns of the filter, the count, the page's rows, the years,
    # the towns' links, the scorings waiting for the task worker
    with django_assert_num_queries(9):
        response = get(client, reverse("clearance:evaluation"))

    assert len(listed(response)) == min(count + 7, 50)


@pytest.mark.parametrize("count", [2, 40])
def test_town_view_queries_do_not_grow_with_rows(client, evaluation, django_assert_num_queries, count):
    add_enterprises(evaluation.town, count)
    scores_recompute(year=2022)
    client.force_login(evaluation.official)

    # session, user, town, latest year, count, rows, years, the town's classes, the scorings waiting
    with django_assert_num_queries(9):
        response = get(client, reverse("clearance:evaluation_town", args=[evaluation.town.pk]))

    assert len(listed(response)) == min(count + 6, 50)


@pytest.mark.parametrize("count", [2, 40])
def test_candidates_queries_do_not_grow_with_rows(client, evaluation, django_assert_num_queries, count):
    # The same figures both years: those in class C both years are candidates too.
    add_enterprises(evaluation.town, count, years=(2021, 2022))
    for year in (2021, 2022):
        scores_recompute(year=year)
    client.force_login(evaluation.official)

    # session, user, latest year, years, whether a leader, writable towns, count, towns, rows, the scorings waiting
    with django_assert_num_queries(10):
        response = get(client, reverse("clearance:evaluation_candidates"))

    assert response.context["table"].paginator.count >= count // 4


@pytest.mark.parametrize("years", [1, 6])
def test_card_queries_do_not_grow_with_years(client, evaluation, django_assert_num_queries, years):
    firm = evaluated("甲")
    for year in range(2010, 2010 + years):
        _row(firm, year, land="10", tax="10", power="10", energy="10")
        scores_recompute(year=year)
    client.force_login(evaluation.official)

    # session, user, enterprise and town, rows, schemes, weights, adjustments, clearance enterprise by name,
    # whether it may write for the town (leaders excluded in the same query), the scorings waiting
    with django_assert_num_queries(10):
        response = get(client, reverse("clearance:evaluation_card", args=[firm.pk]))

    assert len(response.context["card"]) == years + 2


# Opening a clearance plan -------------------------------------------------------------------------------------------


def test_plan_on_a_site_of_the_town_puts_the_enterprise_in_clearance_everywhere(client, evaluation):
    client.force_login(evaluation.official)
    wu = evaluated("戊")

    response = client.post(reverse("clearance:evaluation_plan", args=[wu.pk]), {
        "site": evaluation.site.pk, "is_high_consumption": "on", "disposal": "shut_down",
        "plan_deadline": "2023-06-30", "plan_notes": "依法关停",
    }, **ENGLISH)

    enterprise = Enterprise.objects.get(name="戊")
    assert response.status_code == 302 and response["Location"] == enterprise.get_absolute_url()
    assert (enterprise.site, enterprise.town, enterprise.disposal) == (evaluation.site, evaluation.town, "shut_down")
    assert enterprise.is_high_consumption and enterprise.annual_energy_tce == Decimal("40.00")
    assert enterprise.plan_notes == "依法关停"
    page = get(client, enterprise.get_absolute_url())
    assert "A clearance plan was opened for 戊 on the site 六店区域." in visible_text(page.content.decode())
    assert selectors.evaluation_rows(2022).get(enterprise=wu).candidate is False
    assert listed(get(client, reverse("clearance:evaluation_candidates"), town=evaluation.town.pk)) == []
    workspace = get(client, reverse("clearance:workspace_enterprises", args=[evaluation.town.pk]))
    assert f'href="{enterprise.get_absolute_url()}">戊</a>' in workspace.content.decode()


def test_plan_on_a_new_site(client, evaluation):
    client.force_login(evaluation.admin)

    response = client.post(reverse("clearance:evaluation_plan", args=[evaluated("戊").pk]),
                           {"new_site_name": "戊厂区", "new_site_area_mu": "20.5", "is_high_consumption": "on"})

    site = Site.objects.get(name="戊厂区")
    assert response.status_code == 302
    assert (site.town, site.area_mu) == (evaluation.town, Decimal("20.50"))
    assert list(site.enterprises.values_list("name", flat=True)) == ["戊"]


def test_plan_form_pre_ticks_high_consumption_and_offers_the_towns_sites(client, evaluation):
    client.force_login(evaluation.official)

    response = get(client, reverse("clearance:evaluation_plan", args=[evaluated("戊").pk]))

    form = response.context["form"]
    assert form.initial["is_high_consumption"] is True
    assert set(form.fields["site"].queryset) == {evaluation.site, evaluation.parcel}


@pytest.mark.parametrize(("data", "message"), [
    ({}, "Choose a site of the town, or give the name and area of a new one."),
    ({"site": "SITE", "new_site_name": "又一块地", "new_site_area_mu": "3"}, "Choose a site of the town or give a new one, not both."),
])
def test_plan_without_a_site_or_with_two_is_refused_and_changes_nothing(client, evaluation, data, message):
    client.force_login(evaluation.official)
    data = {name: (str(evaluation.site.pk) if value == "SITE" else value) for name, value in data.items()}

    response = client.post(reverse("clearance:evaluation_plan", args=[evaluated("戊").pk]), data, **ENGLISH)

    assert response.status_code == 200
    assert message in visible_text(response.content.decode())
    assert not Enterprise.objects.filter(name="戊").exists()


@pytest.mark.parametrize("role", ["other_official", "leader"])
def test_plan_is_forbidden_to_whoever_may_not_write_for_the_town(client, evaluation, role):
    client.force_login(getattr(evaluation, role))

    response = client.post(reverse("clearance:evaluation_plan", args=[evaluated("戊").pk]), {"site": evaluation.site.pk})

    assert response.status_code == 403
    assert not Enterprise.objects.filter(name="戊").exists()


def test_plan_for_an_enterprise_of_another_town_is_forbidden(client, evaluation):
    client.force_login(evaluation.official)

    response = client.get(reverse("clearance:evaluation_plan", args=[evaluated("庚").pk]))

    assert response.status_code == 403


def test_plan_for_an_enterprise_already_in_clearance_is_refused(client, evaluation):
    client.force_login(evaluation.official)
    url = reverse("clearance:evaluation_plan", args=[evaluated("丁").pk])

    page = client.get(url)
    response = client.post(url, {"site": evaluation.site.pk})

    assert "丁 已在整治台账中" in visible_text(page.content.decode())
    assert "data-plan-form" not in page.content.decode()
    assert response.status_code == 200
    assert "丁 已在整治台账中" in visible_text(response.content.decode())
    assert Enterprise.objects.filter(name="丁").count() == 1


def test_evaluation_filters_and_sorts_before_any_year_is_evaluated(client, world):
    client.force_login(world.leader)

    response = get(client, reverse("clearance:evaluation"), candidate="true", sort="-total", grade="none")

    assert listed(response) == []
    assert "data-evaluation-empty" in response.content.decode()
