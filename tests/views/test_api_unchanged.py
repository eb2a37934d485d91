"""The demo's /api/summary/ for every month of 2022 is what it was before the code was reorganised (issue 11)."""

import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

# Written by the code as it stood at commit 4d15518, before the layout changed: any difference is a behaviour change.
RECORDED = Path(__file__).resolve().parents[1] / "data" / "api_summary_2022.json"


@pytest.mark.parametrize("month", range(1, 13))
def test_demo_api_summary_is_unchanged_for_every_month_of_2022(client, demo_db, month):
    client.force_login(get_user_model().objects.get(username="leader"))

    answer = client.get("/api/summary/", {"year": 2022, "month": month})

    assert answer.json() == json.loads(RECORDED.read_text(encoding="utf-8"))[str(month)]
