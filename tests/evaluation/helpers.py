"""A small evaluated town for the admin pages' tests: four enterprises 规下 of 2022, scored on paper."""

from decimal import Decimal

from clearance.choices import SizeClass
from clearance.services.evaluation import evaluated_enterprise_upsert, indicator_row_upsert, scores_recompute


def four_below(town, year: int = 2022) -> dict:
    """Four enterprises 规下 with 10 mu each; return their rows by name, scored with the default scheme.

    tax per mu:    甲 10   乙 5   丙 2   丁 1     mean 4.5
    tax per power: 甲 1    乙 5   丙 1   丁 1     mean 2
    Default weights 50 + 50, cap 1.5: 乙 55.56 + 75 = 130.56, 甲 75 + 25 = 100, 丙 22.22 + 25 = 47.22,
    丁 11.11 + 25 = 36.11. Positions 1–4 of 4: 乙 and 甲 B (0.25, 0.5 ≤ 0.70), 丙 C (0.75), 丁 D (1.0).
    """
    figures = {"甲": ("100", "100"), "乙": ("50", "10"), "丙": ("20", "20"), "丁": ("10", "10")}
    rows = {}
    for name, (tax, power) in figures.items():
        enterprise = evaluated_enterprise_upsert(town=town, name=name)
        rows[name] = indicator_row_upsert(
            enterprise=enterprise, year=year, size=SizeClass.BELOW, rescore=False,
            land_mu=Decimal("10"), tax_wan=Decimal(tax), power_10k_kwh=Decimal(power),
        )
    scores_recompute(year=year)
    for row in rows.values():
        row.refresh_from_db()
    return rows


def grades(rows: dict) -> dict:
    for row in rows.values():
        row.refresh_from_db()
    return {name: row.grade for name, row in rows.items()}
