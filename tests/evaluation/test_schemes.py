"""The schemes pages: a weight change moves classes, stale edits refused, cut-off checks, copy to the next year, audit."""

from decimal import Decimal

import pytest
from django.urls import reverse

from clearance.choices import Indicator, SizeClass
from clearance.models import Scheme, SchemeWeight
from clearance.services.evaluation import scheme_update

from tests.evaluation.helpers import four_below, grades
from tests.factories import TownFactory

pytestmark = pytest.mark.django_db

URL = reverse("clearance:scheme_update", args=[2022, SizeClass.BELOW])


@pytest.fixture
def rows(db):
    return four_below(TownFactory(name="试点镇"))


def scheme_post(scheme: Scheme, **changes) -> dict:
    """The edit form as the page sends it, for SCHEME as stored, with CHANGES (weight_<key>, cut_a …) applied."""
    weights = {weight.indicator: weight for weight in scheme.weights.all()}
    data = {"version": scheme.version, "cap": scheme.cap, "cut_a": scheme.cut_a, "cut_b": scheme.cut_b,
            "cut_c": scheme.cut_c}
    for indicator in Indicator.values:
        data[f"weight_{indicator}"] = weights[indicator].weight
        data[f"benchmark_{indicator}"] = weights[indicator].fixed_benchmark or ""
    data.update(changes)
    return data


def test_a_weight_change_moves_classes_and_the_message_says_how(rows, admin_client):
    assert grades(rows) == {"甲": "B", "乙": "B", "丙": "C", "丁": "D"}
    scheme = Scheme.objects.get(year=2022, size=SizeClass.BELOW)

    # Only 单位电耗税收 counts, weight 100: 乙 5/2 → capped 150; 甲, 丙, 丁 1/2 → 50 each, tied at position 2 of 4.
    response = admin_client.post(URL, scheme_post(scheme, weight_tax_per_mu="0", weight_tax_per_power="100"), follow=True)

    assert grades(rows) == {"甲": "B", "乙": "B", "丙": "B", "丁": "B"}
    assert [str(message) for message in response.context["messages"]] == [
        "2022 规下的评价方案已保存，企业已重新评分。各等级企业数：A 0 → 0，B 2 → 4，C 1 → 0，D 1 → 0。"
    ]
    assert rows["丙"].total == Decimal("50") and rows["丙"].position == 2
    scheme.refresh_from_db()
    assert scheme.version == 2


def test_a_stale_edit_is_refused_with_the_conflict_page_and_changes_nothing(rows, admin_client, admin_user):
    scheme = Scheme.objects.get(year=2022, size=SizeClass.BELOW)
    stale_form = scheme_post(scheme, cap="2")
    scheme_update(scheme=scheme, expected_version=1, user=admin_user, cut_a=Decimal("0.3"),
                  weights={Indicator.TAX_PER_MU: (Decimal("50"), None), Indicator.TAX_PER_POWER: (Decimal("50"), None)})

    response = admin_client.post(URL, stale_form)

    assert response.status_code == 409
    assert "您打开此页面后，他人已保存了此记录。" in response.content.decode()
    scheme.refresh_from_db()
    assert (scheme.cap, scheme.cut_a, scheme.version) == (Decimal("1.5"), Decimal("0.3"), 2)


@pytest.mark.parametrize("cutoffs", [("0.8", "0.7", "0.95"), ("0", "0.7", "0.95"), ("0.2", "0.7", "1.2")])
def test_cutoffs_not_rising_within_0_and_1_are_refused_with_a_message(rows, admin_client, cutoffs):
    scheme = Scheme.objects.get(year=2022, size=SizeClass.BELOW)
    cut_a, cut_b, cut_c = cutoffs

    response = admin_client.post(URL, scheme_post(scheme, cut_a=cut_a, cut_b=cut_b, cut_c=cut_c))

    assert response.status_code == 200
    assert "分档比例须从 A 类到 C 类依次递增，且均在 0 到 1 之间（如 0.20、0.70、0.95）。" in response.content.decode()
    scheme.refresh_from_db()
    assert (scheme.cut_a, scheme.version) == (Decimal("0.2"), 1)


def test_weights_all_zero_or_negative_are_refused(rows, admin_client):
    scheme = Scheme.objects.get(year=2022, size=SizeClass.BELOW)

    all_zero = admin_client.post(URL, scheme_post(scheme, weight_tax_per_mu="0", weight_tax_per_power="0"))
    negative = admin_client.post(URL, scheme_post(scheme, weight_tax_per_mu="-5"))

    assert "至少要有一项指标的权重大于 0。" in all_zero.content.decode()
    assert "确保该值大于或等于0。" in negative.content.decode()
    assert list(SchemeWeight.objects.filter(scheme=scheme, weight__gt=0).values_list("weight", flat=True)) == [50, 50]


def test_a_fixed_benchmark_is_used_and_shown(rows, admin_client):
    scheme = Scheme.objects.get(year=2022, size=SizeClass.BELOW)

    # 亩均税收 against a fixed 10: 甲 10/10 → 50; 乙 5/10 → 25; with 单位电耗税收 甲 25 and 乙 75 as before.
    admin_client.post(URL, scheme_post(scheme, benchmark_tax_per_mu="10"))

    assert rows["甲"].__class__.objects.get(pk=rows["甲"].pk).total == Decimal("75")
    page = admin_client.get(reverse("clearance:schemes")).content.decode()
    assert "10.0000" in page
    weight = SchemeWeight.objects.get(scheme=scheme, indicator=Indicator.TAX_PER_MU)
    assert (weight.fixed_benchmark, weight.benchmark_used) == (Decimal("10"), 10.0)


def test_the_schemes_list_shows_weights_benchmarks_and_graded_count(rows, client, leader, django_assert_num_queries):
    client.force_login(leader)
    # Each query once, however many years: the session, the user, the schemes, their weights, the years with data,
    # the scorings waiting for the task worker.
    with django_assert_num_queries(6):
        page = client.get(reverse("clearance:schemes")).content.decode()
    assert "均值" in page and 'data-graded>4<' in page
    assert 'data-scheme="2022-below"' in page and "修改" not in page.split("data-table")[0]


def test_the_schemes_list_queries_do_not_grow_with_the_years(client, leader, django_assert_num_queries):
    town = TownFactory(name="试点镇")
    for year in (2020, 2021, 2022):
        four_below(town, year=year)
    client.force_login(leader)
    with django_assert_num_queries(6):
        page = client.get(reverse("clearance:schemes")).content.decode()
    assert page.count("data-scheme-year=") == 3


def test_a_year_with_data_and_no_scheme_shows_the_defaults_and_saving_creates_it(admin_client):
    from clearance.services.evaluation import evaluated_enterprise_upsert, indicator_row_upsert

    enterprise = evaluated_enterprise_upsert(town=TownFactory(name="试点镇"), name="甲")
    indicator_row_upsert(enterprise=enterprise, year=2021, size=SizeClass.ABOVE, rescore=False, land_mu=Decimal("5"))
    url = reverse("clearance:scheme_update", args=[2021, SizeClass.ABOVE])

    page = admin_client.get(url).content.decode()
    assert 'name="weight_tax_per_mu" value="30"' in page and not Scheme.objects.exists()
    data = {"cap": "1.5", "cut_a": "0.2", "cut_b": "0.7", "cut_c": "0.95",
            **{f"weight_{key}": "0" for key in Indicator.values}, **{f"benchmark_{key}": "" for key in Indicator.values}}
    admin_client.post(url, {**data, "weight_tax_per_mu": "100"})

    scheme = Scheme.objects.get(year=2021, size=SizeClass.ABOVE)
    assert {weight.indicator: weight.weight for weight in scheme.weights.all() if weight.weight} == {"tax_per_mu": 100}
    assert scheme.graded_count == 1


def test_copy_to_the_next_year_asks_first_then_copies_and_scores(rows, admin_client):
    scheme = Scheme.objects.get(year=2022, size=SizeClass.BELOW)
    admin_client.post(URL, scheme_post(scheme, weight_tax_per_power="70", cut_a="0.25"))
    copy_url = reverse("clearance:scheme_copy", args=[2022])

    confirm = admin_client.get(copy_url).content.decode()
    assert "2023" in confirm and not Scheme.objects.filter(year=2023).exists()
    unconfirmed = admin_client.post(copy_url)
    assert unconfirmed.status_code == 200 and not Scheme.objects.filter(year=2023).exists()
    response = admin_client.post(copy_url, {"confirm": "1"}, follow=True)

    copied = Scheme.objects.get(year=2023, size=SizeClass.BELOW)
    assert (copied.cut_a, copied.cap) == (Decimal("0.25"), Decimal("1.5"))
    assert copied.weights.get(indicator=Indicator.TAX_PER_POWER).weight == 70
    assert "2022 的评价方案已复制到 2023" in [str(m) for m in response.context["messages"]][0]


def test_every_scheme_change_is_in_its_history_and_the_audit_with_the_user(rows, admin_client, admin_user, client, leader):
    scheme = Scheme.objects.get(year=2022, size=SizeClass.BELOW)
    admin_client.post(URL, scheme_post(scheme, cap="2", weight_tax_per_power="60"))

    assert Scheme.history.filter(id=scheme.pk).latest("history_date").history_user == admin_user
    weight = SchemeWeight.objects.get(scheme=scheme, indicator=Indicator.TAX_PER_POWER)
    assert weight.history.latest("history_date").history_user == admin_user
    client.force_login(leader)
    page = client.get(URL).content.decode()
    assert "50.00</del> → <ins>60.00" in page and "1.500</del> → <ins>2.000" in page
    audit = client.get(reverse("clearance:audit"), {"kind": "scheme_weight"}).content.decode()
    assert "2022 规下 · 单位电耗税收" in audit and "admin" in audit


def test_leaders_and_officials_read_the_scheme_and_may_not_change_or_copy_it(rows, client, leader, official):
    scheme = Scheme.objects.get(year=2022, size=SizeClass.BELOW)
    for user in (leader, official):
        client.force_login(user)
        page = client.get(URL).content.decode()
        assert 'name="weight_tax_per_mu"' in page and "disabled" in page and "保存并重新评分" not in page
        assert client.post(URL, scheme_post(scheme, cap="2")).status_code == 403
        assert client.get(reverse("clearance:scheme_copy", args=[2022])).status_code == 403
        assert client.post(reverse("clearance:scheme_copy", args=[2022]), {"confirm": "1"}).status_code == 403
    scheme.refresh_from_db()
    assert (scheme.cap, scheme.version) == (Decimal("1.5"), 1)
    assert not Scheme.objects.filter(year=2023).exists()
