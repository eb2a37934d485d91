"""Security: production settings pass check --deploy, the response headers, sign-in lockout, passwords, sessions, CSRF."""

import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from html.parser import HTMLParser
from importlib import import_module
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import F
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, reverse

from clearance.choices import Stage
from clearance.models import Event
from pinghu.lockout import client_address

from tests.url_rules import RULES, build_admin_world, build_world

ROOT = Path(__file__).resolve().parents[2]
LOGIN_URL = "/accounts/login/"
PASSWORD = "Caoqiao-2022-tf"
LOCKED_MESSAGE = "登录失败次数过多，账户已锁定 15 分钟。请稍后再试，或请管理员解锁。"
CSRF_REFUSED = "CSRF验证失败. 请求被中断."
# Every setting a production deployment reads for its security: the tests' own values must not leak in.
SECURITY_VARIABLES = {
    "DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "HTTPS_ONLY",
    "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    "BEHIND_HTTPS_PROXY", "SECURE_COOKIES", "PLAIN_STATIC_STORAGE",
    # Set by the browser tests' harness in the same process; a deployment never has it.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


# check --deploy -----------------------------------------------------------------------------------------------


def check_deploy(**env) -> subprocess.CompletedProcess:
    """Run `manage.py check --deploy --fail-level WARNING` with production settings and ENV on top."""
    environment = {key: value for key, value in os.environ.items() if key not in SECURITY_VARIABLES}
    environment.update(
        DJANGO_SETTINGS_MODULE="pinghu.settings", DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="tracker.example.org",
    )
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )


def warning_ids(result: subprocess.CompletedProcess) -> list[str]:
    return sorted(re.findall(r"\((\w+\.W\d+)\)", result.stderr + result.stdout))


def test_check_deploy_passes_with_production_defaults():
    result = check_deploy()

    assert (result.returncode, warning_ids(result)) == (0, []), result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_when_hsts_is_turned_off():
    result = check_deploy(SECURE_HSTS_SECONDS="0")

    assert result.returncode == 1
    assert warning_ids(result) == ["security.W004"]


def test_check_deploy_names_what_a_plain_http_intranet_gives_up():
    result = check_deploy(HTTPS_ONLY="0")

    # No HTTPS redirect, no HSTS, cookies that also travel over plain HTTP: each named, nothing else.
    assert warning_ids(result) == ["security.W004", "security.W008", "security.W012", "security.W016"]


def test_development_serves_plain_http():
    environment = {key: value for key, value in os.environ.items() if key not in SECURITY_VARIABLES}
    environment.update(DJANGO_SETTINGS_MODULE="pinghu.settings", DEBUG="1")
    code = (
        "from django.conf import settings;"
        "print(settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS, settings.SESSION_COOKIE_SECURE,"
        " settings.CSRF_COOKIE_SECURE)"
    )

    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)

    assert result.stdout.split() == ["False", "0", "False", "False"], result.stderr


# Headers ------------------------------------------------------------------------------------------------------


def policy(response) -> dict[str, str]:
    """Return the response's Content-Security-Policy as {directive: sources} (django-csp orders them at random)."""
    directives = (item.strip().split(" ", 1) for item in response.headers["Content-Security-Policy"].split(";"))
    return {name: sources for name, sources in directives}


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True])
def test_security_headers_on_the_pages(client, leader, signed_in):
    if signed_in:
        client.force_login(leader)

    response = client.get("/" if signed_in else LOGIN_URL)

    assert response.status_code == 200
    assert policy(response) == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "style-src-attr": "'unsafe-inline'",
        "img-src": "'self' data:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_templates_hold_no_inline_script_or_event_handler():
    templates = sorted((ROOT / "templates").rglob("*.html"))
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
    handler = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)

    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in templates
        for pattern in (inline_script, handler)
        for match in pattern.finditer(path.read_text(encoding="utf-8"))
    ]

    assert len(templates) > 20
    assert offenders == []


# Sign-in lockout ----------------------------------------------------------------------------------------------


@pytest.fixture
def member(db):
    return get_user_model().objects.create_user("caoqiao-member", password=PASSWORD)


def sign_in(client, username: str, password: str, **extra):
    return client.post(LOGIN_URL, {"username": username, "password": password}, **extra)


def fail_times(client, username: str, times: int, **extra):
    """Sign in with a wrong password TIMES times; return the last response."""
    for _ in range(times):
        response = sign_in(client, username, "not-the-password", **extra)
    return response


def is_signed_in(client) -> bool:
    return client.get("/").status_code == 200


@pytest.mark.django_db
def test_lockout_after_five_failures_with_the_chinese_message(client, member):
    fourth = fail_times(client, member.username, 4)
    fifth = sign_in(client, member.username, "not-the-password")
    with_the_right_password = sign_in(client, member.username, PASSWORD)

    assert fourth.status_code == 200
    assert "data-locked-out" not in fourth.content.decode()
    assert fifth.status_code == 429
    assert LOCKED_MESSAGE in fifth.content.decode()
    # The page is still the sign-in page, with the name filled in.
    assert 'name="password"' in fifth.content.decode()
    assert f'value="{member.username}"' in fifth.content.decode()
    assert with_the_right_password.status_code == 429
    assert LOCKED_MESSAGE in with_the_right_password.content.decode()
    assert not is_signed_in(client)


@pytest.mark.django_db
def test_lockout_concerns_the_address_that_failed(client, member):
    fail_times(client, member.username, 5)

    from_the_same_desk = sign_in(Client(), member.username, PASSWORD)
    from_another_desk = sign_in(Client(), member.username, PASSWORD, REMOTE_ADDR="10.20.30.40")

    assert from_the_same_desk.status_code == 429
    assert from_another_desk.url == "/"


@pytest.mark.django_db
def test_lockout_ends_after_the_cool_off(client, member):
    locked = fail_times(client, member.username, 5)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=15, seconds=1))

    response = sign_in(client, member.username, PASSWORD)

    assert locked.status_code == 429
    assert response.url == "/"
    assert is_signed_in(client)


@pytest.mark.django_db
def test_lockout_count_restarts_after_a_successful_sign_in(client, member):
    fail_times(client, member.username, 4)
    sign_in(client, member.username, PASSWORD)
    client.post(reverse("logout"))

    fourth_again = fail_times(client, member.username, 4)
    fifth_again = sign_in(client, member.username, "not-the-password")

    assert fourth_again.status_code == 200
    assert "data-locked-out" not in fourth_again.content.decode()
    assert fifth_again.status_code == 429


@pytest.mark.django_db
def test_admin_unlocks_an_account_in_the_admin(client, admin_client, member):
    locked = fail_times(client, member.username, 5)
    attempt = AccessAttempt.objects.get(username=member.username)

    changelist = admin_client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    admin_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )

    assert locked.status_code == 429
    assert "登录失败记录" in changelist
    assert "已锁定" in changelist
    assert member.username in changelist
    assert sign_in(client, member.username, PASSWORD).url == "/"


def test_lockout_address_behind_the_proxy_is_the_one_the_proxy_saw(settings):
    request = RequestFactory().post(LOGIN_URL, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 172.16.5.9")

    settings.SECURE_PROXY_SSL_HEADER = None
    direct = client_address(request)
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proxied = client_address(request)

    # The client may have sent 6.6.6.6 itself; the proxy appended the address it saw last.
    assert (direct, proxied) == ("10.0.0.1", "172.16.5.9")


# Password policy ----------------------------------------------------------------------------------------------


def add_user(admin_client, username: str, password: str):
    return admin_client.post(
        reverse("admin:auth_user_add"),
        {"username": username, "usable_password": "true", "password1": password, "password2": password},
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short-1x", "密码长度太短。密码必须包含至少 10 个字符。"),
        ("password1234", "这个密码太常见了。"),
        ("20220801123456", "密码只包含数字。"),
        ("new-official-1", "密码跟 用户名 太相似了。"),
    ],
)
def test_admin_refuses_a_weak_password_for_a_new_user(admin_client, password, message):
    response = add_user(admin_client, "new-official", password)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not get_user_model().objects.filter(username="new-official").exists()


@pytest.mark.django_db
def test_admin_accepts_a_strong_password_and_the_demo_password_passes(admin_client):
    response = add_user(admin_client, "new-official", PASSWORD)
    demo = add_user(admin_client, "official", "demo-pass-2022")

    assert response.status_code == 302
    assert get_user_model().objects.get(username="new-official").check_password(PASSWORD)
    assert demo.status_code == 302


# Sessions -----------------------------------------------------------------------------------------------------


def age_session(client, elapsed: timedelta) -> None:
    """Bring the end of CLIENT's session ELAPSED closer, as if that much time had passed since signing in."""
    store = import_module(settings.SESSION_ENGINE).SessionStore(client.cookies[settings.SESSION_COOKIE_NAME].value)
    store.set_expiry(store.get_expiry_date() - elapsed)
    store.save()


@pytest.mark.django_db
def test_session_lasts_eight_hours(client, member):
    response = sign_in(client, member.username, PASSWORD)

    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 8 * 60 * 60
    assert response.cookies[settings.SESSION_COOKIE_NAME]["httponly"] is True


@pytest.mark.django_db
def test_session_older_than_eight_hours_is_refused(client, member):
    sign_in(client, member.username, PASSWORD)
    age_session(client, timedelta(hours=7, minutes=59))
    still_in = client.get("/")
    age_session(client, timedelta(minutes=2))

    refused = client.get("/")

    assert still_in.status_code == 200
    assert refused.status_code == 302
    assert refused.url == f"{LOGIN_URL}?next=/"


# CSRF ---------------------------------------------------------------------------------------------------------


class PostForms(HTMLParser):
    """Collect the page's POST forms: their action and whether they hold a CSRF token."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._open = {"action": attrs.get("action"), "token": False}
            self.forms.append(self._open)
        elif tag == "input" and self._open is not None and attrs.get("name") == "csrfmiddlewaretoken":
            self._open["token"] = bool(attrs.get("value"))

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def post_forms(html: str) -> list[dict]:
    parser = PostForms()
    parser.feed(html)
    return parser.forms


def page_url(key: str, rule: dict, world) -> str:
    if "url" in rule:
        return rule["url"](world)
    kwargs = {
        name: source(world) if callable(source) else getattr(world, source).pk
        for name, source in rule.get("kwargs", {}).items()
    }
    return reverse(key, kwargs=kwargs)


@pytest.mark.django_db
def test_every_post_form_on_every_page_carries_the_csrf_token(client):
    world = build_admin_world()
    client.force_login(world.admin)
    pages = {LOGIN_URL: Client().get(LOGIN_URL)}
    for key, rule in RULES.items():
        if rule["get"]["admin"] != 200 or key == "login":
            continue
        try:
            url = page_url(key, rule, world)
        except NoReverseMatch:
            continue  # A rule ahead of its page: tests/quality/test_permission_matrix.py holds rules and URLs together.
        pages[url] = client.get(url)

    # Whole pages: a fragment htmx swaps into one (a job's progress bar) is inside a page that has its forms.
    forms = {
        url: post_forms(response.content.decode())
        for url, response in pages.items()
        if response["Content-Type"].startswith("text/html") and b"<html" in response.content
    }
    missing = [(url, form["action"]) for url, page in forms.items() for form in page if not form["token"]]
    site_page = world.site.get_absolute_url()

    assert missing == []
    # The check saw the forms that matter: the record form of a site, the admin's change forms, signing in.
    assert any(form["action"] == reverse("clearance:site_event_create", args=[world.site.pk]) for form in forms[site_page])
    assert len(forms[reverse("admin:auth_user_add")]) == 2
    assert len(forms[LOGIN_URL]) == 2
    # Every page has one at least: signing out (the navbar's, the admin's) or in.
    assert [url for url, page in forms.items() if not page] == []
    assert len(forms) > 50


@pytest.mark.django_db
def test_a_post_without_the_csrf_token_is_refused():
    world = build_world()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.official)
    url = reverse("clearance:enterprise_event_create", args=[world.enterprise.pk])
    data = {"stage": Stage.NEGOTIATING, "occurred_on": "2022-02-01"}
    negotiating = Event.objects.filter(enterprise=world.enterprise, stage=Stage.NEGOTIATING)

    refused = browser.post(url, data)
    recorded_without_token = negotiating.exists()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', browser.get(url).content.decode()).group(1)
    accepted = browser.post(url, {**data, "csrfmiddlewaretoken": token})

    assert refused.status_code == 403
    assert CSRF_REFUSED in refused.content.decode()
    assert recorded_without_token is False
    # The same data with the token is recorded: only the token was missing.
    assert accepted.status_code == 302
    assert negotiating.exists()


@pytest.mark.django_db
def test_signing_in_without_the_csrf_token_is_refused(member):
    browser = Client(enforce_csrf_checks=True)

    response = sign_in(browser, member.username, PASSWORD)

    assert response.status_code == 403
    assert CSRF_REFUSED in response.content.decode()
    assert not is_signed_in(browser)
