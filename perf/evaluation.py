"""Synthetic 亩均效益评价 data for generate_scale: evaluated enterprises over its towns, two years of indicator rows."""

import math
import random

from django.utils import timezone

from clearance.bulk import BulkWriter
from clearance.choices import SizeClass
from clearance.models import Adjustment, Enterprise, EvaluatedEnterprise, IndicatorRow
from clearance.validators import CREDIT_CODE_ALPHABET, credit_code_check_character

from .campaign import CHUNK, FORMS, PLACES, TRADES, EvaluationReport, ProgressCallback

MAX_EVALUATED = 10_000_000
# Names of enterprises only the evaluation knows take other forms than the campaign's, so no name is both.
EVALUATED_FORMS = ("科技有限公司", "实业有限公司", "制品有限公司", "股份有限公司")
assert not set(EVALUATED_FORMS) & set(FORMS)
# Of a town's evaluated enterprises, the share that are clearance enterprises of the town, and of those the share
# joined by credit code (the code is given to both); the rest are joined by town and name.
JOINED_SHARE = 0.05
JOINED_BY_CODE_SHARE = 0.5
# Enterprises with no credit code in the sheet (found by town and name alone).
WITHOUT_CODE_SHARE = 0.1
ABOVE_SHARE = 0.4
EXEMPT_SHARE = 0.02
NO_LAND_SHARE = 0.01
MISSING_SHARE = 0.03  # each figure but the land, missing from the sheet
NEGATIVE_TAX_SHARE = 0.005  # refunds above the tax paid
ADJUSTED_SHARE = 0.002  # an adjustment (加分 or 减分) in a year
ADJUSTMENTS = ((5, "高新技术企业"), (3, "省级专精特新企业"), (-10, "安全生产事故"), (-5, "环保违法处罚"))
# The evaluation years: the two before this one (last year's evaluation is published this year).
YEARS_BACK = (2, 1)

EVALUATED_COLUMNS = ("id", "town_id", "name", "credit_code", "clearance_enterprise_id", "version")
ROW_COLUMNS = (
    "enterprise_id", "town_id", "enterprise_name", "year", "size", "land_mu", "tax_wan", "value_added_wan",
    "revenue_wan", "energy_tce", "emission_t", "rd_wan", "employees", "power_10k_kwh", "exempt",
    "score_tax_per_mu", "score_value_added_per_mu", "score_value_added_per_energy", "score_value_added_per_emission",
    "score_rd_intensity_pct", "score_labour_productivity", "score_tax_per_power",
    "total", "position", "graded_count", "grade", "previous_grade", "in_clearance", "version",
)
# The scores are written by scores_recompute; a new row has none.
UNSCORED = (None,) * 7 + (None, None, None, "", "", False, 1)  # in clearance: relinked once all is written
ADJUSTMENT_COLUMNS = ("id", "enterprise_id", "year", "points", "reason", "created_by_id", "created_at")


def credit_code(seed: int, number: int) -> str:
    """Return a valid unified social credit code for evaluated enterprise NUMBER of SEED, never another's."""
    value = seed * MAX_EVALUATED + number
    body = []
    for _place in range(11):  # 31**11 > (2**31) * MAX_EVALUATED: every (seed, number) has a code of its own
        value, digit = divmod(value, 31)
        body.append(CREDIT_CODE_ALPHABET[digit])
    first17 = "913304" + "".join(reversed(body))
    return first17 + credit_code_check_character(first17)


def _figure(value: float | None) -> str | None:
    """A figure as the sheet gives it, to two decimals (text: COPY takes it as is, the ORM as a Decimal)."""
    return None if value is None else f"{value:.2f}"


class Evaluation:
    """Generates the evaluated enterprises of each town and their rows, handing them to the writer a chunk at a time."""

    def __init__(self, rng: random.Random, *, seed: int, writer: BulkWriter, years: tuple[int, ...], chunk: int = CHUNK,
                 user_id: int | None = None, progress: ProgressCallback | None = None, total: int = 0):
        self.rng, self.seed, self.writer, self.years, self.chunk = rng, seed, writer, years, chunk
        self.user_id, self.progress, self.total = user_id, progress, total
        self.report = EvaluationReport(years=years)
        self.enterprises: list[tuple] = []
        self.rows: list[tuple] = []
        self.adjustments: list[tuple] = []
        self.coded: list[Enterprise] = []  # clearance enterprises given the code of their evaluated self
        self.number = 0
        self.now = timezone.now()

    def town(self, town_id: int, quota: int) -> None:
        """Add QUOTA evaluated enterprises to TOWN_ID: a share of them the town's clearance enterprises."""
        rng = self.rng
        self.writer.wait()  # the connection is the background COPY's until then
        ledger = list(Enterprise.objects.filter(town_id=town_id).order_by("pk").values_list("pk", "name"))
        joined = rng.sample(ledger, min(len(ledger), round(quota * JOINED_SHARE)))
        for index in range(quota):
            self.number += 1
            code = credit_code(self.seed, self.number) if rng.random() >= WITHOUT_CODE_SHARE else None
            if index < len(joined):
                pk, name = joined[index]
                if code is not None and rng.random() < JOINED_BY_CODE_SHARE:
                    self.coded.append(Enterprise(pk=pk, credit_code=code))
                    self.report.joined_by_code += 1
                else:
                    code = None
                    self.report.joined_by_name += 1
            else:
                name = f"{rng.choice(PLACES)}{rng.choice(TRADES)}{rng.choice(EVALUATED_FORMS)}{self.number:07d}"
            self._enterprise(town_id, name, code)
            if len(self.enterprises) >= self.chunk:
                self.flush()

    def _enterprise(self, town_id: int, name: str, code: str | None) -> None:
        rng = self.rng
        enterprise_id = self.writer.next_id(EvaluatedEnterprise)
        self.enterprises.append((enterprise_id, town_id, name, code, None, 1))  # linked once all is written
        above = rng.random() < ABOVE_SHARE
        size = SizeClass.ABOVE.value if above else SizeClass.BELOW.value
        exempt = rng.random() < EXEMPT_SHARE
        no_land = rng.random() < NO_LAND_SHARE
        land = 0.0 if no_land else rng.lognormvariate(math.log(40 if above else 8), 0.7)
        # How well the enterprise does, the same from year to year give or take a little: classes C and D recur.
        quality = rng.lognormvariate(0, 0.6)
        tax_per_mu = (10 if above else 5) * quality
        ratios = (rng.lognormvariate(math.log(4), 0.4), rng.lognormvariate(math.log(4), 0.3),
                  rng.lognormvariate(math.log(2), 0.5), rng.lognormvariate(math.log(0.05), 0.5),
                  rng.uniform(0, 0.05), rng.lognormvariate(math.log(15), 0.4), rng.lognormvariate(math.log(0.5), 0.5))
        for year in self.years:
            drift = rng.lognormvariate(0, 0.15)
            tax = max(land, 1.0) * tax_per_mu * drift
            if rng.random() < NEGATIVE_TAX_SHARE:
                tax = -tax / 10
            value_added = abs(tax) * ratios[0]
            revenue = value_added * ratios[1]
            figures = [tax, value_added, revenue, value_added / ratios[2], value_added / ratios[2] * ratios[3],
                       revenue * ratios[4], max(1, round(value_added / ratios[5])), abs(tax) / ratios[6]]
            figures = [None if rng.random() < MISSING_SHARE else _figure(value) for value in figures]
            self.rows.append((enterprise_id, town_id, name, year, size, _figure(land), *figures, exempt, *UNSCORED))
            if rng.random() < ADJUSTED_SHARE:
                points, reason = rng.choice(ADJUSTMENTS)
                self.adjustments.append((self.writer.next_id(Adjustment), enterprise_id, year, str(points), reason,
                                         self.user_id, self.now))

    def flush(self) -> None:
        """Hand the rows generated so far to the writer and start afresh."""
        self.writer.create_rows((EvaluatedEnterprise, EVALUATED_COLUMNS, self.enterprises),
                                (IndicatorRow, ROW_COLUMNS, self.rows), (Adjustment, ADJUSTMENT_COLUMNS, self.adjustments),
                                in_background=True)
        self.report.evaluated += len(self.enterprises)
        self.report.indicator_rows += len(self.rows)
        self.report.adjustments += len(self.adjustments)
        self.enterprises, self.rows, self.adjustments = [], [], []
        if self.progress is not None:
            self.progress(self.report.evaluated, self.total, self.report.rows)

    def finish(self) -> None:
        """Write what is left, and the credit codes of the clearance enterprises joined by code."""
        self.flush()
        self.writer.wait()
        Enterprise.objects.bulk_update(self.coded, ["credit_code"], batch_size=1000)
