"""The permission matrix: every named URL, every role, the expected status — generated from the URL patterns."""

import re

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .url_rules import LOGIN, ROLES, RULES, build_world

SKIPPED_NAMESPACES = {"admin"}
SKIPPED_NAMES = {"set_language"}
pytestmark = pytest.mark.django_db

WRITE_FORM = re.compile(r'<form[^>]*method="post"[^>]*>', re.IGNORECASE)


def url_names(resolver=None, namespace: str = "") -> list[str]:
    """Return the name of every URL pattern, walking includes; the admin, set_language and static files are left out."""
    resolver = resolver or get_resolver()
    names = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in SKIPPED_NAMESPACES:
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names.extend(url_names(pattern, inner))
        elif isinstance(pattern, URLPattern):
            if pattern.callback.__module__ == "django.views.static":
                continue  # media files in DEBUG
            name = pattern.name or f"<unnamed {pattern.pattern}>"
            if name not in SKIPPED_NAMES:
                names.append(f"{namespace}{name}")
    return sorted(set(names))


URL_NAMES = url_names()


def test_every_url_has_a_rule():
    assert [name for name in URL_NAMES if name not in RULES] == []


def test_rules_name_only_existing_urls():
    assert [name for name in RULES if name not in URL_NAMES] == []


def _outcome(response) -> int | str:
    if response.status_code == 302 and response.url.startswith(reverse(settings.LOGIN_URL)):
        return LOGIN
    return response.status_code


@pytest.mark.parametrize("name", URL_NAMES)
def test_url_answers_each_role_as_its_rule_says(client, name):
    assert name in RULES, f"{name} has no rule in tests/url_rules.py"
    rule = RULES[name]
    world = build_world()
    url = reverse(name, kwargs={key: getattr(world, attr).pk for key, attr in rule.get("kwargs", {}).items()})
    counts_before = _row_counts()

    actual, expected = {}, {}
    for method in ("get", "post"):
        if method not in rule:
            continue
        for role in ROLES:
            client.logout()
            if world.user(role) is not None:
                client.force_login(world.user(role))
            response = getattr(client, method)(url, {})
            actual[(method, role)] = _outcome(response)
            expected[(method, role)] = rule[method][role]

    assert actual == expected
    # Empty POSTs are refused or answered with the form's errors: nothing is written.
    assert _row_counts() == counts_before


def _row_counts():
    from clearance.models import Enterprise, Event, Photo, Site

    return [model.objects.count() for model in (Site, Enterprise, Event, Photo)]


@pytest.mark.parametrize("page", ["site", "enterprise", "workspace_sites", "workspace_enterprises"])
@pytest.mark.parametrize("role", ["other_official", "leader"])
def test_pages_of_a_town_offer_no_write_form_to_who_may_not_write(client, page, role):
    world = build_world()
    client.force_login(world.user(role))
    url = {
        "site": world.site.get_absolute_url(),
        "enterprise": world.enterprise.get_absolute_url(),
        "workspace_sites": reverse("clearance:workspace_sites", args=[world.town.pk]),
        "workspace_enterprises": reverse("clearance:workspace_enterprises", args=[world.town.pk]),
    }[page]

    html = client.get(url).content.decode()

    forms = WRITE_FORM.findall(html)
    # Only the navbar's forms post: logging out and the language switch.
    assert [form for form in forms if reverse("logout") not in form and reverse("set_language") not in form] == []
    assert "data-record-button" not in html
    assert "data-write-actions" not in html
    assert "/edit/" not in html


@pytest.mark.parametrize("page", ["site", "enterprise"])
def test_pages_of_own_town_offer_the_stage_form(client, page):
    world = build_world()
    client.force_login(world.official)
    subject = world.site if page == "site" else world.enterprise

    html = client.get(subject.get_absolute_url()).content.decode()

    assert html.count("data-record-button") == 1
    assert html.count("data-record-form") == 1
