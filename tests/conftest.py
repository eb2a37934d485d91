"""Fixtures shared by the whole suite."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from clearance.permissions import LEADERS_GROUP, OFFICIALS_GROUP


@pytest.fixture
def leader(db):
    user = get_user_model().objects.create_user("test-leader", password="pw-leader-1")
    user.groups.add(Group.objects.get_or_create(name=LEADERS_GROUP)[0])
    return user


@pytest.fixture
def official(db):
    user = get_user_model().objects.create_user("test-official", password="pw-official-1")
    user.groups.add(Group.objects.get_or_create(name=OFFICIALS_GROUP)[0])
    return user
