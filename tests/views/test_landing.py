"""Where signing in lands: officials on their workspace, leaders and admins on the dashboard, ?next= first."""

import pytest
from django.urls import reverse

from tests.url_rules import _town_with_task_force

LOGIN_URL = reverse("login")


def sign_in(client, username: str, password: str, next_url: str = ""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN_URL, data)


@pytest.mark.django_db
def test_an_official_of_one_town_lands_on_that_towns_workspace(client, world):
    response = sign_in(client, "official-a", "pw-official-a")

    assert response.status_code == 302
    assert response.url == reverse("clearance:workspace_sites", args=[world.town.pk])


@pytest.mark.django_db
def test_an_official_of_several_towns_lands_on_the_list_of_their_towns(client, world):
    _town_with_task_force("新埭镇", "市市场监管局", "王局长", world.official)

    response = sign_in(client, "official-a", "pw-official-a")

    assert response.url == reverse("clearance:workspace")


@pytest.mark.django_db
@pytest.mark.parametrize(("username", "password"), [("leader-x", "pw-leader-x"), ("admin-x", "pw-admin-1")])
def test_leaders_and_admins_land_on_the_dashboard(client, world, username, password):
    response = sign_in(client, username, password)

    assert response.url == reverse("clearance:home")


@pytest.mark.django_db
def test_an_official_without_a_task_force_lands_on_the_dashboard(client, official):
    response = sign_in(client, "test-official", "pw-official-1")

    assert response.url == reverse("clearance:home")


@pytest.mark.django_db
def test_an_explicit_next_is_still_honoured(client, world):
    page = reverse("clearance:site_detail", args=[world.site.pk])

    response = sign_in(client, "official-a", "pw-official-a", next_url=page)

    assert response.url == page


@pytest.mark.django_db
def test_a_next_to_another_host_is_ignored_for_the_landing(client, world):
    response = sign_in(client, "official-a", "pw-official-a", next_url="https://evil.example/")

    assert response.url == reverse("clearance:workspace_sites", args=[world.town.pk])
