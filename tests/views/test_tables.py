"""The table pages' query strings: only the formats a page offers, page sizes in bounds, a 400 page saying why."""

import pytest
from django.conf import settings

from clearance.models import Site

from tests.url_rules import site_url, site_views

pytestmark = pytest.mark.django_db

TABLE_PAGES = sorted(key for key, view in site_views().items() if getattr(view, "export_formats", None))
NOT_OFFERED = ["ods", "xls", "yaml", "json", "tsv", "latex", "html", "XLSX", "csv ", "xlsx\x00"]
BAD_SIZES = ["-1", "-25", "0", "abc", "2.5", "1e3", "١٢", "+5", str(10**30), "9" * 5000]


def error_text(response) -> str:
    return response.content.decode().split("data-query-error>")[1].split("</div>")[0]


def test_the_table_pages_are_the_eight_that_export():
    assert TABLE_PAGES == [
        "clearance:evaluation", "clearance:evaluation_town", "clearance:home", "clearance:project_list",
        "clearance:register", "clearance:reuse", "clearance:reuse_commitments", "clearance:town_detail",
        "clearance:workspace_enterprises", "clearance:workspace_sites",
    ]


@pytest.mark.parametrize("key", TABLE_PAGES)
@pytest.mark.parametrize("export_format", NOT_OFFERED)
def test_a_format_the_page_does_not_offer_is_a_400_naming_those_it_does(admin_client, world, key, export_format):
    response = admin_client.get(site_url(key, world), {"_export": export_format})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert error_text(response).startswith("本页只能导出为 xlsx、csv，不能导出为")


@pytest.mark.parametrize("key", TABLE_PAGES)
@pytest.mark.parametrize("per_page", BAD_SIZES)
def test_a_page_size_out_of_bounds_is_a_400_with_the_bounds(admin_client, world, key, per_page):
    response = admin_client.get(site_url(key, world), {"per_page": per_page})

    assert response.status_code == 400
    assert error_text(response) == f"每页行数须为 1 到 {settings.CLEARANCE_TABLE_MAX_PER_PAGE} 之间的整数。"


@pytest.mark.parametrize("key", TABLE_PAGES)
def test_a_bad_page_size_refuses_the_export_too(admin_client, world, key):
    response = admin_client.get(site_url(key, world), {"per_page": "-1", "_export": "csv"})

    assert (response.status_code, response["Content-Type"].startswith("text/html")) == (400, True)


def test_a_page_size_in_bounds_shows_that_many_rows_and_the_next_page_the_rest(admin_client, world):
    for number in range(5):
        Site.objects.create(town=world.town, name=f"分页地块{number}", area_mu=1)
    url = site_url("clearance:workspace_sites", world)
    total = Site.objects.filter(town=world.town).count()

    first = admin_client.get(url, {"per_page": "3"})
    last = admin_client.get(url, {"per_page": "3", "page": "99"})

    assert len(first.context["table"].page) == 3
    assert len(last.context["table"].page) == total - 3 * (first.context["table"].paginator.num_pages - 1)


@pytest.mark.parametrize("query", [{"_export": ""}, {"per_page": ""}, {"per_page": " "}, {"page": "-3"}, {"page": "x"}, {"page": str(10**30)},
                                   {"sort": "-"}, {"sort": "no_such_column"}, {"sort": "-name,__,"}])
def test_an_empty_format_a_page_out_of_range_or_an_unknown_sort_shows_the_page(admin_client, world, query):
    response = admin_client.get(site_url("clearance:workspace_sites", world), query)

    assert response.status_code == 200
    assert len(response.context["table"].page) == Site.objects.filter(town=world.town).count()
