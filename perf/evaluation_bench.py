"""The evaluation at scale, timed in the database it runs on: recomputing a year's scores, and a town's reads."""

import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal

from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext, override_settings

from clearance.background import task_backends
from clearance.selectors import evaluation as evaluation_selectors
from clearance.choices import Indicator, SizeClass
from clearance.models import EvaluatedEnterprise, IndicatorRow, Scheme, Town
from clearance.services.evaluation import (
    adjustment_add, adjustment_delete, scheme_ensure, scheme_update, scores_recompute, scoring_run,
)

PAGE_SIZE = 50  # a page of the evaluation's tables
# The scoring timed in this process, whatever the size: what the task worker takes above the threshold.
SCORED_HERE = override_settings(CLEARANCE_SCORING_IN_REQUEST_MAX_ROWS=sys.maxsize)
# Every change's scoring queued, the task kept here to run after the request's part is timed.
QUEUED = override_settings(CLEARANCE_SCORING_IN_REQUEST_MAX_ROWS=-1,
                           TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}})


class EvaluationBenchError(RuntimeError):
    """Nothing to measure: the database has no evaluation data."""


def _timed(action: Callable[[], object]) -> tuple[float, int]:
    """Run ACTION; return its seconds and the queries it sent."""
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        action()
        seconds = time.perf_counter() - started
    return seconds, len(queries.captured_queries)


def subject_town(year: int) -> Town:
    """Return the town with the most indicator rows in YEAR (the heaviest town page)."""
    found = (IndicatorRow.objects.filter(year=year).values("enterprise__town").annotate(n=Count("pk"))
             .order_by("-n", "enterprise__town")[:1])
    if not found:
        raise EvaluationBenchError(f"no indicator rows in {year}")
    return Town.objects.get(pk=found[0]["enterprise__town"])


def _weights(scheme: Scheme, change: Decimal) -> dict[str, tuple[Decimal, Decimal | None]]:
    """SCHEME's weights with tax per mu's moved by CHANGE: every total of the size class moves."""
    weights = {weight.indicator: (weight.weight, weight.fixed_benchmark) for weight in scheme.weights.all()}
    weight, benchmark = weights[Indicator.TAX_PER_MU]
    weights[Indicator.TAX_PER_MU] = (weight + change, benchmark)
    return weights


def measure_recompute(year: int, *, user=None) -> dict:
    """Time recomputing YEAR's scores, both size classes, as the pages cause it; leave the scores as they were.

    The scoring itself, in this process (above CLEARANCE_SCORING_IN_REQUEST_MAX_ROWS the task worker runs it):
    - full: a weight of each size class's scheme changed (every row's score moves), then changed back: the
      median of the two, each committed (as a page saves it);
    - unchanged: scores_recompute with nothing changed;
    - adjustment: 加分 for one enterprise, then its removal: the median of the two.
    And queued_request: the request's part of an adjustment whose scoring is queued (then scored, and removed).
    """
    with SCORED_HERE:
        result = _measure_scoring(year, user=user)
    enterprise = _adjusted_enterprise(year)
    if enterprise is not None:
        with QUEUED:
            box = {}
            result["queued_request_seconds"] = _timed(lambda: box.update(made=adjustment_add(
                enterprise=enterprise, year=year, points=Decimal("5"), reason="基准测试", user=user)))[0]
            backend = task_backends["default"]
            for task in backend.results:
                scoring_run(scheme_id=task.args[0])
            backend.clear()
        with SCORED_HERE:
            adjustment_delete(adjustment=box["made"], user=user)
    return result


def _adjusted_enterprise(year: int) -> EvaluatedEnterprise | None:
    """The enterprise the bench adjusts: the first of class C in YEAR."""
    return EvaluatedEnterprise.objects.filter(indicator_rows__year=year, indicator_rows__grade="C").order_by("pk").first()


def _measure_scoring(year: int, *, user) -> dict:
    full = []
    for change in (Decimal("1"), Decimal("-1")):
        seconds = 0.0
        for size in SizeClass.values:
            if not IndicatorRow.objects.filter(year=year, size=size).exists():
                continue
            scheme = scheme_ensure(year=year, size=size, user=user)
            seconds += _timed(lambda: scheme_update(scheme=scheme, expected_version=scheme.version, user=user,
                                                    weights=_weights(scheme, change)))[0]
        full.append(seconds)
    unchanged = _timed(lambda: scores_recompute(year=year))[0]
    enterprise = _adjusted_enterprise(year)
    adjusted = []
    if enterprise is not None:
        box = {}
        adjusted.append(_timed(lambda: box.update(made=adjustment_add(
            enterprise=enterprise, year=year, points=Decimal("5"), reason="基准测试", user=user)))[0])
        adjusted.append(_timed(lambda: adjustment_delete(adjustment=box["made"], user=user))[0])
    graded = IndicatorRow.objects.filter(year=year).exclude(grade="").count()
    return {
        "year": year,
        "rows": IndicatorRow.objects.filter(year=year).count(),
        "graded": graded,
        "full_seconds": statistics.median(full),
        "full_samples": full,
        "unchanged_seconds": unchanged,
        "adjustment_seconds": statistics.median(adjusted) if adjusted else None,
        "queued_request_seconds": None,
    }


def measure_reads(year: int, town: Town, *, repeat: int = 20, warmup: int = 2) -> dict:
    """Time what a town's evaluation page reads, REPEAT times each after WARMUP: median and largest ms, queries."""
    reads = {
        "rows_first_page": lambda: list(evaluation_selectors.evaluation_rows(year, town=town)[:PAGE_SIZE]),
        "rows_count": lambda: evaluation_selectors.evaluation_rows(year, town=town).count(),
        "town_classes": lambda: evaluation_selectors.town_classes(year, town),
        "candidates_first_page": lambda: list(evaluation_selectors.candidates(year, town=town)[:PAGE_SIZE]),
    }
    results = {}
    for key, read in reads.items():
        samples, queries = [], set()
        for attempt in range(warmup + repeat):
            seconds, count = _timed(read)
            if attempt >= warmup:
                samples.append(seconds * 1000)
                queries.add(count)
        results[key] = {"median_ms": statistics.median(samples), "max_ms": max(samples), "queries": max(queries)}
    results["total_median_ms"] = sum(each["median_ms"] for each in results.values())
    return results


def measure_evaluation(*, repeat: int = 20, user=None) -> dict:
    """Time the latest evaluated year's recompute and the reads of its biggest town's page."""
    year = evaluation_selectors.latest_evaluated_year()
    if year is None:
        raise EvaluationBenchError("no indicator rows")
    town = subject_town(year)
    town_rows = IndicatorRow.objects.filter(year=year, enterprise__town=town).count()
    return {
        "year": year,
        "town": town.pk,
        "town_rows": town_rows,
        "evaluated": EvaluatedEnterprise.objects.count(),
        "reads": measure_reads(year, town, repeat=repeat),
        "recompute": measure_recompute(year, user=user),
    }
