"""The tables of the browser bench and of Lighthouse, with a PASS or MISS line per goal."""

from .config import (
    CPU_SLOWDOWN,
    DOWNLOAD_BITS_PER_SECOND,
    GOAL_CHARTS_SECONDS,
    GOAL_FIRST_VISIT_BYTES,
    GOAL_LIGHTHOUSE,
    GOAL_STATIC_MAX_AGE_SECONDS,
    LATENCY_MS,
    UPLOAD_BITS_PER_SECOND,
)

PRESETS = {"mobile": "mobile preset: simulated slow 4G, CPU 4× slower",
           "desktop": "desktop preset: simulated fast network, no CPU slowdown"}
RESOURCE_TYPES = ("Document", "Script", "Stylesheet", "Image", "Font", "Fetch", "XHR")


def kilobytes(count: float | None) -> str:
    return "—" if count is None else f"{count / 1000:,.1f} KB"


def seconds(milliseconds: float | None) -> str:
    return "—" if milliseconds is None else f"{milliseconds / 1000:.2f} s"


def verdict(passed: bool | None) -> str:
    return "not measured" if passed is None else ("PASS" if passed else "MISS")


def charts_cell(visit: dict) -> str:
    if visit["charts"] == 0:
        return "no chart"
    if visit["charts_drawn"] is None:
        return "not drawn" if visit["charts_timed_out"] else "none in view"
    return seconds(visit["charts_drawn"]) + (" (polled)" if visit["charts_source"] == "polled" else "")


def scrolled_cell(visit: dict) -> str:
    if visit["charts"] == 0:
        return "no chart"
    if visit["scrolled_chart_drawn"] is None:
        return "all in view" if visit["charts_in_view"] == visit["charts"] else "not drawn"
    return f"{visit['scrolled_chart_drawn']:,.0f} ms"


def max_age(cache_control: str) -> int | None:
    for part in cache_control.split(","):
        name, _equals, value = part.strip().partition("=")
        if name.lower() == "max-age" and value.isdigit():
            return int(value)
    return None


def browser_goals(results: dict) -> list[tuple[str, str, str]]:
    """(goal, measured, verdict) for each goal of the browser bench."""
    pages = {page["key"]: page for page in results["pages"] if "cold" in page}
    rows = []
    dashboard = pages.get("dashboard")
    cold = dashboard["cold"] if dashboard else None
    rows.append((f"dashboard first visit ≤ {kilobytes(GOAL_FIRST_VISIT_BYTES)}", kilobytes(cold and cold["bytes"]),
                 verdict(None if cold is None else cold["bytes"] <= GOAL_FIRST_VISIT_BYTES)))
    drawn = cold and cold["charts_drawn"]
    rows.append((f"dashboard charts drawn ≤ {GOAL_CHARTS_SECONDS:.1f} s (first visit)",
                 charts_cell(cold) if cold else "—",
                 verdict(None if cold is None else drawn is not None and drawn <= GOAL_CHARTS_SECONDS * 1000)))
    for key, page in pages.items():
        extra = page["warm"]["network_beyond_document"]
        rows.append((f"repeat visit of the {key} page transfers only the page",
                     f"{kilobytes(page['warm']['bytes'])}, " + (f"{len(extra)} other request(s): {', '.join(extra)}"
                                                                 if extra else "no other request"),
                     verdict(not extra)))
    headers = sorted({value for page in pages.values() for value in page["cold"]["static_cache_control"]})
    ages = [max_age(value) for value in headers]
    rows.append((f"static files cached ≥ {GOAL_STATIC_MAX_AGE_SECONDS // 86400} days (Cache-Control)",
                 "; ".join(headers) or "—",
                 verdict(None if not headers else all(age is not None and age >= GOAL_STATIC_MAX_AGE_SECONDS
                                                      for age in ages))))
    return rows


def browser_report(results: dict, title: str) -> str:
    config = results["config"]
    lines = [
        f"## {title}", "",
        f"Debian's Chromium through Playwright on a phone (375×812): {LATENCY_MS} ms round trip, "
        f"{DOWNLOAD_BITS_PER_SECOND / 1e6:.1f} Mbit/s down, {UPLOAD_BITS_PER_SECOND / 1e3:.0f} kbit/s up, CPU "
        f"{CPU_SLOWDOWN}× slower; gunicorn ({config['workers']} workers, DEBUG off, compressed manifest storage) on "
        f"{config['database']} with the demo. Times from navigation start, median of {config['runs']} run(s); a "
        "cold visit has an empty cache, a warm one comes back in the same context.", "",
        "| page | visit | transferred | requests (network / cache) | first paint | FCP | LCP | charts drawn "
        "(in view) | a chart below, once scrolled to |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for page in results["pages"]:
        if "cold" not in page:
            lines.append(f"| {page['label']} | — | {page['note']} | | | | | | |")
            continue
        for name in ("cold", "warm"):
            visit = page[name]
            lines.append(
                f"| {page['label']} `{page['path']}` | {name} | {kilobytes(visit['bytes'])} | "
                f"{visit['network_requests']} / {visit['cached_requests']} | {seconds(visit['first_paint'])} | "
                f"{seconds(visit['first_contentful_paint'])} | {seconds(visit['lcp'])} | {charts_cell(visit)}"
                + (f" ({visit['charts_in_view']} of {visit['charts']})" if visit["charts"] else "")
                + f" | {scrolled_cell(visit)} |"
            )
    encodings = sorted({value for page in results["pages"] if "cold" in page
                        for value in page["cold"]["static_encodings"]})
    lines += ["", "Bytes by resource type, first visit (static files sent " + (", ".join(encodings) or "—") + "):", "",
              "| page | " + " | ".join(RESOURCE_TYPES) + " | other |", "|---|" + "---:|" * (len(RESOURCE_TYPES) + 1)]
    for page in results["pages"]:
        if "cold" in page:
            by_type = page["cold"]["bytes_by_type"]
            other = sum(count for kind, count in by_type.items() if kind not in RESOURCE_TYPES)
            lines.append(f"| {page['label']} | " + " | ".join(kilobytes(by_type.get(kind, 0)) for kind in RESOURCE_TYPES)
                         + f" | {kilobytes(other)} |")
    failed = [(page["label"], failure) for page in results["pages"] if "cold" in page
              for name in ("cold", "warm") for failure in page[name]["failed"]]
    if failed:
        lines += ["", "Requests that failed:", ""] + [f"- {label}: {failure}" for label, failure in failed]
    lines += ["", "| goal | measured | verdict |", "|---|---|---|"]
    lines += [f"| {goal} | {measured} | {result} |" for goal, measured, result in browser_goals(results)]
    return "\n".join(lines) + "\n"


def lighthouse_passed(page: dict) -> bool:
    return all(page["scores"][key] is not None and page["scores"][key] >= goal for key, goal in GOAL_LIGHTHOUSE.items())


def lighthouse_report(results: dict, title: str) -> str:
    goals = ", ".join(f"{key} ≥ {goal}" for key, goal in GOAL_LIGHTHOUSE.items())
    lines = [
        f"## {title}", "",
        f"Lighthouse {results.get('lighthouse_version') or ''} ({PRESETS[results['config'].get('preset', 'mobile')]}), "
        f"headless Debian Chromium, signed in; gunicorn ({results['config']['workers']} workers, DEBUG off, compressed "
        f"manifest storage) on {results['config']['database']} with the demo. Goal on every page: {goals}.", "",
        "| page | performance | accessibility | best practices | LCP | TBT | bytes | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for page in results["pages"]:
        if "scores" not in page:
            lines.append(f"| {page['label']} | | | | | | | {page['note']} |")
            continue
        scores = page["scores"]
        lines.append(
            f"| {page['label']} `{page['path']}` | {scores['performance']} | {scores['accessibility']} | "
            f"{scores['best-practices']} | {seconds(page['lcp_ms'])} | {page['tbt_ms']:,.0f} ms | "
            f"{page['bytes'] / 1024:,.0f} KiB | {verdict(lighthouse_passed(page))} |"
        )
    for page in results["pages"]:
        if page.get("failing"):
            lines += ["", f"Failing audits, {page['label']} `{page['path']}`:", ""]
            for audit in page["failing"]:
                where = f" — {'; '.join(audit['elements'])}" if audit["elements"] else ""
                value = f" ({audit['value']})" if audit["value"] else ""
                lines.append(f"- {audit['category']}: {audit['title']}{value}{where}")
    return "\n".join(lines) + "\n"
