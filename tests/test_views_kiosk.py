"""The kiosk page (/kiosk/): public like the login page, and nothing on it but the camera view and
its setup: no data of the site, no navigation, no link to another page."""

import re

import pytest

from tests.review_data import make_person

pytestmark = pytest.mark.django_db


def test_it_serves_the_kiosk_to_an_anonymous_visitor_with_no_data_and_no_link(client, media_root):
    make_person("Ada Lovelace", code="A1")
    response = client.get("/kiosk/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ada Lovelace" not in page and "A1" not in page
    assert "<nav" not in page and not re.search(r"<a\b", page) and "<form" not in page
    assert "Not recognised, please see the office" in page  # the stranger's text, the server's


def test_it_shows_a_signed_in_user_no_navigation_either(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/kiosk/").content.decode()
    assert "<nav" not in page and not re.search(r"<a\b", page) and "Log out" not in page
