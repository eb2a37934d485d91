"""The front end measured with real browsers, behind `manage.py bench_browser` and `manage.py lighthouse`.

config      the slow mobile profile, the phone, the goals, the pages, SiteConfig, FrontendError
site        ProductionSite: gunicorn as in production (manifest storage, DEBUG off) on the demo
pages       the pages' paths, found by following the demo's links; session cookies
browser     one page in Chromium through Playwright and CDP, cold and warm
lighthouse  the pinned Lighthouse (tools/lighthouse/) on one page, read back
run         bench_browser and lighthouse: the whole runs
report      their tables and goals
options     the command-line options both commands share
"""

from .config import BROWSER_DEFAULT_PAGES, LIGHTHOUSE_DEFAULT_PAGES, PAGES, FrontendError, SiteConfig
from .options import add_site_arguments, pages_argument, site_config
from .report import browser_goals, browser_report, lighthouse_passed, lighthouse_report
from .run import bench_browser, lighthouse

__all__ = [
    "BROWSER_DEFAULT_PAGES",
    "LIGHTHOUSE_DEFAULT_PAGES",
    "PAGES",
    "FrontendError",
    "SiteConfig",
    "add_site_arguments",
    "bench_browser",
    "browser_goals",
    "browser_report",
    "lighthouse",
    "lighthouse_passed",
    "lighthouse_report",
    "pages_argument",
    "site_config",
]
