"""The permission matrix: every URL pattern of the project, the admin's included, × every role × GET and POST."""

import copy
import re
from http.cookies import SimpleCookie

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.url_rules import ADMIN_LOGIN, LOGIN, REDIRECT, ROLES, RULES, SIGNED_IN, build_admin_world

WRITE_FORM = re.compile(r'<form[^>]*method="post"[^>]*>', re.IGNORECASE)
# Written by signing in (sessions, django-axes' sign-in log), not by the pages under test.
SIGN_IN_TABLES = {"sessions", "axes"}


def url_keys(resolver=None, prefix: str = "", namespace: str = "") -> list[str]:
    """Return a key for every URL pattern, walking includes: its name, or "<unnamed ROUTE>" for one without."""
    resolver = resolver or get_resolver()
    keys = []
    for pattern in resolver.url_patterns:
        route = f"{prefix}{pattern.pattern}"
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            keys.extend(url_keys(pattern, route, inner))
        elif isinstance(pattern, URLPattern):
            keys.append(f"{namespace}{pattern.name}" if pattern.name else f"<unnamed {route}>")
    return sorted(set(keys))


URL_KEYS = url_keys()


def test_every_url_has_a_rule():
    assert [key for key in URL_KEYS if key not in RULES] == []


def test_rules_name_only_existing_urls():
    assert [key for key in RULES if key not in URL_KEYS] == []


def test_the_matrix_covers_the_admin_and_every_model_it_lists():
    pages = [
        f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}"
        for model in admin.site._registry
        for view in ("changelist", "add", "change", "delete", "history")
    ]

    assert [page for page in pages if page not in URL_KEYS or page not in RULES] == []
    assert len(pages) == 5 * len(admin.site._registry) >= 5 * 14
    assert {"admin:index", "admin:login", "admin:logout", "admin:autocomplete", "admin:jsi18n", "admin:view_on_site",
            "set_language"} <= set(URL_KEYS)


@pytest.fixture(scope="module")
def admin_world(django_db_setup, django_db_blocker):
    """The world and a record of every model the admin lists, built once for the module; each test runs in a savepoint inside it and is rolled back."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            yield build_admin_world()
            transaction.set_rollback(True)


@pytest.fixture(scope="module")
def signed_in(admin_world, django_db_blocker) -> dict[str, SimpleCookie]:
    """Sign each role in once: the session rows, like the world, outlive each test's rollback; return the cookies."""
    with django_db_blocker.unblock():
        cookies = {}
        for role in ROLES:
            client = Client()
            if admin_world.user(role) is not None:
                client.force_login(admin_world.user(role))
            cookies[role] = client.cookies
        return cookies


@pytest.fixture(scope="module")
def matrix_urls(admin_world, django_db_blocker) -> dict[str, str]:
    """The URL of every pattern with a rule, built once for the module: the records some create on first use stay."""
    with django_db_blocker.unblock():
        return {key: _url(key, RULES[key], admin_world) for key in URL_KEYS if key in RULES}


@pytest.fixture(scope="module")
def rows_before(matrix_urls, signed_in, django_db_blocker) -> tuple[dict[str, int], dict[str, list]]:
    """The row counts and the campaign's rows every test of the matrix starts from, taken once (about 0.1 s each time).

    Each test's writes are rolled back, so each starts from the world as signed_in left it; a write that
    outlived its test would show in every test after it.
    """
    with django_db_blocker.unblock():
        return _row_counts(), _campaign_rows()


@pytest.fixture
def clients(signed_in) -> dict[str, Client]:
    """A client per role with its session cookie (signing out in one test, a new cookie, stays in that test)."""
    role_clients = {}
    for role, cookies in signed_in.items():
        role_clients[role] = Client()
        role_clients[role].cookies = copy.deepcopy(cookies)
    return role_clients


def _outcome(response) -> int | str:
    if response.status_code == 302:
        if response.url.startswith(reverse(settings.LOGIN_URL)):
            return LOGIN
        if response.url.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        return REDIRECT
    return response.status_code


def _url(key: str, rule: dict, admin_world) -> str:
    if "url" in rule:
        return rule["url"](admin_world)

    def value(source):
        return source(admin_world) if callable(source) else getattr(admin_world, source).pk

    if "args" in rule:
        return reverse(key, args=[value(source) for source in rule["args"]])
    return reverse(key, kwargs={name: value(source) for name, source in rule.get("kwargs", {}).items()})


def _watched_models():
    """Every model but the sign-in bookkeeping: the campaign's tables, their history, users, the admin's log."""
    return [model for model in apps.get_models() if model._meta.app_label not in SIGN_IN_TABLES]


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in _watched_models()}


def _campaign_rows() -> dict[str, list]:
    """Every row of the campaign's tables, history included, to catch an update as well as an insert."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values_list())
        for model in apps.get_app_config("clearance").get_models()
    }


@pytest.mark.django_db
@pytest.mark.parametrize("key", URL_KEYS)
def test_url_answers_each_role_as_its_rule_says(clients, matrix_urls, rows_before, key):
    assert key in RULES, f"{key} has no rule in tests/url_rules.py"
    rule = RULES[key]
    url = matrix_urls[key]
    counts_before, campaign_rows_before = rows_before

    actual, expected = {}, {}
    for method in ("get", "post"):
        for role in ROLES:
            # A POST that signs out (logout) is the role's last request here; the rollback restores its session.
            response = getattr(clients[role], method)(url, {})
            actual[(method, role)] = _outcome(response)
            expected[(method, role)] = rule[method][role]

    assert actual == expected
    # Empty POSTs are refused or answered with the form's errors: nothing is written, not even a history row.
    allowed = rule.get("writes", {})
    assert _row_counts() == {label: count + allowed.get(label, 0) for label, count in counts_before.items()}
    assert _campaign_rows() == campaign_rows_before


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_choosing_a_language_works_for_every_role(client, admin_world, role):
    if admin_world.user(role) is not None:
        client.force_login(admin_world.user(role))

    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("clearance:bulletin")})

    assert response.status_code == 302
    assert response.url == reverse("clearance:bulletin")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


@pytest.mark.django_db
def test_view_on_site_leads_the_admin_to_the_records_page(admin_client, admin_world):
    url = _url("admin:view_on_site", RULES["admin:view_on_site"], admin_world)

    response = admin_client.get(url)

    assert response.status_code == 302
    assert response.url.endswith(admin_world.site.get_absolute_url())


@pytest.mark.django_db
@pytest.mark.parametrize("role", SIGNED_IN[:-1])
def test_the_admin_tells_a_signed_in_non_staff_user_they_may_not_enter(client, admin_world, role):
    client.force_login(admin_world.user(role))

    response = client.get(reverse("admin:index"), follow=True)

    assert response.redirect_chain[0][0].startswith(reverse("admin:login"))
    assert f"您当前以{admin_world.user(role).get_username()}登录，但是没有这个页面的访问权限。" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["site", "enterprise", "workspace_sites", "workspace_enterprises"])
@pytest.mark.parametrize("role", ["other_official", "leader"])
def test_pages_of_a_town_offer_no_write_form_to_who_may_not_write(client, admin_world, page, role):
    client.force_login(admin_world.user(role))
    url = {
        "site": admin_world.site.get_absolute_url(),
        "enterprise": admin_world.enterprise.get_absolute_url(),
        "workspace_sites": reverse("clearance:workspace_sites", args=[admin_world.town.pk]),
        "workspace_enterprises": reverse("clearance:workspace_enterprises", args=[admin_world.town.pk]),
    }[page]

    html = client.get(url).content.decode()

    forms = WRITE_FORM.findall(html)
    # Only the navbar's forms post: logging out and the language switch.
    assert [form for form in forms if reverse("logout") not in form and reverse("set_language") not in form] == []
    assert "data-record-button" not in html
    assert "data-write-actions" not in html
    assert "/edit/" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["site", "enterprise"])
def test_pages_of_own_town_offer_the_stage_form(client, admin_world, page):
    client.force_login(admin_world.official)
    subject = admin_world.site if page == "site" else admin_world.enterprise

    html = client.get(subject.get_absolute_url()).content.decode()

    assert html.count("data-record-button") == 1
    assert html.count("data-record-form") == 1

