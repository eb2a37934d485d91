"""The demo's /api/summary/ for every month of 2022 is what it was before the code was reorganised (issue 11).

The reporting periods (issue 12) added two keys, "closed" and "published": the demo closes January–August.
"""

import hashlib
import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

# Written by the code as it stood at commit 4d15518, before the layout changed, then again once the demo closed
# January–August 2022: any difference is a behaviour change.
RECORDED = Path(__file__).resolve().parents[1] / "data" / "api_summary_2022.json"
# The SHA-256 of the file as recorded at 4d15518 (json.dumps(..., ensure_ascii=False, indent=1, sort_keys=True)).
BEFORE_PERIODS_SHA256 = "856e9d35e5352cf046bc6fe8ca05b4d9f95c30a656d2961988f1894695360139"
PERIOD_KEYS = ("closed", "published")


def recorded() -> dict:
    return json.loads(RECORDED.read_text(encoding="utf-8"))


@pytest.mark.parametrize("month", range(1, 13))
def test_demo_api_summary_is_unchanged_for_every_month_of_2022(client, demo_db, month):
    client.force_login(get_user_model().objects.get(username="leader"))

    answer = client.get("/api/summary/", {"year": 2022, "month": month})

    assert answer.json() == recorded()[str(month)]


def test_recorded_summary_differs_from_before_the_periods_only_by_closed_and_published():
    months = recorded()
    before = {
        month: {key: value for key, value in answer.items() if key not in PERIOD_KEYS} for month, answer in months.items()
    }

    text = json.dumps(before, ensure_ascii=False, indent=1, sort_keys=True)
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == BEFORE_PERIODS_SHA256
    # Nothing was corrected in the demo: what was published is today's figures.
    assert {month: answer["closed"] for month, answer in months.items()} == {str(m): m <= 8 for m in range(1, 13)}
    assert all(answer["published"] == answer["metrics"] for answer in months.values() if answer["closed"])
    assert not any("published" in answer for answer in months.values() if not answer["closed"])
