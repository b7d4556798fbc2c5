"""The users pages (admins): add a user with a role, set a role, deactivate, a new password,
API tokens shown once and revoked; refusals for what would lock an admin out."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from identity.models import ApiToken
from identity.roles import role_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin(admin_client):
    return admin_client


def _create(admin, **fields):
    return admin.post(reverse("user-list"), {"username": "olive", "email": "", "role": "operator", "password": "",
                                             **fields})


def test_it_creates_a_user_with_their_role_and_shows_the_generated_password_once(admin):
    response = _create(admin)

    olive = User.objects.get(username="olive")
    assert response.status_code == 302 and response.url == reverse("user-detail", args=[olive.pk])
    assert role_of(olive) == "operator"
    page = admin.get(response.url).content.decode()
    password = page.split('data-secret>')[1].split("<")[0]
    assert Client().login(username="olive", password=password)
    assert "data-secret" not in admin.get(response.url).content.decode()  # once


def test_it_refuses_a_taken_user_name_and_says_so(admin, operator_user):
    response = _create(admin, username="OPERATOR")

    assert response.status_code == 200
    assert "the user name OPERATOR is taken" in response.content.decode()


def test_it_refuses_a_weak_password(admin):
    response = _create(admin, password="123")

    assert response.status_code == 200 and not User.objects.filter(username="olive").exists()
    assert "too short" in response.content.decode()


def test_it_sets_a_users_role(admin, viewer_user):
    admin.post(reverse("user-role", args=[viewer_user.pk]), {"role": "operator"})

    assert role_of(User.objects.get(pk=viewer_user.pk)) == "operator"


def test_it_refuses_an_admin_changing_their_own_role(admin, admin_user):
    response = admin.post(reverse("user-role", args=[admin_user.pk]), {"role": "viewer"}, follow=True)

    assert "You cannot change the role of your own account" in response.content.decode()
    assert role_of(User.objects.get(pk=admin_user.pk)) == "admin"


def test_it_deactivates_a_user_whose_session_then_ends(admin, operator_user):
    olive = Client()
    olive.force_login(operator_user)
    assert olive.get(reverse("person-list")).status_code == 200

    admin.post(reverse("user-active", args=[operator_user.pk]), {"active": "0"})

    assert olive.get(reverse("person-list")).status_code == 302  # to the login page
    assert not User.objects.get(pk=operator_user.pk).is_active


def test_it_gives_a_new_password_and_the_old_one_stops_working(admin, operator_user):
    response = admin.post(reverse("user-password", args=[operator_user.pk]), follow=True)

    password = response.content.decode().split('data-secret>')[1].split("<")[0]
    assert not Client().login(username="operator", password="pw-operator")
    assert Client().login(username="operator", password=password)


def test_it_creates_an_api_token_shown_once_that_works_until_revoked(admin, operator_user):
    response = admin.post(reverse("user-token-create", args=[operator_user.pk]), {"name": "kiosk"}, follow=True)
    key = response.content.decode().split('data-secret>')[1].split("<")[0]
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(reverse("api-person-list")).status_code == 200

    token = ApiToken.objects.get(user=operator_user, name="kiosk")
    admin.post(reverse("user-token-revoke", args=[operator_user.pk, token.pk]))

    assert api.get(reverse("api-person-list")).status_code == 401
    assert AuditEntry.objects.filter(action=AuditEntry.API_TOKEN_REVOKED, target__startswith="kiosk").count() == 1


def test_it_lists_users_with_their_roles(admin, operator_user, viewer_user):
    page = admin.get(reverse("user-list")).content.decode()

    assert '<tr data-user="operator">' in page and '<tr data-user="viewer">' in page
    assert page.count("<td>operator</td>") == 1 and page.count("<td>viewer</td>") == 1
