"""Every table's body is built in one pass (clearance.tables.one_pass) for speed; on each page of the demo that shows
a table, it must be what django-tables2's own template renders for the same table, cell for cell: every link, badge,
number, date, empty value and attribute."""

import re
from itertools import count

import pytest
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string

from clearance.models import Project, Town

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_db")]

STOCK_TEMPLATE = "django_tables2/bootstrap5-responsive.html"


def _town() -> Town:
    """The demo's town with the most sites: its tables have the most kinds of rows."""
    return max(Town.objects.all(), key=lambda town: town.sites.count())


def pages() -> list:
    """(name, address builder, query): the pages whose table is django-tables2's, some sorted another way."""
    return [
        ("town", lambda: f"/towns/{_town().pk}/", {"year": 2022, "month": 8}),
        ("town, by stage", lambda: f"/towns/{_town().pk}/", {"year": 2022, "month": 8, "sort": "-stage"}),
        ("workspace sites", lambda: f"/workspace/{_town().pk}/sites/", {}),
        ("workspace enterprises", lambda: f"/workspace/{_town().pk}/enterprises/", {"sort": "plan_deadline"}),
        ("evaluation", lambda: "/evaluation/", {}),
        ("evaluation by class", lambda: "/evaluation/", {"sort": "grade"}),
        ("town evaluation", lambda: f"/evaluation/towns/{_town().pk}/", {}),
        ("candidates", lambda: "/evaluation/candidates/", {}),
        ("commitments", lambda: "/reuse/commitments/", {"year": 2026, "month": 12}),
        ("commitments overdue", lambda: "/reuse/commitments/", {"year": 2026, "month": 12, "state": "overdue"}),
        ("projects", lambda: "/projects/", {}),
        ("projects by stage", lambda: "/projects/", {"sort": "-stage"}),
        ("projects overdue", lambda: "/projects/", {"overdue": "true"}),
        ("register", lambda: "/register/", {}),
        ("reuse towns", lambda: "/reuse/", {"year": 2026, "month": 12}),
    ]


def _tbody(html: str, table_marker: str) -> str:
    start = html.index(table_marker)
    body = re.search(r"<tbody[^>]*>(.*?)</tbody>", html[start:], re.S).group(1)
    return re.sub(r">\s+<", "><", body.strip())


@pytest.mark.parametrize(("name", "address", "query"), pages(), ids=[page[0] for page in pages()])
def test_a_tables_body_is_what_django_tables2_renders(client, name, address, query):
    client.force_login(get_user_model().objects.get(username="admin"))
    response = client.get(address(), query)
    assert response.status_code == 200
    table = response.context["table"]
    marker = f'data-table="{table.attrs["data-table"]}"'
    table._counter = count()  # the rows' odd and even classes count afresh, as on the page's first rendering
    stock = render_to_string(STOCK_TEMPLATE, {"table": table, "request": response.wsgi_request})

    shown = _tbody(response.content.decode(), marker)
    assert shown == _tbody(stock, marker)
    # Rows there to compare (the demo has each of these), with their links where the table links.
    assert shown.count("<tr ") >= 1 and "<td" in shown


def _thead(html: str, table_marker: str) -> str:
    """The column headers' row of the table's <thead> (a ranking has the metrics' names in a row above it),
    whitespace around tags and inside the cells dropped (the template indents them)."""
    start = html.index(table_marker)
    head = re.search(r"<thead[^>]*>(.*?)</thead>", html[start:], re.S).group(1)
    row = re.findall(r"<tr[^>]*>(.*?)</tr>", head, re.S)[-1]
    return re.sub(r">\s+|\s+<", lambda match: match.group(0).strip(), row.strip())


@pytest.mark.parametrize(("name", "address", "query"), pages(), ids=[page[0] for page in pages()])
def test_a_tables_header_is_what_django_tables2_renders(client, name, address, query):
    """The header cells are built in one pass too (one_pass.head_cells): the same attributes (the sorted column's
    class), headers and sort links, the page's other parameters kept in them."""
    client.force_login(get_user_model().objects.get(username="admin"))
    response = client.get(address(), {**query, "page": 1})
    table = response.context["table"]
    marker = f'data-table="{table.attrs["data-table"]}"'
    stock = render_to_string(STOCK_TEMPLATE, {"table": table, "request": response.wsgi_request})

    shown = _thead(response.content.decode(), marker)
    assert shown == _thead(stock, marker)
    assert shown.count("<th ") == len(table.columns)
    if any(column.orderable for column in table.columns):
        assert "page=1" in shown and "href=\"?" in shown


def test_the_demo_has_what_the_pages_compare():
    # The pages above show rows only if the demo keeps projects and towns with sites.
    assert Project.objects.exists() and _town().sites.count() > 1


class _PkOnly:
    def __init__(self, pk):
        self.pk = pk

    def get_absolute_url(self):
        return f"/things/{self.pk}/?a=1&b=2"


class _ByName(_PkOnly):
    def __init__(self, pk, name="x"):
        super().__init__(pk)
        self.name = name

    def get_absolute_url(self):
        return f"/things/{self.name}/{self.pk}/"


def test_a_rows_link_is_its_own_page_whether_reversed_once_or_asked_each_time():
    """one_pass.page_urls reverses once per model where the address is made of the pk alone, and asks each record
    where it is not (an address with the record's name): the links are each record's own page either way."""
    from django.utils.html import escape

    from clearance.tables.one_pass import page_urls

    url_of = page_urls()
    records = [_PkOnly(7), _PkOnly(123), _ByName(7, "甲镇"), _ByName(8, "乙镇"), _PkOnly(987654)]
    assert [url_of(record) for record in records] == [escape(record.get_absolute_url()) for record in records]
    assert url_of(_PkOnly(5)) == "/things/5/?a=1&amp;b=2"
