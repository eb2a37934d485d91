"""The admin's own user pages in Chinese: help texts, group names and all, with no English word left."""

from django.contrib.auth import get_user_model
from django.urls import reverse

from tests import language
from tests.url_rules import build_admin_world


def english_on(client, url: str, *, data: tuple[str, ...]) -> list[str]:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200, url
    text = language.visible_text(response.content.decode())
    # The group names are stored English data: here they must be read in Chinese too.
    allowed = language.ALLOWED_WORDS - {"leaders", "officials"}
    return [word for word in language.english_words(text, data=data) if word not in allowed]


def test_admin_user_pages_show_no_english_words(client, db):
    world = build_admin_world()
    client.force_login(world.admin)
    data = tuple(get_user_model().objects.values_list("username", flat=True))
    urls = [
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_add"),
        reverse("admin:auth_user_change", args=[world.official.pk]),
        reverse("admin:auth_user_password_change", args=[world.official.pk]),
        reverse("admin:auth_group_changelist"),
    ]

    english = {url: english_on(client, url, data=data) for url in urls}

    assert english == {url: [] for url in urls}, english
