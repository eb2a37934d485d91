"""Fuzzing the economy's form and import: never a 500, a refusal says why in Chinese, a save stores what was meant."""

import re
from decimal import Decimal, InvalidOperation

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from clearance.models import EconomyFigure

from tests.fuzz_helpers import (
    FUZZ, assert_escaped, assert_no_crash, fingerprint, hostile_id, hostile_text, page_text, rolled_back, submissions,
    watched_models,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CHINESE = re.compile(r"[\u4e00-\u9fff]")
ECONOMY = ("EconomyFigure", "EconomyYear")
growths = st.decimals(min_value=-100, max_value=1000, places=2).map(str)
amounts = st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2).map(str)
people = st.integers(min_value=0, max_value=10_000_000).map(str)


def optional(strategy):
    return st.one_of(st.just(""), strategy)


def meant(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip()) if text.strip() else None
    except InvalidOperation:
        return None


def admin_client(world) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(world.admin)
    return client


def test_fuzz_economy_month(world):
    client = admin_client(world)
    url = reverse("clearance:economy")
    valid = {
        "region": st.sampled_from(["pinghu", "jiaxing"]), "year": st.integers(2000, 2022).map(str),
        "month": st.integers(1, 12).map(str), "value_added_growth_pct": optional(growths),
        "manufacturing_investment_yi": optional(amounts), "manufacturing_investment_growth_pct": optional(growths),
        "employment": optional(people),
    }
    bad = {name: st.one_of(hostile_text, hostile_id) for name in valid}

    @FUZZ
    @given(data=submissions(valid, bad))
    @example(data={"region": "pinghu", "year": "2022", "month": "8", "value_added_growth_pct": "1e400"})
    @example(data={"region": "pinghu", "year": "2022", "month": "8", "employment": "-0", "version": "\x00"})
    def fuzz(data):
        with rolled_back():
            before = fingerprint(models=watched_models(ECONOMY))
            response = client.post(url, data)
            assert_no_crash(response)
            assert_escaped(page_text(response))
            if response.status_code == 302:
                figure = EconomyFigure.objects.get(region=data["region"], year=int(data["year"]),
                                                   month=int(data["month"]))
                for name in ("value_added_growth_pct", "manufacturing_investment_yi",
                             "manufacturing_investment_growth_pct"):
                    assert getattr(figure, name) == meant(data.get(name, ""))
                assert figure.employment == (int(data["employment"]) if data.get("employment", "").strip() else None)
                return
            assert fingerprint(models=watched_models(ECONOMY)) == before
            assert response.status_code in (200, 400, 409)
            if response.status_code == 200:
                errors = [str(message) for messages in response.context["form"].errors.values() for message in messages]
                assert errors and all(CHINESE.search(message) for message in errors), errors

    fuzz()


def test_fuzz_economy_import(world):
    client = admin_client(world)
    url = reverse("clearance:economy_import")
    cells = st.one_of(hostile_text, st.sampled_from(["平湖", "嘉兴", "2022", "8", "6.5", "-3", "1e9", "", "１２"]))

    @FUZZ
    @given(rows=st.lists(st.lists(cells, min_size=7, max_size=7), max_size=4), dry_run=st.booleans())
    def fuzz(rows, dry_run):
        header = "地区,年,月,规上工业增加值增速(%),制造业投资(亿元),制造业投资增速(%),规上工业企业用工人数(人)"
        body = "\n".join(",".join('"' + cell.replace('"', '""') + '"' for cell in row) for row in rows)
        upload = SimpleUploadedFile("economy.csv", f"{header}\n{body}\n".encode("utf-8", errors="replace"))
        with rolled_back():
            before = fingerprint(models=watched_models(ECONOMY))
            response = client.post(url, {"upload": upload, **({"dry_run": "on"} if dry_run else {})})
            assert_no_crash(response)
            assert_escaped(page_text(response))
            if response.status_code != 302:
                assert fingerprint(models=watched_models(ECONOMY)) == before

    fuzz()
