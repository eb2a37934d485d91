"""A django-tables2 table's body rows built in one pass, exactly as its bootstrap template renders them.

Why: django-tables2 renders each cell through BoundRow.get_cell, which inspects the render method's signature,
looks for a get_FOO_display through the record, recomputes the column's attributes, then goes through the
template language: about a quarter of a millisecond a cell, 120 ms for a page of 50 rows of 10 columns. Here
everything that is the same for a whole column is worked out once (the render method's arguments, whether the
field has choices, the cell's attributes, a column's own fast path: the column's cell_html(bound, table) or the
table's cell_html_FOO(bound), each returning record -> the cell's HTML), and each cell is a call and an f-string;
the rows' attributes likewise (each callable's arguments inspected once, not for every row). The table template
(templates/clearance/includes/_table.html, settings.DJANGO_TABLES2_TEMPLATE) uses it for every table;
tests/views/test_tables_one_pass.py checks page by page that both renderings are identical.
"""

import html
from collections.abc import Callable
from urllib.parse import urlencode

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.columns.manytomanycolumn import ManyToManyColumn
from django_tables2.rows import BoundRow
from django_tables2.utils import A, AttributeDict, signature


def html_text(value) -> str:
    """conditional_escape(VALUE), with a plain str escaped by the standard library directly: the same text, without
    Django's check of every argument for a lazy translation (escape's keep_lazy), which costs more than the escaping
    of a town's name in a row of a hundred-town table."""
    if value.__class__ is str:
        return html.escape(value)
    return conditional_escape(value)


def attributes_html(attrs: AttributeDict) -> str:
    """ATTRS as AttributeDict.as_html renders them (callables called, None and nested attributes left out), each
    key and value escaped by html_text rather than through format_html: a table has some thirty to render."""
    parts = []
    for key, value in attrs.items():
        if callable(value):
            value = value()
        if key not in _NOT_ATTRIBUTES and value is not None:
            parts.append(f'{html_text(key)}="{html_text(value)}"')
    return " ".join(parts)


def _as_template_shows(value) -> str:
    """VALUE as {{ cell }} shows it: in local time, localized, escaped (django.template.base.render_value_in_context)."""
    value = localize(template_localtime(value))
    return html_text(value if isinstance(value, str) else str(value))


def value_cells(bound, text: Callable) -> Callable:
    """Return record -> TEXT(value, record), or the column's default where the value is empty, as django-tables2
    shows the cell: a column's or a table's fast path (cell_html, cell_html_FOO) built on it.

    TEXT must give what the render method gives, as HTML (escaped; template_text for a value shown as it is); the
    value is read straight from the record (attributes and dict keys along the accessor), not through
    django-tables2's Accessor.
    """
    parts, empty_values = str(bound.accessor).split("__"), bound.column.empty_values
    default = _as_template_shows(bound.default)
    # The usual empty values tested without comparing each figure (a Fraction, a Decimal) with None and "".
    is_empty = (lambda value: value is None or value.__class__ is str and not value) if tuple(empty_values) == (
        None, "") else (lambda value: value in empty_values)

    def cell(record):
        value = record
        for part in parts:
            value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
            if value is None:
                break
        return default if is_empty(value) else text(value, record)

    return cell


# The value of a cell shown as it is: what {{ cell }} shows.
template_text = _as_template_shows

# An id no record has, reversed once and replaced in the address: reverse() costs more than the cell it links from.
_PLACEHOLDER_PK = 987654321


def _with_pk(address: str) -> Callable[[int], str] | None:
    """Return pk -> ADDRESS (made for _PLACEHOLDER_PK) for that pk, escaped for HTML; None where the placeholder is
    not in it exactly once."""
    parts = address.split(str(_PLACEHOLDER_PK))
    if len(parts) != 2:
        return None
    before, after = escape(parts[0]), escape(parts[1])
    return lambda pk: f"{before}{pk}{after}"


def url_maker(view_name: str) -> Callable[[int], str]:
    """Return pk -> the address of VIEW_NAME (which takes one pk) for that record, escaped for HTML."""
    return _with_pk(reverse(view_name, args=[_PLACEHOLDER_PK]))


def page_urls() -> Callable[[models.Model], str]:
    """Return record -> escape(record.get_absolute_url()), reversed once per model where the address depends on the
    pk alone: worked out from a record of the model made with a placeholder pk, and used only if it gives the first
    record's own address (else each record's get_absolute_url, as before)."""
    makers: dict[type, Callable | None] = {}

    def maker_for(record) -> Callable | None:
        try:
            url = _with_pk(type(record)(pk=_PLACEHOLDER_PK).get_absolute_url())
        except Exception:  # an address built from more than the pk (a related row, say)
            return None
        return url if url is not None and url(record.pk) == escape(record.get_absolute_url()) else None

    def url_of(record) -> str:
        kind = type(record)
        if kind not in makers:
            makers[kind] = maker_for(record)
        maker = makers[kind]
        return maker(record.pk) if maker is not None else escape(record.get_absolute_url())

    return url_of


def link_cells(bound, view_name: str, pk_of: Callable = lambda record: record.pk) -> Callable:
    """Return record -> the cell's value, escaped, linking to VIEW_NAME of PK_OF(record): a name column's fast path."""
    url = url_maker(view_name)
    return value_cells(bound, lambda value, record: f'<a href="{url(pk_of(record))}">{html.escape(str(value))}</a>')


def _static_td(bound) -> bool:
    """Whether the column's cell attributes are the same for every row (no callable computes them per record)."""
    attrs = {**bound._table.attrs, **bound.column.attrs}
    return not any(callable(value) for value in attrs.get("td", attrs.get("cell", {})).values())


def _column_cells(bound, table) -> Callable:
    """Return row -> (the cell's content as HTML, its <td> attributes as HTML) for BOUND's column."""
    column = bound.column
    fast = None
    table_cells = getattr(table, f"cell_html_{bound.name}", None)
    if table_cells is not None:
        fast = table_cells(bound)
    elif hasattr(column, "cell_html"):
        fast = column.cell_html(bound, table)
    td = attributes_html(bound.attrs["td"]) if _static_td(bound) else None

    def attributes(row, value) -> str:
        if td is not None:
            return td
        # As BoundRow.items() leaves them for the column's attrs to read.
        bound.current_record, bound.current_value = row.record, value
        return attributes_html(bound.attrs["td"])

    if fast is not None and td is not None:
        return lambda row: (fast(row.record), td)
    accessor, link, default = A(bound.accessor), bound.link, bound.default
    wanted, takes_any = signature(bound.render)
    choices: dict[type, bool] = {}  # per model: whether the accessor ends on a field with choices

    def has_choices(record) -> bool:
        kind = type(record)
        if kind not in choices:
            try:
                field = accessor.get_field(record) if isinstance(record, models.Model) else None
            except FieldDoesNotExist:
                field = None
            choices[kind] = bool(getattr(field, "choices", ()))
        return choices[kind]

    def content(row):
        """As BoundRow._get_and_render_with gives it."""
        record, value, remainder = row.record, None, True
        if has_choices(record):
            penultimate, remainder = accessor.penultimate(record)
            display = getattr(penultimate, f"get_{remainder}_display", None) if isinstance(penultimate, models.Model) else None
            if display:
                value, remainder = display(), None
        if remainder:
            try:
                value = accessor.resolve(record)
            except Exception:
                if isinstance(column, BaseLinkColumn) and column.text is not None:
                    return call(row, None)
        if value in column.empty_values or (isinstance(column, ManyToManyColumn) and not value.exists()):
            return default
        return call(row, value)

    def call(row, value):
        given = {"value": value, "record": row.record, "column": column, "bound_column": bound, "bound_row": row,
                 "table": table}
        rendered = bound.render(**(given if takes_any else {name: given[name] for name in wanted}))
        return link(rendered, **given) if link else rendered

    def cell(row):
        value = content(row)
        return _as_template_shows(value), attributes(row, value)

    return cell


# Never written as attributes of a row (django_tables2.utils.AttributeDict.blacklist).
_NOT_ATTRIBUTES = frozenset(AttributeDict.blacklist)


def _row_attributes(table) -> Callable:
    """Return row -> its <tr> attributes as BoundRow.attrs renders them: the table's row_attrs (each callable's
    arguments worked out once, not by inspecting its signature for every row), then the odd/even class."""
    parts = []
    for key, value in table.row_attrs.items():
        if isinstance(value, dict):
            return lambda row: row.attrs.as_html()  # nested attributes: django-tables2's own way
        parts.append((key, value, signature(value) if callable(value) else None))

    def attributes(row) -> str:
        given = {"table": table, "record": row.record}
        values = {}
        for key, value, wanted in parts:
            if wanted is not None:
                names, takes_any = wanted
                if takes_any:
                    value = value(**given)
                elif any(name not in given for name in names):
                    value = None
                else:
                    value = value(**{name: given[name] for name in names})
                if isinstance(value, dict):
                    return row.attrs.as_html()
            values[key] = value
        css = row.get_even_odd_css_class()
        values["class"] = f"{values['class']} {css}" if values.get("class") else css
        return " ".join(
            f'{html_text(key)}="{html_text(value)}"'
            for key, value in values.items()
            if key not in _NOT_ATTRIBUTES and value is not None
        )

    return attributes


def head_cells(table, request, *, aria_sort: bool = False) -> SafeString:
    """The <th> cells of TABLE's header row, as django-tables2's bootstrap template renders them: each column's
    attributes and header, a sortable column's header linking to the page sorted by it with REQUEST's other
    parameters kept (the template's querystring_replace); with ARIA_SORT, a sorted column's aria-sort (ascending or
    descending), as the rankings' template adds it. Why: through the template each header cost about as much as a
    row of the body."""
    params = dict(request.GET)
    field = table.prefixed_order_by_field
    cells = []
    for bound in table.columns:
        header = conditional_escape(bound.header)
        if bound.orderable:
            updated = {**params, field: bound.order_by_alias.next} if field not in ("", None) else params
            header = f'<a href="{escape("?" + urlencode(updated, doseq=True))}">{header}</a>'
        sort = ""
        if aria_sort and bound.is_ordered:
            sort = f' aria-sort="{"descending" if bound.order_by_alias.is_descending else "ascending"}"'
        cells.append(f'<th {attributes_html(bound.attrs["th"])} scope="col"{sort}>{header}</th>')
    return mark_safe("".join(cells))


def row_cells(table, record) -> SafeString:
    """RECORD's cells (<td> elements) as the table's rows show them, for a row outside its data (a total under the
    rows, as the ranking's city row): what `{% for column, cell in row.items %}<td {{ column.attrs.td.as_html }}>{{
    cell }}</td>` gives, each column's cell worked out as table_body works it out."""
    row = BoundRow(record, table=table)
    return mark_safe("".join(f"<td {attrs}>{content}</td>" for content, attrs in (cell(row) for cell in _cells(table))))


def _cells(table) -> list[Callable]:
    """Each column's row -> (content, attributes), worked out once per table (its body and its footer row share
    them: working them out costs about as much as rendering fifty rows)."""
    cells = getattr(table, "_one_pass_cells", None)
    if cells is None:
        cells = table._one_pass_cells = [_column_cells(bound, table) for bound in table.columns]
    return cells


def table_body(table) -> SafeString | None:
    """The rows of TABLE's <tbody> (or its empty text), as django-tables2's bootstrap template renders them; None
    where a column asks for its own localization or the table pins rows (the template then renders them itself)."""
    if any(bound.column.localize is not None for bound in table.columns):
        return None
    if table.get_top_pinned_data() is not None or table.get_bottom_pinned_data() is not None:
        return None
    cells = _cells(table)
    row_attributes = _row_attributes(table)
    rows = []
    for row in table.paginated_rows:
        rendered = "".join(f"<td {attrs}>{content}</td>" for content, attrs in (cell(row) for cell in cells))
        rows.append(f"<tr {row_attributes(row)}>{rendered}</tr>")
    if not rows and table.empty_text:
        rows.append(format_html('<tr><td colspan="{}">{}</td></tr>', len(table.columns), table.empty_text))
    return mark_safe("\n".join(rows))
