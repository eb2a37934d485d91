"""The pages: sign-in, the home page's roles and figures, the detail pages, and the vendored assets."""

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import override

from clearance import services
from clearance.choices import Disposal, Stage, TownKind
from clearance.templatetags.clearance_tags import stage_label

LOGIN_URL = "/accounts/login/"
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"
STATIC_TAG = re.compile(r"""{%\s*static\s+['"]([^'"]+)['"]\s*%}""")
BASE_ASSETS = [
    "favicon.svg",
    "vendor/bootstrap/bootstrap.min.css",
    "css/app.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
]


def figure_text(html: str, key: str) -> str:
    """Return the value shown on the home page's card for figure KEY."""
    match = re.search(rf'data-figure="{key}".*?class="figure-value">([^<]*)<', html, re.DOTALL)
    assert match, f"no card for {key}"
    return match.group(1).strip()


def town(name: str = "曹桥街道"):
    return services.town_upsert(name=name, kind=TownKind.SUBDISTRICT).obj


def site(*, in_town, name: str, area_mu: str, parent=None):
    return services.site_upsert(town=in_town, name=name, area_mu=Decimal(area_mu), parent=parent).obj


def enterprise(*, on_site, name: str, disposal=Disposal.VACATE, energy_freed_tce: str = "0", **fields):
    return services.enterprise_upsert(
        town=on_site.town,
        name=name,
        site=on_site,
        disposal=disposal,
        energy_freed_tce=Decimal(energy_freed_tce),
        **fields,
    ).obj


def record(subject, stage: Stage, on: date, user=None):
    key = "site" if subject.__class__.__name__ == "Site" else "enterprise"
    return services.event_record(stage=stage, on=on, user=user, **{key: subject})


@pytest.fixture
def campaign(admin_user):
    """A small campaign worked out by hand (DOMAIN.md's figures, Jan–Aug 2022).

    In 2022: 甲 (vacate, 1234.50 tce) signed, vacated and closed out; 乙
    (upgrade, 10.25 tce) signed and closed out without vacating; 丙 signed
    only. The parcel (20.43 亩) inside 六店区域 (100 亩) is vacated in August;
    the area is vacated too but has a child, so it does not count. 丁 was
    closed out in 2021, outside the period.
    Expected for 2022-08: 2 家, 20.43 亩, 1244.75 吨标准煤.
    """
    caoqiao = town()
    area = site(in_town=caoqiao, name="六店区域", area_mu="100")
    parcel = site(in_town=caoqiao, name="原胜利钢厂地块", area_mu="20.43", parent=area)
    other = site(in_town=caoqiao, name="示例地块", area_mu="5")
    first = enterprise(on_site=parcel, name="示例企业甲", energy_freed_tce="1234.50")
    second = enterprise(on_site=parcel, name="示例企业乙", disposal=Disposal.UPGRADE, energy_freed_tce="10.25")
    third = enterprise(on_site=other, name="示例企业丙", energy_freed_tce="99")
    earlier = enterprise(on_site=other, name="示例企业丁", energy_freed_tce="500")

    record(earlier, Stage.SIGNED, date(2021, 3, 1), admin_user)
    record(earlier, Stage.VACATED, date(2021, 5, 1), admin_user)
    record(earlier, Stage.CLOSED, date(2021, 12, 1), admin_user)
    record(first, Stage.SIGNED, date(2022, 3, 1), admin_user)
    record(first, Stage.VACATED, date(2022, 4, 1), admin_user)
    record(first, Stage.CLOSED, date(2022, 5, 10), admin_user)
    record(second, Stage.SIGNED, date(2022, 3, 2), admin_user)
    record(second, Stage.CLOSED, date(2022, 6, 1), admin_user)
    record(third, Stage.SIGNED, date(2022, 7, 1), admin_user)
    record(parcel, Stage.VACATED, date(2022, 8, 15), admin_user)
    record(area, Stage.VACATED, date(2022, 8, 20), admin_user)
    return {"area": area, "parcel": parcel, "first": first, "second": second, "third": third}


# Signing in ------------------------------------------------------------------


def test_home_anonymous_redirects_to_login_with_next(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response.url == f"{LOGIN_URL}?next=/"


def test_login_page_renders_username_password_and_next(client):
    response = client.get(LOGIN_URL, {"next": "/sites/1/"})

    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'<input[^>]+name="username"', html)
    assert re.search(r'<input[^>]+type="password"[^>]+name="password"', html)
    assert '<input type="hidden" name="next" value="/sites/1/">' in html
    # Anonymous users get no navigation, logout or language form.
    assert reverse("logout") not in html


def test_login_bad_password_shows_error_and_keeps_username(client, leader):
    response = client.post(LOGIN_URL, {"username": "test-leader", "password": "wrong", "next": "/"}, **ENGLISH)

    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["form"].errors["__all__"][0].startswith("Please enter a correct username and password")
    assert 'class="alert alert-danger"' in html
    assert "Please enter a correct username and password" in html
    assert 'value="test-leader"' in html
    assert '<input type="hidden" name="next" value="/">' in html


def test_login_good_password_goes_to_next(client, leader):
    response = client.post(LOGIN_URL, {"username": "test-leader", "password": "pw-leader-1", "next": "/sites/7/"})

    assert response.status_code == 302
    assert response.url == "/sites/7/"


def test_logout_posts_back_to_login(client, leader):
    client.force_login(leader)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response.url == LOGIN_URL
    assert client.get("/").url == f"{LOGIN_URL}?next=/"


def test_language_switch_form_posts_to_set_language_and_returns_to_page(client, leader):
    client.force_login(leader)
    html = client.get("/").content.decode()

    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})

    assert f'action="{reverse("set_language")}"' in html
    assert '<button type="submit" name="language" value="en" lang="en"' in html
    assert '<button type="submit" name="language" value="zh-hans" lang="zh-hans"' in html
    assert response.status_code == 302
    assert response.url == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


# The home page -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_fixture", "role", "label"),
    [("admin_user", "admin", "Administrator"), ("leader", "leader", "Leader"), ("official", "official", "Official")],
)
def test_home_shows_role_of_each_user(client, request, user_fixture, role, label):
    user = request.getfixturevalue(user_fixture)
    client.force_login(user)

    response = client.get("/", **ENGLISH)

    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["role"] == role
    assert f'<span class="badge text-bg-primary ms-1" data-role="{role}">{label}</span>' in html
    assert user.get_username() in html


def test_home_admin_link_only_for_staff(client, admin_user, leader):
    client.force_login(admin_user)
    admin_html = client.get("/").content.decode()
    client.force_login(leader)
    leader_html = client.get("/").content.decode()

    assert f'href="{reverse("admin:index")}"' in admin_html
    assert f'href="{reverse("admin:index")}"' not in leader_html


def test_home_official_sees_towns_of_their_task_force(client, official):
    caoqiao, linda = town("曹桥街道"), town("林埭镇")
    head = services.bureau_head_upsert(bureau_name="市应急管理局", head_name="马根良")
    pairing = services.pairing_start(town=caoqiao, head=head, started_on=date(2022, 1, 1))
    services.task_force_member_upsert(task_force=pairing.task_force, person_name="张三", user_account=official)
    client.force_login(official)

    response = client.get("/")

    html = response.content.decode()
    writable = re.search(r"<ul[^>]*data-writable-towns>(.*?)</ul>", html, re.DOTALL).group(1)
    assert response.context["writable_towns"] == [caoqiao]
    assert re.findall(r'<a class="badge text-bg-light border" href="([^"]+)">([^<]+)</a>', writable) == [
        (reverse("clearance:town_detail", args=[caoqiao.pk]), "曹桥街道")
    ]
    assert linda.name not in writable


def test_home_shows_city_figures_of_the_latest_closed_month(client, leader, campaign):
    services.period_close(year=2022, month=8, user=None)
    client.force_login(leader)

    response = client.get("/")

    html = response.content.decode()
    assert 'data-period="2022-08"' in html
    assert figure_text(html, "enterprises_rectified") == "2"
    assert figure_text(html, "land_vacated_mu") == "20.43"
    # Thousands grouped with commas in Chinese too (pinghu/formats/zh_Hans).
    assert figure_text(html, "energy_freed_tce") == "1,244.75"


def test_home_figures_in_english_with_units_and_period(client, leader, campaign):
    services.period_close(year=2022, month=8, user=None)
    client.force_login(leader)

    response = client.get("/", **ENGLISH)

    html = response.content.decode()
    assert "2022, months 1–8" in html
    assert figure_text(html, "energy_freed_tce") == "1,244.75"
    assert re.search(r'class="figure-value">20\.43</span>\s*<span class="figure-unit">mu</span>', html)
    assert re.search(r'class="figure-value">2</span>\s*<span class="figure-unit">enterprises</span>', html)
    assert re.search(r'class="figure-value">1,244\.75</span>\s*<span class="figure-unit">tce</span>', html)


def test_home_without_events_says_nothing_recorded(client, leader):
    client.force_login(leader)

    response = client.get("/", **ENGLISH)

    html = response.content.decode()
    assert response.context["has_events"] is False
    assert "data-empty-figures" in html
    assert "Nothing has been recorded yet." in html
    assert "data-figure=" not in html


# Assets ------------------------------------------------------------------------


def test_home_links_vendored_assets_and_no_cdn(client, leader):
    client.force_login(leader)

    html = client.get("/").content.decode()

    for asset in BASE_ASSETS:
        assert f'"{static(asset)}"' in html
    assert re.findall(r'(?:src|href)="(?:https?:)?//', html) == []
    assert "http://" not in html
    assert "https://" not in html


def test_templates_reference_only_static_files_that_exist():
    referenced = {
        path: sorted(set(STATIC_TAG.findall(path.read_text(encoding="utf-8"))))
        for path in TEMPLATES_DIR.rglob("*.html")
    }

    assert referenced[TEMPLATES_DIR / "base.html"] == sorted(BASE_ASSETS)
    assert referenced[TEMPLATES_DIR / "clearance/includes/_echarts.html"] == ["vendor/echarts/echarts.custom.min.js"]
    assert referenced[TEMPLATES_DIR / "clearance/includes/_htmx.html"] == ["vendor/htmx/htmx.min.js"]
    missing = [(path.name, asset) for path, assets in referenced.items() for asset in assets if not finders.find(asset)]
    assert missing == []


HX_ATTRIBUTE = re.compile(r"\bhx-(?:get|post|put|delete|trigger|swap|target)=")


def test_htmx_is_loaded_by_exactly_the_pages_whose_parts_use_it(client, leader):
    """A phone on site should not fetch htmx for a page that never swaps anything, nor miss it where a part does."""
    templates = {path: path.read_text(encoding="utf-8") for path in TEMPLATES_DIR.rglob("*.html")}
    swapping = {path.relative_to(TEMPLATES_DIR).as_posix() for path, text in templates.items() if HX_ATTRIBUTE.search(text)}
    # A page loads htmx by including it, or the scripts of the land picker, which include it with the picker's own.
    loaders = {"clearance/includes/_htmx.html", "clearance/projects/_land_picker_scripts.html"}
    assert 'include "clearance/includes/_htmx.html"' in templates[TEMPLATES_DIR / "clearance/projects/_land_picker_scripts.html"]
    loading = {path.relative_to(TEMPLATES_DIR).as_posix() for path, text in templates.items()
               if any(f'include "{loader}"' in text for loader in loaders)} - loaders
    including = {path.relative_to(TEMPLATES_DIR).as_posix() for path, text in templates.items()
                 if any(f'include "{part}"' in text for part in swapping)}

    assert swapping == {"clearance/includes/_job_progress.html", "clearance/projects/_land_fields.html",
                        "clearance/projects/_land_search.html"}
    # A project's page loads it only for who may write there (the land picker is in its write form).
    assert loading == including == {"clearance/ledger_job.html", "clearance/evaluation/indicators_job.html",
                                    "clearance/projects/detail.html", "clearance/projects/land_form.html"}
    client.force_login(leader)
    assert "htmx" not in client.get("/").content.decode().split("</head>")[0].replace("htmx-config", "")


@pytest.mark.parametrize("folder", ["bootstrap", "echarts", "htmx"])
def test_vendored_assets_come_with_their_licence(folder):
    assert finders.find(f"vendor/{folder}/LICENSE")


# Detail pages --------------------------------------------------------------------


def test_site_detail_shows_site_parent_children_and_enterprises(client, leader, campaign):
    client.force_login(leader)
    parcel, area = campaign["parcel"], campaign["area"]

    parcel_html = client.get(parcel.get_absolute_url()).content.decode()
    area_html = client.get(area.get_absolute_url()).content.decode()

    assert "<h1 class=\"h4 text-break-cjk\">原胜利钢厂地块</h1>" in parcel_html
    assert "曹桥街道" in parcel_html
    assert "20.43" in parcel_html
    assert f'<a href="{area.get_absolute_url()}">六店区域</a>' in parcel_html
    assert '<time datetime="2022-08-15">' in parcel_html
    assert f'data-site-stage="{Stage.VACATED.value}"' in parcel_html
    assert f'href="{campaign["first"].get_absolute_url()}">示例企业甲</a>' in parcel_html
    assert f'href="{campaign["second"].get_absolute_url()}">示例企业乙</a>' in parcel_html
    assert "示例企业丙" not in parcel_html
    assert f'href="{parcel.get_absolute_url()}">原胜利钢厂地块</a>' in area_html


def _site_with_enterprises(count: int, user):
    """Return a site inside an area, with a parcel of its own and COUNT enterprises that have signed."""
    caoqiao = town()
    area = site(in_town=caoqiao, name=f"区域{count}", area_mu="100")
    place = site(in_town=caoqiao, name=f"地块{count}", area_mu="10", parent=area)
    site(in_town=caoqiao, name=f"地块{count}-1", area_mu="2", parent=place)
    for number in range(count):
        firm = enterprise(on_site=place, name=f"企业{count}-{number:02d}", is_tenant=number % 2 == 0)
        record(firm, Stage.SIGNED, date(2022, 3, 1), user)
    return place


@pytest.mark.parametrize("count", [3, 30])
def test_site_detail_queries_do_not_grow_with_enterprises(client, leader, admin_user, django_assert_num_queries, count):
    place = _site_with_enterprises(count, admin_user)
    client.force_login(leader)

    # session, user, site with town, parent, stage and counts, children, enterprises with stage, site events,
    # leader check, the subtree's sites and enterprises, timeline events and their photos, gallery photos,
    # site history ×2, event history ×2
    with django_assert_num_queries(23):
        response = client.get(place.get_absolute_url(), **ENGLISH)

    html = response.content.decode()
    assert len(response.context["site"].enterprises.all()) == count
    assert html.count(f'data-enterprise-stage="{Stage.SIGNED.value}">Signed</span>') == count
    assert html.count('data-enterprise="') == count
    # Every enterprise's 签约 is on the timeline, linked to the enterprise.
    assert len(re.findall(r'<a class="text-break-cjk" href="/enterprises/\d+/" data-subject>', html)) == count
    assert f'data-enterprise-count>{count}</span>' in html
    assert f'data-site-stage="{Stage.SIGNED.value}"' in html


def test_enterprise_detail_shows_plan_categories_energy_and_events(
    client, leader, admin_user, django_assert_num_queries
):
    place = site(in_town=town(), name="徐家埭工业集聚点", area_mu="50")
    firm = enterprise(
        on_site=place,
        name="示例纺织企业",
        energy_freed_tce="1234.5",
        annual_energy_tce=Decimal("2000"),
        is_tenant=True,
        is_high_consumption=True,
    )
    record(firm, Stage.SIGNED, date(2022, 3, 1), admin_user)
    record(firm, Stage.VACATED, date(2022, 4, 2), admin_user)
    client.force_login(leader)

    # session, user, enterprise with town, site, group and stage, events with their recorder, their photos,
    # leader check, enterprise history ×2, event history ×2, its evaluated self with its latest class
    with django_assert_num_queries(12):
        response = client.get(firm.get_absolute_url(), **ENGLISH)

    html = response.content.decode()
    assert "<h1 class=\"h4 text-break-cjk\">示例纺织企业</h1>" in html
    assert f'<a href="{place.get_absolute_url()}">徐家埭工业集聚点</a>' in html
    assert "Vacate and reclaim" in html
    assert '<span class="badge text-bg-light border">High consumption, low efficiency</span>' in html
    assert '<span class="badge text-bg-light border">Tenant enterprise</span>' in html
    assert "1,234.50 tce" in html
    assert "2,000.00 tce" in html
    # The timeline, newest first.
    assert re.findall(r'data-stage="(\d+)"', html) == [str(Stage.VACATED.value), str(Stage.SIGNED.value)]
    assert '<time class="fw-semibold text-nowrap" datetime="2022-03-01">2022-03-01</time>' in html
    assert '<time class="fw-semibold text-nowrap" datetime="2022-04-02">2022-04-02</time>' in html


@pytest.mark.parametrize(("value", "expected"), [(None, ""), (0, ""), (Stage.SIGNED.value, "Signed")])
def test_stage_label_filter_names_stage_or_nothing(value, expected):
    with override("en"):
        assert stage_label(value) == expected


def test_detail_pages_answer_404_for_unknown_ids(client, leader):
    client.force_login(leader)

    site_response = client.get(reverse("clearance:site_detail", args=[999999]))
    enterprise_response = client.get(reverse("clearance:enterprise_detail", args=[999999]))

    assert (site_response.status_code, enterprise_response.status_code) == (404, 404)


@pytest.mark.django_db
def test_language_can_be_switched_on_the_login_page_before_signing_in(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "Sign in" in response.content.decode()


def test_enterprise_breadcrumb_leads_through_the_area_its_parcel_lies_in(client, world):
    tenant = services.enterprise_create(site=world.parcel, name="钢厂租户", user=world.admin)
    client.force_login(world.leader)

    html = client.get(tenant.get_absolute_url()).content.decode()

    crumbs = re.search(r'<ol class="breadcrumb">(.*?)</ol>', html, re.DOTALL).group(1)
    assert [text.strip() for text in re.findall(r"<li[^>]*>(?:<a [^>]*>)?([^<]*)", crumbs)] == [
        "曹桥街道", "六店区域", "原胜利钢厂地块", "钢厂租户"
    ]
