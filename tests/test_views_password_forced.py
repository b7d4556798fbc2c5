"""A password someone else set is changed at the first sign-in: a user an admin created (with a
password the admin chose or one generated) or gave a new password reaches only the change page
(and sign-out) until they choose their own; the session's API calls answer 403 and its sockets are
closed (4403); API tokens are not sessions and keep working."""

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from identity.services.accounts import admin_account_ensure, user_create
from tests.accounts_data import NEW_PASSWORD, sign_in_counts_clear
from tests.api import api_client
from tests.test_permissions_routes import FORBIDDEN_CLOSE, _closed_with, _communicator, _stays_open

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def counts(settings, redis_server):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    sign_in_counts_clear(settings)


@pytest.fixture
def olive(admin_user):
    """An operator the admin created: (user, the generated password shown once)."""
    return user_create(actor=admin_user, username="olive", role="operator")


def _signed_in(username: str, password: str) -> Client:
    client = Client()
    assert client.login(username=username, password=password)
    return client


def _change(client: Client, old: str):
    return client.post(reverse("password-change"),
                       {"old_password": old, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})


@pytest.mark.parametrize("page", ["dashboard", "person-list", "profile", "admin:index"])
def test_it_sends_a_user_an_admin_created_to_the_change_page(olive, page):
    client = _signed_in("olive", olive[1])

    response = client.get(reverse(page))

    assert response.status_code == 302 and response.url == reverse("password-change")


def test_it_says_why_on_the_change_page(olive):
    page = _signed_in("olive", olive[1]).get(reverse("password-change")).content.decode()

    assert 'id="password-change-due"' in page and "An admin chose your password" in page


def test_it_opens_every_page_once_the_user_chose_their_own(olive):
    client = _signed_in("olive", olive[1])

    assert _change(client, olive[1]).url == reverse("password-change-done")

    assert client.get(reverse("person-list")).status_code == 200
    entry = AuditEntry.objects.get(action=AuditEntry.PASSWORD_CHANGED)
    assert (entry.actor_name, entry.detail) == ("olive", "at the first sign-in after an admin set it")


def test_it_forces_a_change_of_a_password_the_admin_chose_too(admin_user):
    user_create(actor=admin_user, username="vic", role="viewer", password="chosen-by-the-admin-7")

    response = _signed_in("vic", "chosen-by-the-admin-7").get(reverse("dashboard"))

    assert response.url == reverse("password-change")


def test_it_forces_a_change_after_an_admin_gives_a_new_password(admin_client, viewer_user):
    admin_client.post(reverse("user-password", args=[viewer_user.pk]))
    password = admin_client.get(reverse("user-detail", args=[viewer_user.pk])).content.decode()
    password = password.split("data-secret>")[1].split("<")[0]

    response = _signed_in("viewer", password).get(reverse("dashboard"))

    assert response.url == reverse("password-change")


def test_it_shows_the_admin_that_the_password_is_still_theirs_to_change(admin_client):
    created = admin_client.post(reverse("user-list"), {"username": "olive", "email": "", "role": "operator",
                                                      "password": ""})

    page = admin_client.get(created.url).content.decode()

    assert "must choose their own password when they first sign in" in page  # beside the password shown once
    assert "set by an admin: to be changed at the next sign-in" in page


def test_it_lets_the_user_sign_out(olive):
    client = _signed_in("olive", olive[1])

    response = client.post(reverse("logout"))

    assert response.status_code == 302 and response.url == reverse("login")
    assert client.get(reverse("dashboard")).url.startswith(reverse("login"))


def test_it_refuses_the_sessions_api_calls_but_not_an_api_token(olive):
    session = _signed_in("olive", olive[1]).get(reverse("api-person-list"))
    token = api_client(olive[0]).get(reverse("api-person-list"))

    assert session.status_code == 403 and "Choose your own password first" in session.json()["detail"]
    assert token.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_it_closes_the_sessions_sockets_until_the_user_chose_their_own(admin_user):
    olive, password = user_create(actor=admin_user, username="olive", role="operator")

    refused = _closed_with(_communicator("/ws/dashboard/", olive))
    _change(_signed_in("olive", password), password)

    assert refused == FORBIDDEN_CLOSE
    assert _stays_open(_communicator("/ws/dashboard/", type(olive).objects.get(pk=olive.pk)))  # the new password


def test_it_sends_the_first_admin_with_a_printed_password_to_the_change_page():
    password = admin_account_ensure()  # what `make run` prints on the first run
    client = _signed_in("admin", password)

    response = client.get(reverse("dashboard"))

    assert response.status_code == 302 and response.url == reverse("password-change")


def test_it_lets_the_first_admin_with_the_operators_own_password_in():
    admin_account_ensure(password="chosen-by-the-operator-1")  # FACEAPP_ADMIN_PASSWORD
    client = _signed_in("admin", "chosen-by-the-operator-1")

    assert client.get(reverse("dashboard")).status_code == 200
