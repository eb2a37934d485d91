"""The whole run: every size, then recording at the largest and the import at the smallest; or the recording alone."""

import json
import time
from dataclasses import replace

from django.utils import timezone
from django.utils.translation import gettext as _

from .client import HttpClient
from .cpu import machine_speed_ms
from .config import IN_TURN_ROUNDS, PAGES, BenchConfig, BenchError
from .database import database_name, drop_database, recreate_database, require_postgresql, with_database
from .measure import (
    figures_agree, measure_evaluation, measure_floor, measure_import, measure_in_turn, measure_pages, measure_recording,
    page_path,
)
from .prepare import database_counts, generate, pick_subjects, prepare_base
from .server import GunicornServer


def bench(config: BenchConfig) -> dict:
    """Measure every size of CONFIG.sizes, then recording at the largest; return the raw results."""
    if len(config.sizes) != 2 or not 0 < config.sizes[0] < config.sizes[1]:
        raise BenchError(_("Give two sizes, the smaller first."))
    require_postgresql(config.database_url, _("The benchmark runs on PostgreSQL: give --database-url postgres://…"))
    began = time.perf_counter()
    results = {"config": {"sizes": list(config.sizes), "towns": config.towns, "requests": config.requests,
                          "warmup": config.warmup, "clients": config.clients, "workers": config.workers,
                          "record_seconds": config.record_seconds, "database": database_name(config.database_url),
                          "cache": "redis" if config.redis_url else "local memory"},
               "sizes": {}}
    prepare_base(config)
    # Both sizes as of the current month, as leaders open the dashboard; generate_scale dates events up to today.
    today = timezone.localdate()
    year, month = today.year, today.month
    # The small size is kept in a copy while the large is generated, so that the flat pages can be measured at both
    # sizes in turn (measure_in_turn).
    small_copy = with_database(config.database_url, database_name(config.database_url) + "_small")
    try:
        _measure_sizes(config, results, small_copy, year, month, began)
    finally:
        drop_database(small_copy)
    return results


def _measure_sizes(config: BenchConfig, results: dict, small_copy: str, year: int, month: int, began: float) -> None:
    for index, size in enumerate(config.sizes):
        is_largest = index == len(config.sizes) - 1
        generation = generate(config, size)
        counts = database_counts(config.database_url)
        subjects = pick_subjects(config.database_url)
        config.log(f"size {size}: {counts}; starting gunicorn on port {config.port}")
        with GunicornServer(config.database_url, config.port, config.workers, config.redis_url) as server:
            client = HttpClient(config.port)
            client.sign_in("admin")
            machine_ms = machine_speed_ms()
            pages = measure_pages(client, config, subjects, year, month, log_prefix=f"size {size}: ")
            floor = measure_floor(config.database_url, year, month, warmup=config.warmup, requests=config.requests)
            served = client.get(f"/api/summary/?year={year}&month={month}")
            agree = figures_agree(floor, json.loads(served.body)) if served.status == 200 else None
            in_turn = None
            if index > 0:
                config.log(f"size {size}: the flat pages at both sizes in turn, {IN_TURN_ROUNDS} rounds")
                small_subjects = results["sizes"][str(config.sizes[0])]["subjects"]
                in_turn = _in_turn(config, client, small_copy, small_subjects, subjects, year, month)
            evaluation = None
            if config.evaluation:
                config.log(f"size {size}: the evaluation's recompute and a town's evaluation reads")
                evaluation = measure_evaluation(config)
            recording = None
            if is_largest:
                config.log(f"size {size}: {config.clients} clients recording for {config.record_seconds:g} s")
                recording = {"machine_ms": machine_speed_ms(), **measure_recording(config, server)}
            peak_mb = server.peak_worker_mb()
        size_results = {"generation": generation, "counts": counts, "subjects": subjects, "period": [year, month],
                        "pages": pages, "floor": floor, "figures_agree": agree, "evaluation": evaluation,
                        "worker_peak_mb": peak_mb, "machine_ms": machine_ms}
        if in_turn is not None:
            size_results["in_turn"] = in_turn
        if index == 0:
            # gunicorn has stopped: nothing is connected to the database, which a copy needs.
            recreate_database(small_copy, template=database_name(config.database_url))
        if recording is not None:
            results["recording"] = recording
        if index == 0 and config.import_enterprises:
            config.log(f"size {size}: bench_import --enterprises {config.import_enterprises}")
            results["import"] = measure_import(config)
        results["sizes"][str(size)] = size_results
        results["wall_seconds"] = time.perf_counter() - began
        config.checkpoint(results)


def _in_turn(config: BenchConfig, large: HttpClient, small_url: str, small_subjects: dict, large_subjects: dict,
             year: int, month: int) -> dict:
    """Serve the small size's copy beside the large size's server and measure the flat pages (those judged on
    large ÷ small) at both in turn; return the machine's pace before and each page's figures."""
    period = f"year={year}&month={month}"
    paths = {}
    for page in PAGES:
        both = (page_path(page, small_subjects, period), page_path(page, large_subjects, period))
        if page.flat and None not in both:
            paths[page.key] = both
    # Its own cache prefix: the two servers share the cache server.
    with GunicornServer(small_url, config.port + 1, config.workers, config.redis_url,
                        environment={"CACHE_KEY_PREFIX": "bench-small"}):
        small = HttpClient(config.port + 1)
        small.sign_in("admin")
        return {"machine_ms": machine_speed_ms(),
                "pages": measure_in_turn(config, small, large, paths, rounds=IN_TURN_ROUNDS)}


def bench_recording(config: BenchConfig) -> dict:
    """Measure only the concurrent recording, at each of CONFIG.sizes (one is enough); return the raw results.

    The part to repeat while working on the write path: the base database is built
    (or reused with reuse_base), SIZE enterprises generated without the evaluation,
    then CONFIG.clients record against gunicorn; a minute or two at 5,000.
    """
    if not config.sizes or any(size <= 0 for size in config.sizes):
        raise BenchError(_("Give at least one size above 0."))
    require_postgresql(config.database_url, _("The benchmark runs on PostgreSQL: give --database-url postgres://…"))
    began = time.perf_counter()
    results = {"config": {"only": "recording", "sizes": list(config.sizes), "towns": config.towns,
                          "clients": config.clients, "workers": config.workers, "record_seconds": config.record_seconds,
                          "database": database_name(config.database_url),
                          "cache": "redis" if config.redis_url else "local memory"},
               "recordings": {}}
    prepare_base(config)
    for size in config.sizes:
        generation = generate(replace(config, evaluation=False), size)
        counts = database_counts(config.database_url)
        config.log(f"size {size}: {counts}; {config.clients} clients recording for {config.record_seconds:g} s "
                   f"against gunicorn on port {config.port}")
        with GunicornServer(config.database_url, config.port, config.workers, config.redis_url) as server:
            recording = {"machine_ms": machine_speed_ms(), **measure_recording(config, server)}
        results["recordings"][str(size)] = {"generation": generation, "counts": counts, **recording}
        results["wall_seconds"] = time.perf_counter() - began
        config.checkpoint(results)
    return results
