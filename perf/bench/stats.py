"""Statistics of the benchmark's samples."""

import math


def percentile(values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of VALUES (0.95 for p95)."""
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator
