"""The whole run: every size, then recording at the largest and the import at the smallest; or the recording alone."""

import json
import time
from dataclasses import replace

from django.utils import timezone
from django.utils.translation import gettext as _

from .client import HttpClient
from .cpu import machine_speed_ms
from .config import BenchConfig, BenchError
from .database import database_name, require_postgresql
from .measure import (
    figures_agree, measure_evaluation, measure_floor, measure_import, measure_pages, measure_recording,
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
        if recording is not None:
            results["recording"] = recording
        if index == 0 and config.import_enterprises:
            config.log(f"size {size}: bench_import --enterprises {config.import_enterprises}")
            results["import"] = measure_import(config)
        results["sizes"][str(size)] = size_results
        results["wall_seconds"] = time.perf_counter() - began
        config.checkpoint(results)
    return results


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
