"""Error pages inside the site's layout: 403 names the role the page needs, 404 the path,
500 renders without a request context (Django's handler gives it none)."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error


@pytest.mark.django_db
def test_it_tells_a_viewer_which_role_a_page_needs(client, viewer_user):
    client.force_login(viewer_user)
    response = client.get(reverse("person-list"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "This page needs the operator role." in page and 'class="topbar"' in page


@pytest.mark.django_db
def test_it_names_the_missing_path_on_a_404(client, viewer_user):
    client.force_login(viewer_user)
    response = client.get("/snapshots/999999/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Not found" in page and "/snapshots/999999/" in page and 'class="topbar"' in page


def test_it_renders_the_500_page_inside_the_layout():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page and "favicon.svg" in page


@pytest.mark.django_db
def test_it_answers_an_unknown_api_path_in_json(client, operator_user):
    client.force_login(operator_user)
    response = client.get("/api/people/-3/")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}
