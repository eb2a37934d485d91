"""The report: every goal with PASS or MISS, and the plain-text tables fit for the README."""

from .config import (
    GOAL_DB_OVER_FLOOR,
    GOAL_ENTERPRISES_PER_MINUTE,
    GOAL_IMPORT_SECONDS,
    GOAL_IMPORT_SPEEDUP,
    GOAL_LARGE_OVER_SMALL,
    GOAL_RECORDING_P95_MS,
    GOAL_RECOMPUTE_SECONDS,
    GOAL_RECORDINGS_PER_SECOND,
    PAGES,
    Page,
)

# The reads of a town's evaluation page that bench_evaluation times, with their labels.
EVALUATION_READS = (
    ("rows_first_page", "first 50 rows by score"),
    ("rows_count", "count"),
    ("town_classes", "classes, land and energy"),
    ("candidates_first_page", "first 50 candidates"),
)
from .stats import ratio


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _agreement(*agreements: bool | None) -> str:
    if False in agreements:
        return "NO"
    return "yes" if all(agreements) else "not checked (the API failed)"


def _count(value: int | None) -> str:
    return "—" if value is None else str(value)


def _times(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def _verdict(passed: bool | None) -> str:
    return "—" if passed is None else ("PASS" if passed else "MISS")


def goals(results: dict) -> list[tuple[str, str, str]]:
    """Return (goal, measured, PASS/MISS) for each goal the results can answer: one row per judged page first."""
    sizes = results["config"]["sizes"]
    small, large = (results["sizes"][str(size)] for size in sizes)
    in_turn = (large.get("in_turn") or {}).get("pages", {})
    rows = [_page_goal(page, sizes, small["pages"].get(page.key), large["pages"].get(page.key), in_turn.get(page.key))
            for page in PAGES if page.goal_ms is not None]
    admin_median = (large["pages"].get("admin") or {}).get("median_ms")
    for key, label in (("dashboard", "dashboard"), ("api", "/api/summary/")):
        # A page that failed or is missing misses every goal about it.
        measured = large["pages"].get(key) or {}
        median = measured.get("median_ms")
        over_floor = ratio(measured.get("db_median_ms"), large["floor"]["floor_ms"])
        rows.append((f"{label} database time ≤ {GOAL_DB_OVER_FLOOR:g}× the SQL floor (the rest is rendering)",
                     _times(over_floor), _verdict(over_floor is not None and over_floor <= GOAL_DB_OVER_FLOOR)))
        rows.append((f"{label} below the admin change list", _times(ratio(median, admin_median)),
                     _verdict(median is not None and (admin_median is None or median < admin_median))))
    recording = results.get("recording")
    if recording:
        rows += _recording_goals(recording)
    imported = results.get("import")
    if imported:
        seconds = imported.get("import_seconds")
        rows.append((f"{imported['enterprises']:,}-row import < {GOAL_IMPORT_SECONDS:g} s", f"{_ms(seconds)} s",
                     _verdict(None if seconds is None else seconds < GOAL_IMPORT_SECONDS)))
        speedup = ratio(imported.get("import_export_seconds"), seconds)
        rows.append((f"import ≥ {GOAL_IMPORT_SPEEDUP:g}× faster than django-import-export", _times(speedup),
                     _verdict(None if speedup is None else speedup >= GOAL_IMPORT_SPEEDUP)))
    evaluation = large.get("evaluation")
    if evaluation:
        seconds = evaluation["recompute"]["full_seconds"]
        rows.append((f"a year's scores recomputed < {GOAL_RECOMPUTE_SECONDS:g} s at {evaluation['evaluated']:,} "
                     f"evaluated enterprises", f"{seconds:.1f} s", _verdict(seconds < GOAL_RECOMPUTE_SECONDS)))
    rate = large["generation"]["per_minute"]
    rows.append((f"generation ≥ {GOAL_ENTERPRISES_PER_MINUTE:,.0f} enterprises/min",
                 "—" if rate is None else f"{rate:,.0f}/min",
                 _verdict(None if rate is None else rate >= GOAL_ENTERPRISES_PER_MINUTE)))
    return rows


def _page_goal(page: Page, sizes: list[int], small: dict | None, large: dict | None,
               in_turn: dict | None = None) -> tuple[str, str, str]:
    """PAGE's row: its median at the large size under its line, as many queries at both sizes, and for the flat
    pages large ÷ small within GOAL_LARGE_OVER_SMALL; missing or failed at either size, it misses.

    A flat page measured at both sizes in turn (IN_TURN) is judged on those figures, the median and the ratio alike:
    the machine the same for both sizes. The figures of the sizes measured one after the other follow, for reading."""
    parts = [f"median < {page.goal_ms:g} ms"]
    if page.flat:
        parts.append(f"large ÷ small ≤ {GOAL_LARGE_OVER_SMALL:g}")
    goal = f"{page.label}: {', '.join([*parts, 'constant queries'])}"
    for size, measured in zip(sizes, (small, large)):
        if measured is None or "skipped" in measured:
            reason = measured["skipped"] if measured else "not in the results"
            return goal, f"not measured at {size:,}: {reason}", _verdict(False)
        if "error" in measured:
            return goal, f"failed at {size:,}: {measured['error']}", _verdict(False)
    median = large["median_ms"]
    growth = ratio(median, small["median_ms"])
    constant = small["queries"] == large["queries"] and not (small["queries_varied"] or large["queries_varied"])
    figures = [f"{median:.1f} ms", *([_times(growth)] if page.flat else []), _queries(small, large, unit=" queries")]
    if page.flat and in_turn is not None:
        if "error" in in_turn:
            return goal, f"failed in turn: {in_turn['error']}", _verdict(False)
        figures = [f"{in_turn['large_median_ms']:.1f} ms", f"{_times(in_turn['ratio'])} in turn",
                   _queries(small, large, unit=" queries"), f"one size after the other {median:.1f} ms, {_times(growth)}"]
        median, growth = in_turn["large_median_ms"], in_turn["ratio"]
    passed = median < page.goal_ms and constant and (not page.flat or (growth is not None and growth <= GOAL_LARGE_OVER_SMALL))
    return goal, ", ".join(figures), _verdict(passed)


def _queries(small: dict, large: dict, unit: str = "") -> str:
    """A page's query count at both sizes: one number when the same, `8 → 9` when not, `(varies)` when a size's
    requests did not all make as many."""
    text = (_count(small["queries"]) if small["queries"] == large["queries"]
            else f"{_count(small['queries'])} → {_count(large['queries'])}")
    return text + unit + (" (varies)" if small["queries_varied"] or large["queries_varied"] else "")


def _recording_goals(recording: dict) -> list[tuple[str, str, str]]:
    """The recording's goals: the rate and p95 of concurrent saves, and none lost."""
    p95 = recording["p95_ms"]
    rollup = {True: "rollup agrees", False: "rollup DIFFERS", None: "rollup not checked"}[recording["rollup_agrees"]]
    return [
        (f"recording ≥ {GOAL_RECORDINGS_PER_SECOND:g}/s with {recording['clients']} clients",
         f"{recording['per_second']:.0f}/s", _verdict(recording["per_second"] >= GOAL_RECORDINGS_PER_SECOND)),
        (f"recording p95 < {GOAL_RECORDING_P95_MS:g} ms", f"{_ms(p95)} ms",
         _verdict(None if p95 is None else p95 < GOAL_RECORDING_P95_MS)),
        ("no lost update", f"{_saved(recording)} saved, {recording['events_stored']} stored, {rollup}",
         _verdict(recording["lost_updates"] == 0 and recording["rollup_agrees"] is not False)),
    ]


def _machine_line(parts: list[tuple[str, dict]]) -> str:
    """How fast the machine was before each part (cpu.machine_speed_ms; older results have none)."""
    timed = [f"{_ms(part['machine_ms'])} ms before {label}" for label, part in parts if part.get("machine_ms")]
    if not timed:
        return ""
    return ("Machine speed (a fixed Python loop, best of 5, CPU time; lower is faster, and the same code's times "
            f"follow it): {', '.join(timed)}.")


def _saved(recording: dict) -> int:
    """The saves answered, the crowd's and the client's alone before it (all of them must be stored)."""
    return recording["successes"] + ((recording.get("alone") or {}).get("successes") or 0)


def _recording_line(recording: dict) -> str:
    kinds = f" ({', '.join(recording['failure_kinds'])})" if recording["failure_kinds"] else ""
    # Older result files have no server-side figures.
    queries = recording.get("queries_per_save") or []
    served = (f"; the server's own time median {_ms(recording['server_median_ms'])} ms, "
              f"{'/'.join(str(count) for count in queries)} queries a save" if queries else "")
    cpu = recording.get("cpu_ms_per_save")
    spent = ""
    if cpu:
        # What the machine's cores can give: every save costs this much CPU somewhere on them, server and clients.
        per_save = sum(cpu.values())
        spent = (f" CPU per save: {cpu['python']:.1f} ms in the workers (Python), {cpu['postgresql']:.1f} ms in "
                 f"PostgreSQL, {cpu['clients']:.1f} ms in the clients; the run had {recording['cores_used']:.2f} of the "
                 f"machine's {recording['machine_cores']} cores on average; all {recording['machine_cores']} would allow "
                 f"{recording['machine_cores'] * 1000 / per_save:.0f} saves/s.")
    return (
        f"Recording 签约 and 腾退: {recording['clients']} clients for {recording['seconds']:.1f} s"
        f"{' (ran out of enterprises to record before the time was up)' if recording['ran_out'] else ''}: "
        f"{recording['successes']} saved ({recording['per_second']:.0f}/s), {recording['failures']} refused{kinds}, "
        f"median {_ms(recording['median_ms'])} ms, p95 {_ms(recording['p95_ms'])} ms{served}.{spent}"
        f"{_alone_line(recording)}"
    )


def _alone_line(recording: dict) -> str:
    """One client alone after the crowd: what a save costs with the cores to itself (older results have none)."""
    alone, crowd = recording.get("alone"), recording.get("cpu_ms_per_save")
    if not alone or not alone.get("cpu_ms_per_save") or not alone["successes"]:
        return ""
    cpu = alone["cpu_ms_per_save"]
    per_save = sum(cpu.values())
    shared = (f"; with {recording['clients']} clients a save cost {sum(crowd.values()) / per_save:.2f}× that CPU"
              if crowd else "")
    return (f" One client alone after ({alone['seconds']:.1f} s): {alone['successes']} saved "
            f"({alone['per_second']:.0f}/s), median {_ms(alone['median_ms'])} ms, CPU per save {per_save:.1f} ms "
            f"({cpu['python']:.1f} workers, {cpu['postgresql']:.1f} PostgreSQL, {cpu['clients']:.1f} client){shared}.")


def recording_report(results: dict) -> str:
    """Return the results of `bench --only recording`: a line and the recording's goals per size."""
    config = results["config"]
    lines = [f"Recording only: {config['clients']} clients, gunicorn {config['workers']} workers, PostgreSQL, "
             f"cache and sessions: {config['cache']}."]
    for size, recording in results["recordings"].items():
        counts = recording["counts"]
        lines += ["", f"{int(size):,} generated enterprises ({counts['enterprises']:,} in all, "
                      f"{counts['events']:,} events, {counts['towns']} towns).", _recording_line(recording)]
        lines += [line for line in [_machine_line([("the recording", recording)])] if line]
        lines += ["", "| goal | measured | |", "|---|---|---|"]
        lines += [f"| {goal} | {measured} | {verdict} |" for goal, measured, verdict in _recording_goals(recording)]
    lines += ["", f"Wall time {results['wall_seconds']:.0f} s."]
    return "\n".join(lines)


def _evaluation_lines(sizes: list[int], small: dict, large: dict) -> list[str]:
    """The evaluation's recompute and a town's reads at both sizes, when they were measured."""
    if not (small.get("evaluation") and large.get("evaluation")):
        return []
    both = (small["evaluation"], large["evaluation"])
    lines = [
        "",
        f"Evaluation ({' / '.join(format(each['evaluated'], ',') for each in both)} evaluated enterprises, year "
        f"{large['evaluation']['year']}; the town with the most rows: "
        f"{' / '.join(format(each['town_rows'], ',') for each in both)} rows). Recompute of the year, both size "
        "classes, in s:",
        "",
        f"| recompute | {sizes[0]:,} | {sizes[1]:,} |",
        "|---|---|---|",
    ]
    for key, label in (("full_seconds", "every score changed (a weight, then back)"),
                       ("unchanged_seconds", "nothing changed"), ("adjustment_seconds", "one adjustment added, removed"),
                       ("queued_request_seconds", "one adjustment saved, its scoring queued for the worker")):
        lines.append(f"| {label} | {_seconds(both[0]['recompute'].get(key))} | {_seconds(both[1]['recompute'].get(key))} |")
    lines += ["", f"| town evaluation read (ms, median / max) | queries | {sizes[0]:,} | {sizes[1]:,} |", "|---|---|---|---|"]
    for key, label in EVALUATION_READS:
        low, high = (each["reads"][key] for each in both)
        lines.append(f"| {label} | {high['queries']} | {_ms(low['median_ms'])} / {_ms(low['max_ms'])} "
                     f"| {_ms(high['median_ms'])} / {_ms(high['max_ms'])} |")
    for label, each in zip((f"{size:,}" for size in sizes), (small, large)):
        generation = each["generation"]
        if generation.get("evaluated"):
            lines.append(f"Generation of {generation['evaluated']:,} evaluated enterprises at {label}: rows "
                         f"{_seconds(generation['evaluation_seconds'])} s, both years scored {_seconds(generation['scoring_seconds'])} s.")
    return lines


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _page_table(results: dict, small: dict, large: dict) -> list[str]:
    """Every page at both sizes (queries, median, p95 and database time; the ratios), then a note for each page
    that failed, was skipped or had fewer timed requests than asked."""
    sizes, requested = results["config"]["sizes"], results["config"]["requests"]
    small_label, large_label = f"{sizes[0]:,}", f"{sizes[1]:,}"
    lines = [
        f"| page | queries | {small_label}: median | p95 | db | {large_label}: median | p95 | db | large ÷ small "
        f"| db ÷ SQL floor | ÷ admin list |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    admin_median = (large["pages"].get("admin") or {}).get("median_ms")
    notes = []
    for page in PAGES:
        low, high = small["pages"].get(page.key), large["pages"].get(page.key)
        skipped = [f"{size_label}: {each['skipped'] if each else 'not in the results'}"
                   for each, size_label in ((low, small_label), (high, large_label)) if each is None or "skipped" in each]
        if skipped:
            lines.append(f"| {page.label} | not measured ({'; '.join(skipped)}) | | | | | | | | | |")
            continue
        for each, size_label in ((low, small_label), (high, large_label)):
            if "error" in each:
                notes.append(f"{page.label} failed at {size_label}: {each['error']}.")
            elif each.get("requests", requested) < requested:
                notes.append(f"{page.label} had {each['requests']} timed requests at {size_label} (too slow for more).")
        over_floor = ratio(high["db_median_ms"], large["floor"]["floor_ms"]) if page.uses_floor else None
        under_admin = ratio(high["median_ms"], admin_median) if page.key != "admin" else None
        lines.append(
            f"| {page.label} | {_queries(low, high)} | {_ms(low['median_ms'])} | {_ms(low['p95_ms'])} "
            f"| {_ms(low['db_median_ms'])} | {_ms(high['median_ms'])} | {_ms(high['p95_ms'])} | {_ms(high['db_median_ms'])} "
            f"| {_times(ratio(high['median_ms'], low['median_ms']))} | {_times(over_floor)} | {_times(under_admin)} |"
        )
    lines.append(
        f"| SQL floor (5 queries) | 5 | {_ms(small['floor']['floor_ms'])} | | | {_ms(large['floor']['floor_ms'])} | | "
        f"| {_times(ratio(large['floor']['floor_ms'], small['floor']['floor_ms']))} | | |"
    )
    return [*lines, "", *notes]


def _in_turn_table(sizes: list[int], small: dict, large: dict) -> list[str]:
    """The flat pages measured at both sizes in turn, beside their figures measured one size after the other."""
    in_turn = large.get("in_turn")
    if not in_turn:
        return []
    measured = [each for each in in_turn["pages"].values() if "error" not in each]
    rounds = f"{measured[0]['rounds']} rounds, {measured[0]['requests']} cold requests a size in all" if measured else ""
    lines = [
        f"Measured in turn: the pages judged on large ÷ small, both sizes served side by side and requested in turn "
        f"({rounds}; the order swapped each round), the machine's fixed loop at {_ms(in_turn['machine_ms'])} ms before:",
        "",
        f"| page | {sizes[0]:,}: median | db | {sizes[1]:,}: median | db | large ÷ small | one size after the other |",
        "|---|---|---|---|---|---|---|",
    ]
    for page in PAGES:
        each = in_turn["pages"].get(page.key)
        if each is None:
            continue
        if "error" in each:
            lines.append(f"| {page.label} | failed: {each['error']} | | | | | |")
            continue
        low, high = small["pages"].get(page.key) or {}, large["pages"].get(page.key) or {}
        lines.append(f"| {page.label} | {_ms(each['small_median_ms'])} | {_ms(each['small_db_ms'])} "
                     f"| {_ms(each['large_median_ms'])} | {_ms(each['large_db_ms'])} | {_times(each['ratio'])} "
                     f"| {_times(ratio(high.get('median_ms'), low.get('median_ms')))} |")
    return [*lines, ""]


def _subjects_line(small: dict, large: dict) -> str:
    """Which town, site, evaluated enterprise and project the pages show at both sizes (by id: the largest of a kind
    may differ between sizes), and how big each is."""
    def both(key: str, size_key: str) -> str:
        ids = " / ".join(f"#{_count(each['subjects'].get(key))}" for each in (small, large))
        return f"{ids}: {' / '.join(_count(each['subjects'].get(size_key)) for each in (small, large))}"

    return (
        f"Pages: the town with the most sites ({both('town', 'town_sites')} sites; its page and its board), the site "
        f"with the most enterprises ({both('site', 'site_enterprises')}), the town with the most evaluated enterprises "
        f"in {_count(large['subjects'].get('evaluation_year'))} ({both('evaluation_town', 'evaluation_town_rows')}), "
        f"the evaluated enterprise with the most years ({both('evaluated', 'evaluated_years')}), the project with the "
        f"most parcels ({both('project', 'project_parcels')}); period {large['period'][0]}-{large['period'][1]:02d}. "
        f"Figures of /api/summary/ equal the SQL floor's: {_agreement(small['figures_agree'], large['figures_agree'])}."
    )


def report(results: dict) -> str:
    """Return the results as plain-text tables fit for the README."""
    sizes = results["config"]["sizes"]
    small, large = (results["sizes"][str(size)] for size in sizes)
    small_label, large_label = f"{sizes[0]:,}", f"{sizes[1]:,}"
    lines = [
        f"Server time in ms (median / p95 of {results['config']['requests']} cold requests each), "
        f"{results['config']['towns']} generated towns, gunicorn {results['config']['workers']} workers, PostgreSQL.",
        "",
        *_page_table(results, small, large),
        *_in_turn_table(sizes, small, large),
        _subjects_line(small, large),
    ]
    recording = results.get("recording")
    if recording:
        lines.append(_recording_line(recording))
    imported = results.get("import")
    if imported:
        measured = imported.get("import_export_rows_measured")
        scaled = (
            f" (timed on {measured:,} enterprises and scaled; {imported['import_export_linearity']:.2f}× linear)"
            if measured and measured < imported["enterprises"] and "import_export_linearity" in imported else ""
        )
        lines.append(
            f"Import of {imported['enterprises']:,} enterprises: {_ms(imported.get('import_seconds'))} s, "
            f"re-import {_ms(imported.get('reimport_seconds'))} s, plain django-import-export "
            f"{_ms(imported.get('import_export_seconds'))} s{scaled}, peak {_ms(imported.get('peak_mb'))} MB."
        )
    peaks = [each["worker_peak_mb"] for each in (small, large) if each["worker_peak_mb"] is not None]
    lines.append(f"Worker peak memory (VmHWM): {_ms(small['worker_peak_mb'])} MB at {small_label}, "
                 f"{_ms(large['worker_peak_mb'])} MB at {large_label}; max {_ms(max(peaks) if peaks else None)} MB.")
    for label, each in ((small_label, small), (large_label, large)):
        generation = each["generation"]
        if generation["seconds"] is not None:
            lines.append(f"Generation of {label} enterprises: {generation['seconds']:.1f} s "
                         f"({generation['per_minute']:,.0f}/min).")
    lines += _evaluation_lines(sizes, small, large)
    machine = _machine_line([(f"the {small_label} pages", small), (f"the {large_label} pages", large),
                             ("the pages in turn", large.get("in_turn") or {}), ("the recording", recording or {})])
    lines += [machine] if machine else []
    lines += ["", "| goal | measured | |", "|---|---|---|"]
    lines += [f"| {goal} | {measured} | {verdict} |" for goal, measured, verdict in goals(results)]
    lines += ["", f"Wall time {results['wall_seconds']:.0f} s."]
    return "\n".join(lines)
