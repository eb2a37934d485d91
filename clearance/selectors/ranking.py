"""The ranking maths: completion, 序时进度, lights and shared ranks, exact as fractions; the summary's shapes."""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from math import lcm
from operator import itemgetter
from typing import Any

from django.conf import settings


LIGHT_GREEN, LIGHT_YELLOW, LIGHT_RED = "green", "yellow", "red"


def round_half_up(value: Fraction | None, places: int = 1) -> float | None:
    """Round an exact value to PLACES (≥ 0) decimals for display the way reports do (四舍五入: halves away from
    zero); None stays None.

    In whole numbers, exactly: dividing as Decimals cost more the larger the fraction's terms, and a ranking of a
    hundred towns at a million enterprises has large ones (and the division rounded to 28 digits first)."""
    if value is None:
        return None
    numerator, denominator = value.numerator, value.denominator
    scale = 10**places
    quotient, remainder = divmod(abs(numerator) * scale, denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    # A whole number over a power of ten is the float nearest the exact decimal, as float(Decimal) gives it.
    return (quotient if numerator >= 0 else -quotient) / scale


def time_progress(month: int) -> Fraction:
    """Return 序时进度 for the as-of MONTH: month ÷ 12 × 100, exact."""
    return Fraction(month * 100, 12)


def completion(actual: Decimal | int, target: Decimal | None) -> Fraction | None:
    """Return actual ÷ target × 100 exactly; None when there is no target or it is 0."""
    if target is None or target == 0:
        return None
    # One Fraction from two exact integer ratios: a page computes hundreds of these.
    actual_numerator, actual_denominator = actual.as_integer_ratio()
    target_numerator, target_denominator = target.as_integer_ratio()
    return Fraction(100 * actual_numerator * target_denominator, actual_denominator * target_numerator)


def light(completion_value: Fraction | None, progress: Fraction) -> str | None:
    """Green at or above time progress, yellow within the band below it, red further behind; None without a target."""
    if completion_value is None:
        return None
    if completion_value >= progress:
        return LIGHT_GREEN
    return LIGHT_YELLOW if completion_value >= progress - yellow_band() else LIGHT_RED


def yellow_band() -> Fraction:
    """The yellow band below time progress, in points, exactly as the setting writes it."""
    return Fraction(str(settings.CLEARANCE_YELLOW_BAND_POINTS))


def light_judge(progress: Fraction) -> Callable[[Fraction | None], str | None]:
    """Return completion -> its light against PROGRESS, as light() gives it, with the band's edge worked out once."""
    yellow_from = progress - yellow_band()
    # Compared as whole numbers (a/b ≥ c/d ⇔ a·d ≥ c·b, denominators positive): Fraction's own comparison checks
    # the other operand's type through the numbers ABCs each time, a hundred towns times three metrics a page.
    green_numerator, green_denominator = progress.numerator, progress.denominator
    yellow_numerator, yellow_denominator = yellow_from.numerator, yellow_from.denominator

    def judge(completion_value: Fraction | None) -> str | None:
        if completion_value is None:
            return None
        numerator, denominator = completion_value.numerator, completion_value.denominator
        if numerator * green_denominator >= green_numerator * denominator:
            return LIGHT_GREEN
        return LIGHT_YELLOW if numerator * yellow_denominator >= yellow_numerator * denominator else LIGHT_RED

    return judge


def exact_mean(values: list[Fraction]) -> Fraction | None:
    """The mean of VALUES exactly (None for none): over their common denominator, one reduction rather than one per
    addition (a score is the mean of a town's completions, a hundred towns a ranking)."""
    if not values:
        return None
    denominator = lcm(*(value.denominator for value in values))
    numerator = sum(value.numerator * (denominator // value.denominator) for value in values)
    return Fraction(numerator, denominator * len(values))


def competition_ranks(values: dict[Any, Fraction | None]) -> dict[Any, int | None]:
    """Rank KEYS by value, highest first; equal values share a rank (1, 2, 2, 4); None is unranked."""
    ranks = dict.fromkeys(values)
    present = [(value, key) for key, value in values.items() if value is not None]
    if not present:
        return ranks
    # Over a common denominator the fractions are whole numbers, ordered and compared exactly as they are, and
    # sorting whole numbers costs a fraction of comparing fractions one pair at a time.
    common = lcm(*(value.denominator for value, _key in present))
    ranked = sorted(((value.numerator * (common // value.denominator), key) for value, key in present),
                    key=itemgetter(0), reverse=True)
    rank, before = 0, None
    for position, (value, key) in enumerate(ranked, start=1):
        # Sorted, equal values are neighbours: comparing with the one before is enough.
        if position == 1 or value != before:
            rank, before = position, value
        ranks[key] = rank
    return ranks


@dataclass
class MetricFigure:
    """One metric of one scope: actual, target, exact completion, light and (where ranked) rank."""

    metric: str
    actual: Decimal | int
    target: Decimal | None
    completion: Fraction | None
    light: str | None
    rank: int | None = None

    @cached_property
    def completion_pct(self) -> float | None:
        # Read by several tables and charts of a page; the completion is fixed once the figure is made.
        return round_half_up(self.completion)


@dataclass
class ScopeSummary:
    """The figures of the city, a town or a county against its targets."""

    name: str
    metrics: dict[str, MetricFigure]
    signed: int | None = None
    vacated: int | None = None
    pk: int | None = None
    score: Fraction | None = None
    rank: int | None = None

    @property
    def score_pct(self) -> float | None:
        return round_half_up(self.score)


@dataclass
class AsOfMonth:
    """Figures as of the end of a month of a year, with the year's time elapsed by then (序时进度)."""

    year: int
    month: int
    time_progress: Fraction

    @property
    def time_progress_pct(self) -> float:
        return round_half_up(self.time_progress)


@dataclass
class CampaignSummary(AsOfMonth):
    """Everything the dashboard and /api/summary/ show for one as-of month."""

    city: ScopeSummary
    towns: list[ScopeSummary] = field(default_factory=list)
    counties: list[ScopeSummary] = field(default_factory=list)
    # Each town's overall rank at the end of the month before (by town id), where asked for; None in January.
    previous_ranks: dict[int, int | None] | None = None


@dataclass
class TownRanking(AsOfMonth):
    """The towns ranked as of a month, without the city's figures and the counties': what a town's page shows."""

    towns: list[ScopeSummary] = field(default_factory=list)


def rank_change(*, rank: int | None, previous: int | None) -> int | None:
    """Return the places climbed since the previous ranking (negative: fallen); None unless ranked both times."""
    if rank is None or previous is None:
        return None
    return previous - rank


def completion_gap(figure: MetricFigure, progress: Fraction) -> Fraction | None:
    """Return completion minus 序时进度 in percentage points, exactly (negative: behind time); None without a target."""
    return None if figure.completion is None else figure.completion - progress
