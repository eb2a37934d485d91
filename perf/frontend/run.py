"""The two runs on the production-like server: the browser bench (Playwright, slow mobile profile) and Lighthouse."""

import shutil
import statistics
import tempfile
from pathlib import Path

from django.utils.translation import gettext as _
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from .browser import measure_page
from .config import CHROMIUM, CHROMIUM_FLAGS, FrontendError, SiteConfig
from .lighthouse import lighthouse_command, run_lighthouse
from .pages import find_pages, session_cookies
from .site import ProductionSite, check_database

# The figures of a visit whose median over the runs is reported.
TIMED = ("first_paint", "first_contentful_paint", "lcp", "charts_drawn", "scrolled_chart_drawn", "dom_content_loaded",
         "load")


def check_chromium() -> None:
    if not CHROMIUM.exists():
        raise FrontendError(_("Chromium not found at %(path)s (apt-get install -y chromium fonts-wqy-microhei).")
                            % {"path": CHROMIUM})


def browser_cookies(site_url: str, header: str) -> list[dict]:
    return [{"name": name, "value": value, "url": site_url}
            for name, _equals, value in (part.strip().partition("=") for part in header.split(";"))]


def median_visit(visits: list[dict]) -> dict:
    """The median of each timing over the runs; bytes and requests of the first run (they do not vary)."""
    summary = dict(visits[0])
    for key in TIMED:
        values = [visit[key] for visit in visits if visit[key] is not None]
        summary[key] = statistics.median(values) if len(values) == len(visits) else None
    summary["runs"] = len(visits)
    summary["bytes_range"] = [min(visit["bytes"] for visit in visits), max(visit["bytes"] for visit in visits)]
    summary["charts_timed_out"] = any(visit["charts_timed_out"] for visit in visits)
    return summary


def bench_browser(site_config: SiteConfig, keys: tuple[str, ...], runs: int) -> dict:
    """Open each page of KEYS RUNS times, cold then warm; return the raw results (report.py makes the table)."""
    check_chromium()
    check_database(site_config)
    log = site_config.log
    with ProductionSite(site_config) as site:
        pages = find_pages(site_config.port, keys)
        cookies = session_cookies(site_config.port, pages)
        results = {"config": {"runs": runs, "workers": site_config.workers,
                              "database": "sqlite" if site_config.sqlite else "postgresql"}, "pages": []}
        with sync_playwright() as playwright:
            try:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_FLAGS))
            except PlaywrightError as error:
                raise FrontendError(_("Chromium did not start: %(error)s") % {"error": error}) from None
            try:
                for page in pages:
                    entry = {"key": page.key, "label": page.label, "path": page.path, "note": page.note}
                    if page.path:
                        visits = []
                        for run in range(1, runs + 1):
                            log(f"{page.path} as {page.user or 'nobody'}, run {run} of {runs}: cold, then warm")
                            visits.append(measure_page(browser, site.url, page.path,
                                                       browser_cookies(site.url, cookies[page.user])))
                        entry.update(cold=median_visit([visit["cold"] for visit in visits]),
                                     warm=median_visit([visit["warm"] for visit in visits]))
                    results["pages"].append(entry)
            finally:
                browser.close()
    return results


def lighthouse(site_config: SiteConfig, keys: tuple[str, ...], reports_dir: Path | None = None,
               desktop: bool = False) -> dict:
    """Run Lighthouse (mobile preset, or desktop) on each page of KEYS, signed in as its user; return the raw
    results."""
    check_chromium()
    command = lighthouse_command()
    check_database(site_config)
    log = site_config.log
    folder = reports_dir or Path(tempfile.mkdtemp(prefix="pinghu-lighthouse-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with ProductionSite(site_config) as site:
            pages = find_pages(site_config.port, keys)
            cookies = session_cookies(site_config.port, pages)
            results = {"config": {"workers": site_config.workers, "preset": "desktop" if desktop else "mobile",
                                  "database": "sqlite" if site_config.sqlite else "postgresql"}, "pages": []}
            for page in pages:
                entry = {"key": page.key, "label": page.label, "path": page.path, "note": page.note}
                if page.path:
                    log(f"lighthouse {page.path} as {page.user or 'nobody'}")
                    try:
                        entry.update(run_lighthouse(command, site.url + page.path, cookies[page.user],
                                                    folder / f"{page.key}.json", desktop=desktop))
                    except FrontendError as error:
                        # One page Lighthouse could not measure leaves the others' scores standing.
                        entry["note"] = str(error).splitlines()[-1]
                results["pages"].append(entry)
            results["lighthouse_version"] = next(
                (page["lighthouse_version"] for page in results["pages"] if page.get("lighthouse_version")), None)
    finally:
        if reports_dir is None:
            shutil.rmtree(folder, ignore_errors=True)
    return results
