"""The front end's measurements: the slow mobile profile, the phone, the goals, the pages and their settings."""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/pinghu_browser"
CHROMIUM = Path("/usr/bin/chromium")
# Headless Chromium on this closed network: without the background-networking flags it keeps trying to reach
# Google's hosts, and those refused connections land in the measurements.
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)

# The slow mobile network and phone of issue 16: officials in the field, leaders on the road.
LATENCY_MS = 150
DOWNLOAD_BITS_PER_SECOND = 1_600_000
UPLOAD_BITS_PER_SECOND = 750_000
CPU_SLOWDOWN = 4
# A phone held upright (iPhone X/11 Pro size), as in the browser tests.
PHONE = {
    "viewport": {"width": 375, "height": 812},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}

# The goals (issue 16). KB are 1,000 bytes.
GOAL_FIRST_VISIT_BYTES = 250_000
GOAL_CHARTS_SECONDS = 2.0
# Static files named by their content (the manifest storage) may be cached for a year or more.
GOAL_STATIC_MAX_AGE_SECONDS = 365 * 24 * 60 * 60
# Lighthouse, mobile preset: each category's score on every page, out of 100.
GOAL_LIGHTHOUSE = {"performance": 95, "accessibility": 100, "best-practices": 100}

# The pages, by key: (label, who opens it, None signed out). Their paths are found by following the demo's links
# (pages.py).
PAGES = {
    "dashboard": ("dashboard", "leader"),
    "town": ("town page", "leader"),
    "board": ("battle board", "leader"),
    "bulletin": ("bulletin", "leader"),
    "workspace": ("workspace (official)", "official"),
    "workspace_sites": ("workspace sites (official)", "official"),
    "site": ("site page", "leader"),
    "enterprise": ("enterprise page", "leader"),
    "evaluation": ("evaluation", "leader"),
    "evaluation_town": ("evaluation of a town", "leader"),
    "evaluation_candidates": ("candidates", "leader"),
    "evaluation_card": ("evaluation card", "leader"),
    "reuse": ("reuse", "leader"),
    "reuse_commitments": ("commitments", "leader"),
    "project": ("project page", "leader"),
    # Signed out: the first page everyone opens.
    "login": ("sign-in page", None),
}
# What the browser bench opens by default: the pages that draw charts.
BROWSER_DEFAULT_PAGES = ("dashboard", "town")
LIGHTHOUSE_DEFAULT_PAGES = tuple(PAGES)


class FrontendError(RuntimeError):
    """The measurement cannot go on; the message says why."""


@dataclass
class SiteConfig:
    """Where the production-like server serves from: a database of its own, one given as it is, or SQLite."""

    database_url: str = DEFAULT_DATABASE_URL
    # Serve DATABASE_URL as it is (migrated, with the demo users): never dropped; only signing in writes to it.
    existing: bool = False
    # A temporary SQLite file, migrated and with the demo loaded, instead of PostgreSQL.
    sqlite: bool = False
    reuse_base: bool = True
    port: int = 8141
    workers: int = 2
    log: Callable[[str], None] = field(default=lambda message: None)
