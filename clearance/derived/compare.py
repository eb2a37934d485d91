"""Comparing a rollup's stored rows with a recomputation, for the rollups' differences() and `verify_rollups`."""

from collections.abc import Iterable
from decimal import Decimal


def differing(expected: dict[tuple, dict], stored: dict[tuple, dict], *, keys: Iterable[str], empty: dict,
              names: tuple[str, ...], source: str) -> list[dict]:
    """One entry per figure of KEYS that differs between EXPECTED and STORED (bucket → figures; a bucket missing on
    one side is EMPTY there): the bucket by NAMES (month None for a year's row), the figure, the stored value under
    "rollup" and the recomputed one under SOURCE."""
    found = []
    for bucket in sorted(expected.keys() | stored.keys()):
        want, have = expected.get(bucket, empty), stored.get(bucket, empty)
        for key in keys:
            if Decimal(want.get(key, 0)) != Decimal(have.get(key, 0)):
                found.append({"month": None, **dict(zip(names, bucket)), "figure": key,
                              "rollup": have.get(key, 0), source: want.get(key, 0)})
    return found
