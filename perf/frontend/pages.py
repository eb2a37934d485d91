"""The pages to measure, found as a user finds them: by following links from the dashboard, the evaluation and
the reuse pages of the demo. Nothing is read from the database, so any database the server serves will do."""

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from ..bench.client import HttpClient
from ..bench.config import DEMO_PASSWORD, BenchError
from .config import PAGES, FrontendError

# Where each page's link is found: the page whose HTML holds it, and the pattern of its path.
LINKED = {
    "town": ("dashboard", r"/towns/\d+/"),
    "site": ("town", r"/sites/\d+/"),
    "enterprise": ("site", r"/enterprises/\d+/"),
    "evaluation_town": ("evaluation", r"/evaluation/towns/\d+/"),
    "evaluation_card": ("evaluation_town", r"/evaluation/enterprises/\d+/"),
    "project": ("reuse_projects", r"/projects/\d+/"),
}
FIXED = {
    "dashboard": "/",
    "board": "/board/",
    "bulletin": "/bulletin/",
    "workspace": "/workspace/",
    "evaluation": "/evaluation/",
    "evaluation_candidates": "/evaluation/candidates/",
    "reuse": "/reuse/",
    "reuse_commitments": "/reuse/commitments/",
    "reuse_projects": "/projects/",
    "login": "/accounts/login/",
}
# The language the users read, whatever the browser's (headless Chromium asks for English).
LANGUAGE_COOKIE = "django_language=zh-hans"


@dataclass
class Page:
    key: str
    label: str
    user: str | None
    path: str | None
    note: str = ""


def signed_in(port: int, username: str) -> HttpClient:
    client = HttpClient(port, timeout=120)
    try:
        client.sign_in(username)
    except BenchError as error:
        raise FrontendError(
            _("%(error)s: the database needs the demo's users (manage.py load_demo).") % {"error": error}
        ) from None
    return client


def first_link(client: HttpClient, path: str, pattern: str) -> str | None:
    response = client.get(path)
    if response.status != 200:
        return None
    match = re.search(rf'href="({pattern})', response.body.decode(errors="replace"))
    return match.group(1) if match else None


def official_landing(port: int) -> str | None:
    """The page an official lands on after signing in (no `next`): the sites of their first town."""
    client = HttpClient(port, timeout=120)
    client.get("/accounts/login/")
    response = client.post("/accounts/login/", {"username": "official", "password": DEMO_PASSWORD})
    location = response.headers.get("Location", "") if response.status == 302 else ""
    return location if re.fullmatch(r"/workspace/\d+/sites/", location) else None


def find_pages(port: int, keys: tuple[str, ...]) -> list[Page]:
    """Return KEYS's pages with their paths on the served demo; a page whose link is not found has path None."""
    leader = signed_in(port, "leader")
    paths: dict[str, str | None] = {}

    def path_of(key: str) -> str | None:
        if key not in paths:
            if key in FIXED:
                paths[key] = FIXED[key]
            elif key == "workspace_sites":
                paths[key] = official_landing(port)
            else:
                source, pattern = LINKED[key]
                source_path = path_of(source)
                paths[key] = first_link(leader, source_path, pattern) if source_path else None
        return paths[key]

    pages = []
    for key in keys:
        label, user = PAGES[key]
        path = path_of(key)
        pages.append(Page(key, label, user, path, "" if path else _("no link to it found in the demo")))
    return pages


def session_cookies(port: int, pages: list[Page]) -> dict[str | None, str]:
    """A Cookie header per user who opens PAGES (leader, official; None signed out), in Chinese as the users read."""
    cookies: dict[str | None, str] = {None: LANGUAGE_COOKIE}
    for user in sorted({page.user for page in pages if page.path and page.user}):
        cookies[user] = f"sessionid={signed_in(port, user).cookies['sessionid']}; {LANGUAGE_COOKIE}"
    return cookies
