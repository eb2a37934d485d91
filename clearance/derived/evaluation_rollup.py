"""The towns' evaluation figures (EvaluationTownFigure): per town and year, the classes, the land and energy of
classes C and D, the candidates and the sums behind 亩均, kept in step with the indicator rows.

Why: the dashboard shows every town's evaluation of two years, and a town's evaluation page its own. Aggregating
a year's rows is a scan of a million rows at province scale (seconds); a row per town and year is a hundred.

How it stays exact: the figures are aggregates of a town's rows of a year (selectors.evaluation.class_aggregates,
the one definition). The writes that move them end in refresh(year, towns), in the same transaction:
  - derived.scores.recompute, after every write of figures, classes or adjustments (each service scores the year
    again; the import and generate_scale too), for the year and, where classes moved, the next year (its
    candidates look at the class the year before);
  - derived.evaluation_links.relink, for the years and towns whose rows it marks in clearance or out;
  - an evaluated enterprise moved to another town (services.evaluation), for both towns.
refresh() locks the towns' rows of the year first, so two writers take turns and the second recomputes after
the first commits. differences() recomputes everything and lists any disagreement; `verify_rollups` reports it.
"""

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction

from ..models import EvaluationTownFigure, IndicatorRow, Town
from ..selectors.evaluation import class_aggregates

FIGURES = EvaluationTownFigure.FIGURES


def _stored_form(values: dict) -> dict:
    """Aggregates as the table keeps them: no row of a kind is 0, except the money and its land (None)."""
    return {name: (0 if values[name] is None and name not in EvaluationTownFigure.MAY_BE_NONE else values[name])
            for name in FIGURES}


def computed(*, year: int | None = None, town_ids: Iterable[int] | None = None) -> dict[tuple[int, int], dict]:
    """Return the figures of the indicator rows per (year, town): of YEAR and TOWN_IDS where given (one query)."""
    rows = IndicatorRow.objects.order_by()
    if year is not None:
        rows = rows.filter(year=year)
    if town_ids is not None:
        rows = rows.filter(town_id__in=town_ids)
    return {(values.pop("year"), values.pop("town")): _stored_form(values)
            for values in rows.values("year", "town").annotate(**class_aggregates())}


@transaction.atomic
def refresh(*, year: int, town_ids: Iterable[int] | None = None) -> None:
    """Recompute YEAR's figures of TOWN_IDS (every town when None) from the indicator rows, in the caller's
    transaction; write only the towns whose figures changed."""
    towns = sorted(set(Town.objects.values_list("pk", flat=True) if town_ids is None else town_ids))
    if not towns:
        return
    # A row for each town, then the rows locked in town order: a writer of the same figures waits here until the
    # other commits, and its aggregate below then sees what the other wrote.
    EvaluationTownFigure.objects.bulk_create([EvaluationTownFigure(town_id=town, year=year) for town in towns],
                                             ignore_conflicts=True)
    stored = {figure.town_id: figure for figure in
              EvaluationTownFigure.objects.select_for_update().filter(year=year, town_id__in=towns).order_by("town_id")}
    fresh = computed(year=year, town_ids=towns)
    empty = _stored_form(dict.fromkeys(FIGURES))
    changed = []
    for town, figure in stored.items():
        values = fresh.get((year, town), empty)
        if any(_differs(getattr(figure, name), values[name]) for name in FIGURES):
            for name in FIGURES:
                setattr(figure, name, values[name])
            changed.append(figure)
    if changed:
        EvaluationTownFigure.objects.bulk_update(changed, FIGURES, batch_size=500)


def _differs(stored, fresh) -> bool:
    if stored is None or fresh is None:
        return stored is not fresh
    return Decimal(stored) != Decimal(fresh)


@transaction.atomic
def rebuild() -> None:
    """Recompute every town's figures of every year from the indicator rows (verify_rollups --repair)."""
    EvaluationTownFigure.objects.all().delete()
    EvaluationTownFigure.objects.bulk_create(
        [EvaluationTownFigure(year=year, town_id=town, **values) for (year, town), values in computed().items()],
        batch_size=2000,
    )


def differences() -> list[dict]:
    """Compare the stored figures with a recomputation from every indicator row; one entry per differing figure."""
    expected = computed()
    empty = _stored_form(dict.fromkeys(FIGURES))
    stored = {(figure.year, figure.town_id): {name: getattr(figure, name) for name in FIGURES}
              for figure in EvaluationTownFigure.objects.all()}
    found = []
    for key in sorted(expected.keys() | stored.keys()):
        want, have = expected.get(key, empty), stored.get(key, empty)
        for name in FIGURES:
            if _differs(have[name], want[name]):
                found.append({"year": key[0], "town_id": key[1], "figure": name, "stored": have[name],
                              "rows": want[name]})
    return found
