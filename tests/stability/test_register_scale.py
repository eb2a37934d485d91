"""generate_scale adds items of the register of order: about one per fifty enterprises, keeping the model's rules."""

import pytest
from django.db.models import F

from clearance.models import RegisterItem
from perf.scale import generate_scale

pytestmark = pytest.mark.django_db


def test_generate_scale_adds_register_items_that_keep_the_rules():
    report = generate_scale(enterprises=500, towns=3, seed=41)

    items = RegisterItem.objects.filter(town__name__startswith="规模镇S41-")
    assert report.register_items == items.count()
    assert 500 // 50 - 3 <= items.count() <= 500 // 50 + 3
    # Each on an enterprise of its own town, resolved (with how) after it was raised, or open; one history row each.
    assert items.exclude(enterprise__town=F("town")).count() == 0
    assert items.filter(site__isnull=False).count() == 0
    assert items.filter(resolved_on__lt=F("raised_on")).count() == 0
    assert items.filter(resolved_on__isnull=False, resolution="").count() == 0
    assert 0 < items.filter(resolved_on__isnull=True).count() < items.count()
    assert RegisterItem.history.filter(id__in=items.values("pk")).count() == items.count()
