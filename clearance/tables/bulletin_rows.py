"""The body rows of the bulletin's per-town and per-county tables (the ranking, the counties, 换鸟, the register),
built in one pass, each number formatted once.

Why: the bulletin lists every town (a hundred at province scale) in three tables and Jiaxing's counties in a fourth,
with a 更正 beside any figure corrected since its month was published. Through the template language each cell was an
include or two and a filter through the locale machinery: most of the page's time. The markup is the templates'
own (the shared pieces stay templates where the city's rows use them: _bulletin_correction.html,
_dashboard_light.html); tests/views/test_bulletin_rows.py reads the tables as users see them.
"""

from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from ..formatting import number_formatter
from .one_pass import html_text
from .ranking import LIGHT_LABELS
from .town_rows import DASH, rows_html


class _Cells:
    """What every cell of the bulletin's tables is made of, worked out once per page: the active language's number
    formats, the lights and the 更正 mark."""

    def __init__(self):
        self.count = number_formatter(0)
        self.amount = number_formatter(2, grouped=True)
        self.percent = number_formatter(1)
        self.lights = {
            light: f'<span class="light light-{light}" data-light="{light}">{conditional_escape(label)}</span>'
            for light, label in LIGHT_LABELS.items()
        }
        no_target = conditional_escape(gettext("No target"))
        self.no_target = f'<span class="text-secondary small" data-light="">{no_target}</span>'
        self.corrected_badge = (
            '<br><span class="small text-danger" data-correction>'
            f'<span class="badge text-bg-warning">{conditional_escape(gettext("Corrected"))}</span> '
        )

    def number(self, value, is_count: bool) -> str:
        """A figure as _bulletin_number.html shows it: a count without decimals, an area or energy with two."""
        return self.count(value) if is_count else self.amount(value)

    def pct(self, value) -> str:
        """A completion as _bulletin_pct.html shows it: to one decimal, or — without a target."""
        return DASH if value is None else f"{self.percent(value)}%"

    def light(self, light) -> str:
        """A light as _dashboard_light.html shows it."""
        return self.lights.get(light, self.no_target)

    def correction(self, shown: str) -> str:
        """Today's figure beside a published one corrected since, as _bulletin_correction.html shows it."""
        return f"{self.corrected_badge}{shown}</span>"

    def actual(self, cell) -> str:
        """A cell's actual, with today's beside it where corrected."""
        shown = self.number(cell["actual"], cell["is_count"])
        if not cell["corrected"]:
            return shown
        value = cell["corrected"]["actual"]
        return shown + self.correction(DASH if value is None or value == "" else self.number(value, cell["is_count"]))

    def completion_with_light(self, cell) -> str:
        """A cell's completion and its light, or — without a target."""
        value = cell["completion_pct"]
        return DASH if value is None else f"{self.percent(value)}% {self.light(cell['light'])}"

    def corrected_pct(self, cell) -> str:
        if not cell["corrected"]:
            return ""
        value = cell["corrected"]["completion_pct"]
        return self.correction(DASH if value is None or value == "" else f"{self.percent(value)}%")


def _or_dash(value) -> str:
    return DASH if value is None else conditional_escape(value)


def bulletin_town_rows(towns: list[dict]) -> SafeString:
    """The township ranking (views.sections.bulletin_tables "towns"): rank, name, each metric's actual and completion
    with its light, the score; 更正 beside what changed since the month was published."""
    cells = _Cells()
    rows = []
    for town in towns:
        rank = _or_dash(town["rank"])
        if town["rank_corrected"]:
            rank += cells.correction(_or_dash(town["today_rank"]))
        figures = "".join(
            f'<td class="text-end">{cells.actual(cell)}</td>'
            f'<td class="text-end text-nowrap">{cells.completion_with_light(cell)}{cells.corrected_pct(cell)}</td>'
            for cell in town["cells"]
        )
        score = DASH if town["score"] is None else cells.pct(town["score"])
        rows.append(
            f'<tr data-town="{"" if town["pk"] is None else town["pk"]}"><td data-rank>{rank}</td>'
            f'<th scope="row" class="text-nowrap">{html_text(town["name"])}</th>{figures}'
            f'<td class="text-end">{score}</td></tr>'
        )
    return rows_html(rows)


def bulletin_county_rows(counties: list[dict], *, home_county_id: int | None) -> SafeString:
    """Jiaxing's counties (bulletin_tables "counties"): each metric's actual, completion and rank, this city's row
    highlighted; 更正 beside what changed since the month was published."""
    cells = _Cells()
    rows = []
    for county in counties:
        pk = county["pk"]
        home = ' class="fw-semibold table-primary"' if pk and pk == home_county_id else ""
        figures = []
        for cell in county["cells"]:
            rank = _or_dash(cell["rank"])
            corrected = cell["corrected"]
            if corrected and corrected["rank"] != cell["rank"]:
                rank += cells.correction(_or_dash(corrected["rank"]))
            figures.append(
                f'<td class="text-end">{cells.actual(cell)}</td>'
                f'<td class="text-end">{cells.pct(cell["completion_pct"])}{cells.corrected_pct(cell)}</td>'
                f'<td class="text-end" data-rank="{cell["metric"]}">{rank}</td>'
            )
        rows.append(
            f'<tr data-county="{"" if pk is None else pk}"{home}>'
            f'<th scope="row" class="text-nowrap">{html_text(county["name"])}</th>{"".join(figures)}</tr>'
        )
    return rows_html(rows)


def bulletin_reuse_town_rows(towns) -> SafeString:
    """The 换鸟 ranking (selectors.reuse.reuse_summary's towns, ranked): rank, name, each figure with its completion
    and light where it has a target, the commitments due, met, missed and unverified."""
    cells = _Cells()
    rows = []
    for town in towns:
        name = html_text(town.name)
        figures = []
        for key, figure in town.metrics.items():
            actual = str(figure.actual) if key == "projects_signed" else cells.amount(figure.actual)
            figures.append(f'<td class="text-end" data-reuse-value="{key}">{actual}</td>')
            if key != "land_awaiting_mu":
                completion = figure.completion_pct
                shown = DASH if completion is None else f"{cells.percent(completion)}% {cells.light(figure.light)}"
                figures.append(f'<td class="text-end text-nowrap">{shown}</td>')
        commitments = "".join(
            f'<td class="text-end" data-reuse-commitment="{key}">{town.commitments[key]}</td>'
            for key in ("due", "met", "missed", "unverified")
        )
        rows.append(
            f'<tr data-reuse-scope="{name}"><td data-rank>{_or_dash(town.rank)}</td>'
            f'<th scope="row" class="text-nowrap">{name}</th>{"".join(figures)}{commitments}</tr>'
        )
    return rows_html(rows)


def bulletin_register_rows(rows: list[dict]) -> SafeString:
    """The register section (views.register.register_panel's towns): raised, resolved and open in all."""
    return rows_html(
        f'<tr><th scope="row">{html_text(row["town"].name)}</th>'
        f'<td class="text-end">{total.raised}</td><td class="text-end">{total.resolved}</td>'
        f'<td class="text-end{" fw-semibold" if total.open else ""}">{total.open}</td></tr>'
        for row in rows
        for total in (row["total"],)
    )
