"""An enterprise's adjustments (加分/减分): listed with who and when, added and removed by admins, each scored again."""

from decimal import Decimal

import pytest
from django.urls import reverse

from clearance.models import Adjustment

from tests.evaluation.helpers import four_below, grades
from tests.factories import TownFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(db):
    return four_below(TownFactory(name="试点镇"))


def adjustments_url(row) -> str:
    return reverse("clearance:evaluation_adjustments", args=[row.enterprise_id])


def test_adding_points_moves_the_enterprise_and_is_listed_with_who_and_when(rows, admin_client, admin_user):
    # 丁 36.11 + 70 = 106.11 passes 甲 (100): 乙 1, 丁 2, 甲 3 (C), 丙 4 (D).
    response = admin_client.post(adjustments_url(rows["丁"]), {"year": "2022", "points": "70", "reason": "高新技术企业"},
                                 follow=True)

    assert grades(rows) == {"甲": "C", "乙": "B", "丙": "D", "丁": "B"}
    assert [str(message) for message in response.context["messages"]] == ["已为丁记录 2022 年度加减分 +70.00 分，2022 年度已重新评分。"]
    page = response.content.decode()
    assert 'data-points>+70.00<' in page and "高新技术企业" in page and "admin" in page
    assert Adjustment.history.get().history_user == admin_user


def test_an_adjustment_needs_a_reason_and_points_other_than_zero(rows, admin_client):
    no_reason = admin_client.post(adjustments_url(rows["丁"]), {"year": "2022", "points": "5", "reason": "  "})
    zero = admin_client.post(adjustments_url(rows["丁"]), {"year": "2022", "points": "0", "reason": "无"})
    other_year = admin_client.post(adjustments_url(rows["丁"]), {"year": "2021", "points": "5", "reason": "无"})

    assert "请说明加分或减分的理由。" in no_reason.content.decode()
    assert "请填写加分（如 +5）或减分（如 −10）；0 分不起作用。" in zero.content.decode()
    assert other_year.status_code == 200 and "2021" not in other_year.context["form"].fields["year"].choices.__repr__()
    assert not Adjustment.objects.exists()


def test_removing_an_adjustment_asks_first_then_scores_again(rows, admin_client):
    admin_client.post(adjustments_url(rows["丁"]), {"year": "2022", "points": "-10", "reason": "安全生产事故"})
    adjustment = Adjustment.objects.get()
    delete_url = reverse("clearance:adjustment_delete", args=[adjustment.pk])

    assert "安全生产事故" in admin_client.get(delete_url).content.decode()
    admin_client.post(delete_url)
    assert Adjustment.objects.exists()
    admin_client.post(delete_url, {"confirm": "1"})

    assert not Adjustment.objects.exists()
    rows["丁"].refresh_from_db()
    assert rows["丁"].total.quantize(Decimal("0.01")) == Decimal("36.11")
    assert Adjustment.history.filter(history_type="-").count() == 1


def test_leaders_and_officials_read_adjustments_and_may_not_add_or_remove(rows, admin_client, client, leader, official):
    admin_client.post(adjustments_url(rows["丁"]), {"year": "2022", "points": "5", "reason": "高新技术企业"})
    adjustment = Adjustment.objects.get()
    for user in (leader, official):
        client.force_login(user)
        page = client.get(adjustments_url(rows["丁"])).content.decode()
        assert "高新技术企业" in page and "data-adjustment-form" not in page
        assert client.post(adjustments_url(rows["丁"]), {"year": "2022", "points": "5", "reason": "x"}).status_code == 403
        delete_url = reverse("clearance:adjustment_delete", args=[adjustment.pk])
        assert client.post(delete_url, {"confirm": "1"}).status_code == 403
    assert Adjustment.objects.count() == 1


def test_the_audit_lists_adjustments_with_the_user(rows, admin_client, client, leader):
    admin_client.post(adjustments_url(rows["丁"]), {"year": "2022", "points": "5", "reason": "高新技术企业"})
    client.force_login(leader)

    page = client.get(reverse("clearance:audit"), {"kind": "adjustment"}).content.decode()

    assert "丁 · 2022" in page and "高新技术企业" in page and 'data-audit-user>admin<' in page
