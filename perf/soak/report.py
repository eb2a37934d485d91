"""The soak's report: requests and p50/p95 per kind, memory, the checks, and the goals with PASS or MISS, in Markdown."""

from .config import GOAL_ERRORS, GOAL_MEMORY_GROWTH, KIND_LABELS


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def _each(memory: dict) -> str:
    return ", ".join(f"{mb:.0f}" for mb in memory["workers"].values()) + " MB"


def _verdict(passed: bool) -> str:
    return "PASS" if passed else "MISS"


def error_count(results: dict) -> int:
    """Every failed request, plus clients that stopped early or never finished, workers replaced and companions that exited."""
    return (sum(row["errors"] for row in results["labels"]) + len(results.get("clients_stuck", []))
            + len(results.get("clients_crashed", []))
            + results.get("workers_replaced", 0) + len(results.get("companions_exited", [])))


def memory_growth(results: dict) -> float | None:
    start, end = results["memory_start"]["sum_mb"], results["memory_end"]["sum_mb"]
    return None if not start else end / start - 1


def goals(results: dict) -> list[tuple[str, str, str]]:
    """Return (goal, measured, PASS/MISS) for each goal of the soak."""
    errors = error_count(results)
    growth = memory_growth(results)
    counts = results["counts"]
    kept = counts.get("recorded", 0) - counts.get("deleted", 0)
    imported = results["import"]
    agree = results["figures_agree"]
    return [
        (f"errors = {GOAL_ERRORS} (5xx, refused or dropped connections, unexpected answers)", str(errors),
         _verdict(errors <= GOAL_ERRORS)),
        (f"worker memory grows ≤ {GOAL_MEMORY_GROWTH:.0%} (sum of RSS, after warm-up → end)",
         "—" if growth is None else f"{results['memory_start']['sum_mb']:.0f} → {results['memory_end']['sum_mb']:.0f} MB "
         f"({growth:+.1%})", _verdict(growth is not None and growth <= GOAL_MEMORY_GROWTH)),
        ("/api/summary/ equals a recomputation from the events",
         ", ".join(f"{period}: {'equal' if same else 'DIFFERS' if same is False else 'not served'}"
                   for period, same in agree.items()),
         _verdict(bool(agree) and all(agree.values()))),
        ("the rollup agrees with the events (verify_rollups)", {True: "yes", False: "NO", None: "not checked"}[
            results["rollup_agrees"]], _verdict(results["rollup_agrees"] is True)),
        ("no recording lost: events left = recorded − deleted",
         f"{counts.get('recorded', 0)} recorded, {counts.get('deleted', 0)} deleted, {results['events_left']} left",
         _verdict(results["events_left"] == kept and counts.get("recorded", 0) > 0)),
        ("the ledger import completed",
         f"{imported['stored']:,} of {imported['enterprises']:,} enterprises stored"
         + ("" if imported["seconds"] is None else f" in {imported['seconds']:.1f} s"),
         _verdict(imported["imported"] and imported["stored"] == imported["enterprises"])),
    ]


def passed(results: dict) -> bool:
    return all(verdict == "PASS" for _goal, _measured, verdict in goals(results))


def report(results: dict, *, title: str = "Soak") -> str:
    """Return the report in Markdown, ready for docs/performance.md."""
    config = results["config"]
    labels = results["labels"]
    seconds = results["measured_seconds"]
    served = sum(row["requests"] for row in labels)
    lines = [
        f"### {title}",
        "",
        f"{seconds / 60:.1f} minutes measured after {config['warmup_seconds']:g} s of warm-up; gunicorn with "
        f"{config['workers']} workers, PostgreSQL, Redis for cache and sessions; {config['clients']} clients: "
        f"{config['readers']} leaders reading, {config['recorders']} officials recording, {config['photographers']} "
        f"recording with photos, {config['importers']} admin importing a {config['import_enterprises']:,}-enterprise "
        f"ledger once (then reading); pause between steps 0–{2 * config['think_seconds']:g} s"
        + (f"; beside gunicorn: {', '.join(config['companions'])}" if config["companions"] else "") + ".",
        f"{served:,} requests served ({served / seconds:.1f}/s), {error_count(results)} errors."
        + (" Wall time: {prepare_seconds:.0f} s preparing the database, {traffic_seconds:.0f} s of traffic, "
           "{checks_seconds:.0f} s of checks.".format(**results["phases"]) if "phases" in results else ""),
        "",
        "| kind | served | errors | p50 ms | p95 ms |",
        "|---|---|---|---|---|",
    ]
    order = list(KIND_LABELS)
    for kind, row in sorted(results["kinds"].items(), key=lambda item: order.index(item[0])):
        lines.append(f"| {KIND_LABELS[kind]} | {row['requests']:,} | {row['errors']} | {_ms(row['p50_ms'])} | {_ms(row['p95_ms'])} |")
    lines += [
        "",
        "| kind | request | served | errors | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|",
    ]
    for row in sorted(labels, key=lambda row: (order.index(row["kind"]), row["label"])):
        lines.append(f"| {KIND_LABELS[row['kind']]} | {row['label']} | {row['requests']:,} | {row['errors']} | "
                     f"{_ms(row['p50_ms'])} | {_ms(row['p95_ms'])} |")
    start, end = results["memory_start"], results["memory_end"]
    lines += [
        "",
        "| worker memory (RSS) | after warm-up | at the end |",
        "|---|---|---|",
        f"| sum of {len(start['workers'])} workers | {start['sum_mb']:.0f} MB | {end['sum_mb']:.0f} MB |",
        f"| largest worker | {start['max_mb']:.0f} MB | {end['max_mb']:.0f} MB |",
        f"| each worker | {_each(start)} | {_each(end)} |",
        "",
        "| goal | measured | verdict |",
        "|---|---|---|",
    ]
    lines += [f"| {goal} | {measured} | {verdict} |" for goal, measured, verdict in goals(results)]
    problems = [f"- {row['label']}: {problem} ×{count}" for row in labels for problem, count in row["error_kinds"].items()]
    problems += [f"- client did not finish: {name}" for name in results.get("clients_stuck", [])]
    problems += [f"- client stopped early: {why}" for why in results.get("clients_crashed", [])]
    problems += [f"- {why}" for why in results.get("companions_exited", [])]
    if results.get("workers_replaced"):
        problems.append(f"- {results['workers_replaced']} gunicorn workers were replaced (killed or crashed)")
    if problems:
        lines += ["", "Errors:", *problems]
    return "\n".join(lines) + "\n"
