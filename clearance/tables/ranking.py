"""The dashboard's rankings: towns and counties by completion, built in one pass, sorted on exact values."""

import functools
from collections.abc import Callable
from decimal import Decimal
from urllib.parse import urlencode

import django_tables2 as tables
from django.urls import NoReverseMatch, reverse
from django.utils.encoding import force_str
from django.utils.html import conditional_escape, escape, format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_tables2.data import TableListData
from django_tables2.rows import BoundRow
from django_tables2.utils import OrderBy

from ..choices import METRIC_UNITS, REUSE_METRIC_UNITS, REUSE_TARGET_METRICS, CommitmentState, Metric, ReuseMetric
from ..formatting import number_formatter, number_text
from ..selectors import CENT, DECIMAL_METRICS, LIGHT_GREEN, LIGHT_RED, LIGHT_YELLOW, rank_change, round_half_up
from .columns import number_attrs
from .one_pass import html_text, row_cells, table_body, url_maker, value_cells

LIGHT_LABELS = {LIGHT_GREEN: _("Green"), LIGHT_YELLOW: _("Yellow"), LIGHT_RED: _("Red")}
# Sorted ascending, the lights run from ahead of time to furthest behind.
LIGHT_ORDER = {LIGHT_GREEN: 0, LIGHT_YELLOW: 1, LIGHT_RED: 2}


class _SortedListData(TableListData):
    """Rows (ScopeSummary objects) sorted in Python on each column's sort value; empty values go last either way."""

    def order_by(self, aliases):
        rows = list(self.data)
        # Least significant first: Python's sort is stable, so earlier keys break the ties of later ones.
        for alias in reversed(list(aliases)):
            order = OrderBy(alias)
            bound = self.table.columns[order.bare]
            keyed = [(_sort_value(bound, row, self.table), row) for row in rows]
            present = [pair for pair in keyed if pair[0] is not None]
            present.sort(key=lambda pair: pair[0], reverse=order.is_descending)
            rows = [pair[1] for pair in present] + [pair[1] for pair in keyed if pair[0] is None]
        self.data = rows


def _sort_value(bound, row, table):
    value = bound.accessor.resolve(row, quiet=True)
    sort_value = getattr(bound.column, "sort_value", None)
    return sort_value(value, row, table) if sort_value else value


class _RankingColumn(tables.Column):
    """A column of a ranking, with the metric it belongs to (GROUP, a header above it) and its UNIT for exports."""

    def __init__(self, *, group=None, unit=None, **kwargs):
        self.group, self.unit = group, unit
        kwargs.setdefault("attrs", number_attrs())
        super().__init__(**kwargs)

    def sort_value(self, value, record, table):
        return value

    def cell_html(self, bound, table):
        """Return record -> the cell's HTML as django-tables2 renders it, for body_html; None: the generic path."""
        return None


class _FigureColumn(_RankingColumn):
    """An actual or target: enterprises as a whole number, areas and energy with two decimals; numbers in exports."""

    def __init__(self, *, decimals: bool, **kwargs):
        self.decimals = decimals
        super().__init__(**kwargs)

    def render(self, value):
        return number_text(value, 2 if self.decimals else -1, grouped=True)

    def value(self, value):
        return Decimal(value).quantize(CENT) if self.decimals else int(value)

    def cell_html(self, bound, table):
        text = number_formatter(2 if self.decimals else -1, grouped=True)
        return value_cells(bound, lambda value, record: text(value))


class _PercentColumn(_RankingColumn):
    """A completion or score: shown to one decimal, exported as a number, sorted on the exact value."""

    def render(self, value):
        return f"{number_text(round_half_up(value), 1)}%"

    def value(self, value):
        return round_half_up(value)

    def cell_html(self, bound, table):
        text = number_formatter(1)
        return value_cells(bound, lambda value, record: f"{text(round_half_up(value))}%")


class _CompletionColumn(_PercentColumn):
    """A metric's completion with its light as a dot beside it (the light's own column is for exports)."""

    def __init__(self, *, metric: str, **kwargs):
        self.metric = metric
        super().__init__(**kwargs)

    def render(self, value, record):
        return format_html("{} {}", super().render(value), self.dot(record.metrics[self.metric].light))

    @staticmethod
    def dot(light: str) -> str:
        return format_html(
            '<span class="light light-dot light-{}" data-light="{}" title="{}"><span class="visually-hidden">{}</span></span>',
            light, light, LIGHT_LABELS[light], LIGHT_LABELS[light],
        )

    def cell_html(self, bound, table):
        text, metric = number_formatter(1), self.metric
        dots = _light_dots(get_language())
        # The figure's completion_pct is round_half_up(completion), worked out once for the page's tables and charts.
        def cell(value, record) -> str:
            figure = record.metrics[metric]
            return f"{text(figure.completion_pct)}% {dots[figure.light]}"

        return value_cells(bound, cell)


@functools.lru_cache(maxsize=16)
def _light_dots(language: str | None) -> dict[str, str]:
    """Each light's dot in LANGUAGE: the same markup for every completion column of every page (six a dashboard)."""
    return {light: _CompletionColumn.dot(light) for light in LIGHT_LABELS}


class _LightColumn(_RankingColumn):
    def __init__(self, **kwargs):
        kwargs.setdefault("attrs", {"td": {"class": "text-nowrap"}})
        super().__init__(**kwargs)

    def render(self, value):
        return format_html('<span class="light light-{}" data-light="{}">{}</span>', value, value, LIGHT_LABELS[value])

    def value(self, value):
        return str(LIGHT_LABELS[value])

    def sort_value(self, value, record, table):
        return LIGHT_ORDER.get(value)


class _RankColumn(_RankingColumn):
    def value(self, value):
        return int(value)

    def cell_html(self, bound, table):
        return value_cells(bound, lambda value, record: str(value))


def town_url_maker(view_name: str, query: str = "") -> Callable[[int], str] | None:
    """Return pk -> the address of VIEW_NAME for that town (with QUERY), escaped for HTML, reversed once
    (one_pass.url_maker); None where there is no such page."""
    try:
        address = url_maker(view_name)
    except NoReverseMatch:
        return None
    suffix = f"?{escape(query)}" if query else ""
    return lambda pk: f"{address(pk)}{suffix}"


class _TownNameColumn(tables.Column):
    """A town's name linking to its page for the table's period (the city's row, without a pk, links nowhere)."""

    def __init__(self, **kwargs):
        super().__init__(
            linkify=lambda record, table: table.town_url(record),
            attrs={"td": {"class": "text-nowrap fw-semibold sticky-col"}, "th": {"class": "sticky-col"}},
            **kwargs,
        )

    def cell_html(self, bound, table):
        town_url = town_url_maker("clearance:town_detail", urlencode(table.period) if table.period else "")

        def cell(record):
            name = html_text(record.name)
            return name if record.pk is None else f'<a href="{town_url(record.pk)}">{name}</a>'

        return cell


class _RankChangeColumn(_RankingColumn):
    """Places climbed (↑2) or fallen (↓1) since the previous month's ranking; — when unchanged or not ranked then."""

    def __init__(self, **kwargs):
        super().__init__(accessor="pk", empty_values=(), **kwargs)

    @staticmethod
    def change(record, table) -> int | None:
        if table.previous_ranks is None:
            return None
        return rank_change(rank=record.rank, previous=table.previous_ranks.get(record.pk))

    def render(self, record, table):
        return _rank_change_html(self.change(record, table))

    def value(self, record, table):
        return self.change(record, table)

    def sort_value(self, value, record, table):
        return self.change(record, table)

    def cell_html(self, bound, table):
        markup, language = _rank_change_markup, get_language()
        return lambda record: markup(language, self.change(record, table))


def _rank_change_html(change: int | None) -> str:
    if change is None:
        return format_html('<span data-rank-change="" title="{}">—</span>', _("No ranking the month before"))
    if change == 0:
        return format_html('<span data-rank-change="0" title="{}">—</span>', _("Unchanged"))
    arrow, css, text = ("↑", "rank-up", _("Up %(places)s")) if change > 0 else ("↓", "rank-down", _("Down %(places)s"))
    places = abs(change)
    return format_html(
        '<span class="{}" data-rank-change="{}" title="{}">{}{}</span>',
        css, change, text % {"places": places}, arrow, places,
    )


@functools.lru_cache(maxsize=1024)
def _rank_change_markup(language: str | None, change: int | None) -> str:
    """A change's cell in LANGUAGE, made once per value: a hundred towns' changes are a few dozen values."""
    return conditional_escape(_rank_change_html(change))


def _metric_columns() -> list[tuple[str, tables.Column]]:
    """Return, for each metric, the columns actual, target, completion, light and rank (names `<metric>_<part>`)."""
    columns = []
    for metric in Metric:
        prefix, group = f"metrics__{metric.value}__", metric.label
        decimals = metric.value in DECIMAL_METRICS
        unit = METRIC_UNITS[metric]
        parts = [
            ("actual", _FigureColumn(decimals=decimals, accessor=prefix + "actual", verbose_name=_("Actual"),
                                     group=group, unit=unit)),
            ("target", _FigureColumn(decimals=decimals, accessor=prefix + "target", verbose_name=_("Target"),
                                     group=group, unit=unit)),
            ("completion", _CompletionColumn(metric=metric.value, accessor=prefix + "completion",
                                             verbose_name=_("Completion"), group=group, unit="%")),
            # Shown as the completion's dot (sorting on it would sort on completion anyway); a column in exports.
            ("light", _LightColumn(accessor=prefix + "light", verbose_name=_("Light"), group=group, visible=False)),
            ("rank", _RankColumn(accessor=prefix + "rank", verbose_name=_("Rank"), group=group)),
        ]
        columns += [(f"{metric.value}_{part}", column) for part, column in parts]
    return columns


class _RankingTable(tables.Table):
    """A ranking of ScopeSummary rows: metric columns grouped under their metric's name; numbers as numbers in exports."""

    def __init__(self, data, **kwargs):
        super().__init__(_SortedListData(list(data)), extra_columns=_metric_columns(), **kwargs)

    def body_html(self) -> str:
        """The body rows exactly as django-tables2's bootstrap template renders them, built in one pass
        (tables/one_pass.py); each ranking column formats its cells with what it works out once (cell_html: the
        number format of the language, the lights' markup, the town links). tests/test_dashboard.py checks the
        two renderings agree."""
        return table_body(self)

    def header_groups(self) -> list[tuple[str | None, int]]:
        """Return (metric name or None, number of columns) for the header row above the visible columns."""
        groups: list[tuple[str | None, int]] = []
        for column in self.columns:
            group = getattr(column.column, "group", None)
            # Each name translated once: comparing two lazy names translates both, each time.
            group = None if group is None else str(group)
            if groups and groups[-1][0] == group:
                groups[-1] = (group, groups[-1][1] + 1)
            else:
                groups.append((group, 1))
        return groups

    def export_columns(self, exclude_columns=None) -> list:
        """Return the bound columns an export has, as django-tables2 chooses them."""
        exclude_columns = exclude_columns or ()
        return [
            column
            for column in self.columns.iterall()
            if not (column.column.exclude_from_export or column.name in exclude_columns)
        ]

    def as_values(self, exclude_columns=None):
        """Yield the rows for exports with headers that stand alone: "<metric> <column> (<unit>)"."""
        values = super().as_values(exclude_columns)
        next(values)
        yield [_export_header(column) for column in self.export_columns(exclude_columns)]
        yield from values


def _export_header(bound) -> str:
    header = str(bound.header)
    unit = getattr(bound.column, "unit", None)
    if unit:
        header = _("%(header)s (%(unit)s)") % {"header": header, "unit": unit}
    group = getattr(bound.column, "group", None)
    return f"{group} {header}" if group else header


class _TownsAndCity:
    """A ranking of towns whose names link to their pages for the table's PERIOD, the CITY's row under them."""

    city = None
    period: dict | None = None

    def town_url(self, record) -> str | None:
        if record.pk is None:
            return None
        url = reverse("clearance:town_detail", args=[record.pk])
        return f"{url}?{urlencode(self.period)}" if self.period else url

    @property
    def city_row(self) -> BoundRow | None:
        """The city's figures: the footer of the page's table, the last row of exports."""
        return None if self.city is None else BoundRow(self.city, table=self)

    def city_cells(self) -> str | None:
        """The city row's cells for the footer, as the body's rows are built (one_pass.row_cells)."""
        return None if self.city is None else row_cells(self, self.city)

    def as_values(self, exclude_columns=None):
        yield from super().as_values(exclude_columns)
        if self.city is not None:
            row = self.city_row
            yield [force_str(row.get_cell_value(column.name), strings_only=True)
                   for column in self.export_columns(exclude_columns)]


class TownRankingTable(_TownsAndCity, _RankingTable):
    """The towns ranked by score, each metric's actual, target, completion, light and rank; sortable on every column."""

    rank = _RankColumn(verbose_name=_("Overall rank"))
    # To the town's page for the same period; the city's row (pk None) links nowhere.
    name = _TownNameColumn(verbose_name=_("Township"))
    score = _PercentColumn(verbose_name=_("Score"), unit="%")
    rank_change = _RankChangeColumn(verbose_name=_("Change since last month"))
    signed = _FigureColumn(decimals=False, verbose_name=_("Signed"), unit=METRIC_UNITS[Metric.ENTERPRISES_RECTIFIED])
    vacated = _FigureColumn(decimals=False, verbose_name=_("Vacated"), unit=METRIC_UNITS[Metric.ENTERPRISES_RECTIFIED])

    class Meta:
        template_name = "clearance/includes/_dashboard_table.html"
        sequence = ("rank", "name", "score", "rank_change", "...", "signed", "vacated")
        attrs = {"class": "table table-sm table-hover align-middle ranking-table", "data-table": "town-ranking"}
        row_attrs = {"data-town": lambda record: record.pk}
        empty_text = _("No towns yet.")

    def __init__(self, data, *, previous_ranks: dict | None = None, city=None, period: dict | None = None, **kwargs):
        self.previous_ranks = previous_ranks
        self.city = city
        self.period = period
        super().__init__(data, **kwargs)


class CountyRankingTable(_RankingTable):
    """Jiaxing's counties, each metric ranked by completion; this city's row is computed, the others' are bulletins."""

    name = tables.Column(
        verbose_name=_("County"), attrs={"td": {"class": "text-nowrap fw-semibold sticky-col"}, "th": {"class": "sticky-col"}}
    )

    class Meta:
        template_name = "clearance/includes/_dashboard_table.html"
        orderable = False
        attrs = {"class": "table table-sm align-middle ranking-table", "data-table": "county-ranking"}
        row_attrs = {
            "data-county": lambda record: record.pk,
            "class": lambda record, table: "table-primary" if record.pk == table.home_county_id else "",
        }
        empty_text = _("No counties yet.")

    def __init__(self, data, *, home_county_id: int | None = None, **kwargs):
        self.home_county_id = home_county_id
        # By the rank of the first metric (enterprises closed out), as Jiaxing's bulletin lists them; the
        # unranked last, ties in the counties' display order.
        first = Metric.values[0]
        data = sorted(data, key=lambda county: (county.metrics[first].rank is None, county.metrics[first].rank or 0))
        super().__init__(data, **kwargs)


# 换鸟 ---------------------------------------------------------------------------------------------------

COMMITMENT_LABELS = {
    "due": pgettext_lazy("commitments", "Due"),
    CommitmentState.MET: CommitmentState.MET.label,
    CommitmentState.MISSED: CommitmentState.MISSED.label,
    CommitmentState.UNVERIFIED: CommitmentState.UNVERIFIED.label,
}


def _reuse_columns() -> list[tuple[str, tables.Column]]:
    """Per reuse figure its actual; for the three with targets also target, completion (light), light and rank;
    then the commitments due, met, missed and unverified."""
    columns = []
    for metric in ReuseMetric:
        prefix, group, unit = f"metrics__{metric.value}__", metric.label, REUSE_METRIC_UNITS[metric]
        decimals = metric != ReuseMetric.PROJECTS_SIGNED
        parts = [("actual", _FigureColumn(decimals=decimals, accessor=prefix + "actual", verbose_name=_("Actual"),
                                          group=group, unit=unit))]
        if metric in REUSE_TARGET_METRICS:
            parts += [
                ("target", _FigureColumn(decimals=decimals, accessor=prefix + "target", verbose_name=_("Target"),
                                         group=group, unit=unit)),
                ("completion", _CompletionColumn(metric=metric.value, accessor=prefix + "completion",
                                                 verbose_name=_("Completion"), group=group, unit="%")),
                ("light", _LightColumn(accessor=prefix + "light", verbose_name=_("Light"), group=group, visible=False)),
                ("rank", _RankColumn(accessor=prefix + "rank", verbose_name=_("Rank"), group=group)),
            ]
        columns += [(f"{metric.value}_{part}", column) for part, column in parts]
    group = _("Commitments")
    for key, label in COMMITMENT_LABELS.items():
        columns.append((f"commitments_{key}", _FigureColumn(decimals=False, accessor=f"commitments__{key}",
                                                            verbose_name=label, group=group)))
    return columns


class ReuseTownTable(_TownsAndCity, _RankingTable):
    """The towns ranked on 换鸟: each figure (with target, completion and light where set), the commitments."""

    rank = _RankColumn(verbose_name=_("Overall rank"))
    name = _TownNameColumn(verbose_name=_("Township"))
    score = _PercentColumn(verbose_name=_("Score"), unit="%")

    class Meta:
        template_name = "clearance/includes/_dashboard_table.html"
        sequence = ("rank", "name", "score", "...")
        attrs = {"class": "table table-sm table-hover align-middle ranking-table", "data-table": "reuse-towns"}
        row_attrs = {"data-town": lambda record: record.pk}
        empty_text = _("No towns yet.")

    def __init__(self, data, *, city=None, period: dict | None = None, **kwargs):
        self.city, self.period = city, period
        # The ranking's own columns are the clearance metrics': these are the reuse figures'.
        tables.Table.__init__(self, _SortedListData(list(data)), extra_columns=_reuse_columns(), **kwargs)
