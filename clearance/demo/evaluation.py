"""The demo's evaluation (亩均效益评价) as plain data: 2021 and 2022 figures, seeded, the same on every run."""

import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .facts import (
    CENT,
    EVALUATED_CLEARANCE_SHARE,
    EVALUATED_PER_TOWN,
    EVALUATED_TRADES,
    EVALUATION_SEED,
    EVALUATION_YEARS,
    EXEMPT_EVALUATED,
    TAX_PER_MU,
)
from .plan import DemoPlan


@dataclass
class EvaluatedPlan:
    """One evaluated enterprise of the demo and its figures per year (a year without a row is missing)."""

    town: str
    name: str
    rows: dict = field(default_factory=dict)  # year -> dict of IndicatorRow fields


def _figures(rng, *, size: str, land: Decimal, quality: float, growth: float, energy: Decimal | None = None) -> dict:
    """Plausible figures of one year for an enterprise of LAND 亩 whose returns are QUALITY times the typical."""

    def money(value: float) -> Decimal:
        return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)

    spread = rng.uniform(0.9, 1.1)
    returns = quality * growth * spread
    tax = float(land or Decimal(rng.randint(2, 8))) * TAX_PER_MU[size] * returns
    value_added = tax * rng.uniform(2.5, 4.0)
    revenue = value_added * rng.uniform(3.0, 5.0)
    efficiency = max(quality, 0.05) ** 0.5
    figures = {
        "size": size,
        "land_mu": land,
        "tax_wan": money(tax),
        "value_added_wan": money(value_added),
        "revenue_wan": money(revenue),
        "energy_tce": energy if energy is not None else money(value_added / (rng.uniform(1.0, 3.0) * efficiency)),
        "emission_t": money(value_added / (rng.uniform(80, 300) * efficiency)),
        "rd_wan": money(revenue * rng.uniform(0.0, 0.04 if size == "above" else 0.01)),
        "employees": Decimal(max(3, round(value_added / (rng.uniform(12, 30) * efficiency)))),
        "power_10k_kwh": money(tax / (rng.uniform(0.8, 3.0) * efficiency)),
        "exempt": False,
    }
    return figures


def evaluation_plan(plan: DemoPlan) -> list[EvaluatedPlan]:
    """Return the demo's evaluated enterprises with their 2021 and 2022 figures, the same on every run.

    A share of the clearance enterprises (by town and name, so that they join), mostly small and with low returns
    per 亩: many are class D or C in 2021, as in life; those closed out in 2022 have no 2022 row. Then
    EVALUATED_PER_TOWN 示例 enterprises in each town, most never in clearance: both size classes, returns spread
    around the typical, each town with a few laggards (class C or D both years: candidates for clearance), a few
    exempt, a few with no land of their own (厂中厂).
    """
    rng = random.Random(EVALUATION_SEED)
    first, second = EVALUATION_YEARS
    evaluated = []
    for enterprise in plan.enterprises:
        if rng.random() >= EVALUATED_CLEARANCE_SHARE:
            continue
        size = "above" if rng.random() < 0.2 else "below"
        land = Decimal(rng.randint(3, 40 if size == "below" else 80))
        quality = rng.uniform(0.08, 0.9)
        growth = rng.uniform(0.95, 1.1)
        energy = enterprise.annual_energy_tce
        item = EvaluatedPlan(town=enterprise.town, name=enterprise.name)
        item.rows[first] = _figures(rng, size=size, land=land, quality=quality, growth=1.0, energy=energy)
        if not enterprise.closed:
            item.rows[second] = _figures(rng, size=size, land=land, quality=quality, growth=growth, energy=energy)
        evaluated.append(item)
    number = 0
    towns = sorted({enterprise.town for enterprise in plan.enterprises} | set(EXEMPT_EVALUATED))
    for town in towns:
        for index in range(EVALUATED_PER_TOWN):
            number += 1
            size = "above" if index % 2 == 0 else "below"
            trade = EVALUATED_TRADES[number % len(EVALUATED_TRADES)]
            # The first few of each town lag behind (C or D both years); the rest spread around the typical.
            quality = rng.uniform(0.15, 0.45) if index in (2, 3, 5) else rng.lognormvariate(0.15, 0.45)
            land = Decimal(rng.randint(10, 150) if size == "above" else rng.randint(3, 40))
            if index == 7 and town in ("曹桥街道", "林埭镇", "新埭镇", "广陈镇"):
                land = Decimal(0)  # 厂中厂: no land of its own, so no 亩均 figures and no class
            item = EvaluatedPlan(town=town, name=f"示例{trade}{number:03d}有限公司")
            growth = rng.uniform(0.95, 1.15)
            for year, year_growth in ((first, 1.0), (second, growth)):
                item.rows[year] = _figures(rng, size=size, land=land, quality=quality, growth=year_growth)
            evaluated.append(item)
        if town in EXEMPT_EVALUATED:
            item = EvaluatedPlan(town=town, name=EXEMPT_EVALUATED[town])
            for year in EVALUATION_YEARS:
                item.rows[year] = {**_figures(rng, size="above", land=Decimal(rng.randint(20, 60)), quality=0.2,
                                              growth=1.0), "exempt": True}
            evaluated.append(item)
    return evaluated


def evaluated_example_name(evaluated: list[EvaluatedPlan], town: str, index: int) -> str:
    """Return the name of the INDEX-th (from 1) 示例 enterprise the evaluation plan gives TOWN."""
    names = [item.name for item in evaluated
             if item.town == town and item.name.endswith("有限公司") and item.name[-7:-4].isdigit()]
    return names[index - 1]
