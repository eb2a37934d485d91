"""Fixtures shared by the whole suite."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import translation

from clearance.permissions import LEADERS_GROUP, OFFICIALS_GROUP


@pytest.fixture(autouse=True)
def reset_language():
    """Start every test in the site's default language.

    LocaleMiddleware activates a request's language in the test's thread and
    nothing deactivates it, so an English request would leak into later tests.
    """
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


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
