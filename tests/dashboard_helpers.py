"""Helpers for the dashboard and board tests: reading tables, cards and JSON out of pages, and a few quick campaigns."""

import html as html_lib
import json
import re
from datetime import date
from decimal import Decimal

from clearance import services
from clearance.choices import Stage

from tests.factories import EnterpriseFactory, SiteFactory, close_out


def text(fragment: str) -> str:
    """Return the text of an HTML FRAGMENT: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def table_html(page: str, name: str) -> str:
    """Return the HTML of the table marked data-table="NAME" in PAGE."""
    match = re.search(rf'<table[^>]*data-table="{name}"[^>]*>(.*?)</table>', page, re.DOTALL)
    assert match, f"no table {name}"
    return match.group(1)


def body_rows(page: str, name: str) -> list[tuple[str, list[str]]]:
    """Return each row of the body of table NAME: the <tr> tag's attributes and the text of each cell."""
    body = re.search(r"<tbody[^>]*>(.*?)</tbody>", table_html(page, name), re.DOTALL).group(1)
    return [
        (attrs, [text(cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.DOTALL)])
        for attrs, row in re.findall(r"<tr([^>]*)>(.*?)</tr>", body, re.DOTALL)
    ]


def card(page: str, key: str) -> dict[str, str]:
    """Return what the metric card KEY shows: value, target, completion, time progress, gap and light."""
    match = re.search(rf'<div class="card[^"]*" data-figure="{key}">(.*?)</dl>', page, re.DOTALL)
    assert match, f"no card for {key}"
    fragment = match.group(1)

    def field(attribute: str) -> str:
        return text(re.search(rf"<[^>]*{attribute}[^>]*>(.*?)</", fragment, re.DOTALL).group(1))

    return {
        "value": field('class="figure-value"'),
        "target": field("data-target"),
        "completion": field("data-completion"),
        "time_progress": field("data-time-progress"),
        "gap": field("data-gap"),
        "light": re.search(r'data-light="([a-z]*)"', fragment).group(1),
    }


def embedded_json(page: str, element_id: str):
    """Return the data a page embeds with json_script under ELEMENT_ID."""
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', page, re.DOTALL)
    assert match, f"no JSON {element_id}"
    return json.loads(match.group(1))


def close_out_many(town, count: int, *, on: date, energy: str = "10") -> None:
    """Close out COUNT enterprises of TOWN, each on a site of its own, signed, vacated and closed out ON."""
    for _ in range(count):
        enterprise = EnterpriseFactory(site=SiteFactory(town=town), energy_freed_tce=Decimal(energy))
        close_out(enterprise, signed=on, vacated=on, closed=on)


def vacate_site(town, area: str, *, on: date):
    """Record 腾退 of a new site of AREA 亩 in TOWN, ON."""
    site = SiteFactory(town=town, area_mu=Decimal(area))
    services.event_record(site=site, stage=Stage.VACATED, on=on, user=None)
    return site
