"""The body rows of the dashboard's per-town tables (the completion chart's table, 换鸟, the register, the evaluation),
built in one pass, each number formatted once.

Why: the dashboard shows every town (a hundred at province scale) in several tables of about a dozen cells. Through
the template language each cell costs a variable lookup, a filter through the locale machinery, an include or a
blocktranslate: tens of milliseconds a table, most of the page's time. Here a row is one f-string; the markup is the
templates' own (tests/views/test_dashboard_rows.py reads the sections as users see them).
"""

from collections.abc import Iterable

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from ..formatting import number_formatter
from ..selectors.register import KINDS
from .one_pass import html_text
from .ranking import LIGHT_LABELS, town_url_maker

DASH = "—"
def light_html(light: str) -> str:
    """A light as _dashboard_light.html shows it (for a figure with a target)."""
    return format_html('<span class="light light-{}" data-light="{}">{}</span>', light, light, LIGHT_LABELS[light])


def rows_html(rows: Iterable[str]) -> SafeString:
    """Table rows built as HTML strings, one per line, marked safe (each row escaped its own text)."""
    return mark_safe("\n".join(rows))


def town_chart_rows(towns) -> SafeString:
    """The completion chart's table for screen readers: each town's completion of each metric (or —)."""
    percent = number_formatter(1)

    def cell(figure) -> str:
        value = figure.completion_pct
        return f"<td>{DASH if value is None else percent(value) + '%'}</td>"

    return rows_html(
        f'<tr><th scope="row">{html_text(town.name)}</th>{"".join(cell(figure) for figure in town.metrics.values())}</tr>'
        for town in towns
    )


def reuse_town_rows(towns, *, period: dict) -> SafeString:
    """The dashboard's 换鸟 table: each town's projects signed, land reused (with its light) and land awaiting."""
    area = number_formatter(2, grouped=True)
    town_url = town_url_maker("clearance:town_detail", f"year={period['year']}&month={period['month']}")
    lights = {light: " " + light_html(light) for light in LIGHT_LABELS}
    rows = []
    for town in towns:
        name, figures = html_text(town.name), town.figures
        light = town.metrics["land_reused_mu"].light
        rows.append(
            f'<tr data-reuse-scope="{name}">'
            f'<th scope="row" class="text-nowrap"><a href="{town_url(town.pk)}">{name}</a></th>'
            f'<td class="text-end" data-reuse-value="projects_signed">{figures["projects_signed"]}</td>'
            f'<td class="text-end text-nowrap" data-reuse-value="land_reused_mu">{area(figures["land_reused_mu"])}'
            f'{lights[light] if light else ""}</td>'
            f'<td class="text-end" data-reuse-value="land_awaiting_mu">{area(figures["land_awaiting_mu"])}</td>'
            "</tr>"
        )
    return rows_html(rows)


def register_cells(row) -> SafeString:
    """A register row's cells: raised, resolved and open, in all and then by kind (open in bold where any)."""
    return mark_safe("".join(
        f'<td class="text-end">{figures.raised}</td><td class="text-end">{figures.resolved}</td>'
        f'<td class="text-end{" fw-semibold" if figures.open else ""}">{figures.open}</td>'
        for figures in (row.total, *(row.kinds[kind] for kind in KINDS))
    ))


def register_town_rows(rows) -> SafeString:
    """The dashboard's register table: each town, linked to its page, with its counts."""
    town_url = town_url_maker("clearance:town_detail")
    return rows_html(
        f'<tr data-town="{row.town.pk}"><th scope="row"><a href="{town_url(row.town.pk)}">'
        f"{html_text(row.town.name)}</a></th>{register_cells(row)}</tr>"
        for row in rows
    )


def _evaluation_town(row: dict, town_url) -> str:
    name = html_text(row["town"].name)
    return f'<a href="{town_url(row["town"].pk)}">{name}</a>' if town_url else name


def evaluation_town_rows(panel: dict) -> dict[str, SafeString]:
    """The evaluation panel's two tables, each town's row: "per_mu" (亩均税收 and 亩均增加值, the year before in
    small print) and "classes" (the count of each class, the land and energy of class D and how much is in
    clearance)."""
    money = number_formatter(2, grouped=True)
    has_before = panel["has_before"]
    town_url = town_url_maker("clearance:evaluation_town", f"year={panel['year']}")
    in_clearance = gettext("%(amount)s in clearance")

    def per_mu(value, before) -> str:
        shown = money(value) or DASH
        if not has_before:
            return shown
        return f'{shown}<small class="d-block text-secondary" data-before>{money(before) or DASH}</small>'

    def grade(entry) -> str:
        before = ""
        if has_before:
            before = f'<small class="d-block text-secondary" data-before>{DASH if entry["before"] is None else entry["before"]}</small>'
        return f'<td class="text-end" data-grade="{entry["grade"]}">{entry["count"]}{before}</td>'

    def held(key: str, amount, inside) -> str:
        words = html_text(in_clearance % {"amount": money(inside)})
        return (f'<td class="text-end" data-{key}>{money(amount)}'
                f'<small class="d-block text-secondary" data-in-clearance>{words}</small></td>')

    per_mu_rows, class_rows = [], []
    for row in panel["towns"]:
        opening = f'<tr data-town="{html_text(row["town"].name)}"><th scope="row" class="text-break-cjk">{_evaluation_town(row, town_url)}</th>'
        per_mu_rows.append(
            f'{opening}<td class="text-end" data-tax-per-mu>{per_mu(row["tax_per_mu"], row["tax_per_mu_before"])}</td>'
            f'<td class="text-end" data-value-added-per-mu>'
            f'{per_mu(row["value_added_per_mu"], row["value_added_per_mu_before"])}</td></tr>'
        )
        class_rows.append(
            f'{opening}{"".join(grade(entry) for entry in row["grades"])}'
            f'{held("d-land", row["d_land_mu"], row["d_land_in_clearance_mu"])}'
            f'{held("d-energy", row["d_energy_tce"], row["d_energy_in_clearance_tce"])}</tr>'
        )
    return {"per_mu": rows_html(per_mu_rows), "classes": rows_html(class_rows)}
