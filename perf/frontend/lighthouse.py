"""Lighthouse, pinned in tools/lighthouse/ (npm ci there), run on one page and read back: scores, LCP, TBT, bytes,
and the audits that fail."""

import json
import os
import shutil
import subprocess
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from .config import CHROMIUM, CHROMIUM_FLAGS, GOAL_LIGHTHOUSE, FrontendError

LIGHTHOUSE_FOLDER = Path(settings.BASE_DIR) / "tools" / "lighthouse"
LIGHTHOUSE_CLI = LIGHTHOUSE_FOLDER / "node_modules" / "lighthouse" / "cli" / "index.js"
CATEGORIES = tuple(GOAL_LIGHTHOUSE)
LIGHTHOUSE_TIMEOUT_SECONDS = 600
# Now and then, on a busy machine, Lighthouse loses its trace of the page (NO_NAVSTART, NO_FCP): it asks to be run
# again, so it is, up to this many times in all.
ATTEMPTS = 3
# A performance audit below this score is listed with the page's failing audits (Lighthouse's own "passed" line).
PERFORMANCE_AUDIT_PASS = 0.9
SIGN_IN_PATH = "/accounts/login/"
# How a failing audit's elements are named in the report, at most this many per audit.
ELEMENTS_SHOWN = 3


def lighthouse_command() -> list[str]:
    """The command that runs the pinned Lighthouse; refuse when Node.js or the package is missing."""
    node = shutil.which("node")
    if node is None:
        raise FrontendError(_("Node.js is not installed: Lighthouse runs on it."))
    if not LIGHTHOUSE_CLI.is_file():
        raise FrontendError(_("Lighthouse is not installed: run `npm ci` in %(folder)s (make lighthouse does).")
                            % {"folder": LIGHTHOUSE_FOLDER})
    return [node, str(LIGHTHOUSE_CLI)]


def run_lighthouse(command: list[str], url: str, cookie: str, output: Path, desktop: bool = False) -> dict:
    """Run Lighthouse on URL with COOKIE (mobile preset unless DESKTOP, Debian's Chromium headless); keep its JSON
    in OUTPUT."""
    arguments = [
        *command, url,
        "--output=json", f"--output-path={output}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={' '.join(('--headless=new', *CHROMIUM_FLAGS))}",
        f"--extra-headers={json.dumps({'Cookie': cookie})}",
        "--quiet",
        *(["--preset=desktop"] if desktop else []),
    ]
    for attempt in range(1, ATTEMPTS + 1):
        output.unlink(missing_ok=True)
        try:
            finished = subprocess.run(arguments, env={**os.environ, "CHROME_PATH": str(CHROMIUM)},
                                      capture_output=True, text=True, timeout=LIGHTHOUSE_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            failure = _("Lighthouse took more than %(seconds)s s on %(url)s.") % {
                "seconds": LIGHTHOUSE_TIMEOUT_SECONDS, "url": url}
            continue
        if finished.returncode == 0 and output.is_file():
            report = json.loads(output.read_text())
            if not report.get("runtimeError"):
                return read_report(report)
        failure = _("Lighthouse failed on %(url)s:\n%(output)s") % {
            "url": url, "output": (finished.stdout + finished.stderr)[-3000:]}
    raise FrontendError(failure)


def read_report(report: dict) -> dict:
    """The figures of a Lighthouse JSON report: scores out of 100, LCP and TBT in ms, bytes, failing audits."""
    if report.get("runtimeError"):
        raise FrontendError(_("Lighthouse could not measure %(url)s: %(error)s")
                            % {"url": report.get("requestedUrl"), "error": report["runtimeError"].get("message")})
    audits, categories = report["audits"], report["categories"]
    final_url = report.get("finalDisplayedUrl") or report.get("finalUrl")
    if final_url and SIGN_IN_PATH in final_url and SIGN_IN_PATH not in report.get("requestedUrl", ""):
        raise FrontendError(_("Lighthouse was sent to the sign-in page from %(url)s: the session cookie was refused.")
                            % {"url": report.get("requestedUrl")})
    return {
        "scores": {key: None if categories[key]["score"] is None else round(categories[key]["score"] * 100)
                   for key in CATEGORIES},
        "lcp_ms": audits["largest-contentful-paint"].get("numericValue"),
        "tbt_ms": audits["total-blocking-time"].get("numericValue"),
        "bytes": audits["total-byte-weight"].get("numericValue"),
        "failing": failing_audits(audits, categories),
        "lighthouse_version": report.get("lighthouseVersion"),
    }


def failing_audits(audits: dict, categories: dict) -> list[dict]:
    """The audits that cost a category points: any below a full score in accessibility and best practices, those
    below Lighthouse's pass mark in performance; with what they found, and where."""
    failing, seen = [], set()
    for category in CATEGORIES:
        threshold = PERFORMANCE_AUDIT_PASS if category == "performance" else 1
        for reference in categories[category]["auditRefs"]:
            audit = audits[reference["id"]]
            if reference["id"] in seen or audit.get("score") is None or audit["score"] >= threshold:
                continue
            # Outside performance, an audit of no weight costs no point (e.g. source maps): not a finding.
            if category != "performance" and not reference.get("weight"):
                continue
            if audit.get("scoreDisplayMode") in {"notApplicable", "manual", "informative", "error"}:
                continue
            seen.add(reference["id"])
            failing.append({
                "category": category, "id": reference["id"], "title": audit.get("title", reference["id"]),
                "score": audit["score"], "value": audit.get("displayValue", ""),
                "elements": audit_elements(audit),
            })
    return failing


def audit_elements(audit: dict) -> list[str]:
    """The first elements or resources an audit names (a CSS selector, a URL, a snippet)."""
    named = []
    for item in (audit.get("details") or {}).get("items", []):
        if not isinstance(item, dict):
            continue
        node = item.get("node") if isinstance(item.get("node"), dict) else {}
        source = item.get("source") if isinstance(item.get("source"), dict) else {}
        name = node.get("selector") or item.get("url") or source.get("url") or node.get("snippet")
        if name and name not in named:
            named.append(name)
        if len(named) == ELEMENTS_SHOWN:
            break
    return named
