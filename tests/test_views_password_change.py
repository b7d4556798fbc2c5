"""Changing one's own password (/accounts/password_change/, Django's view in the layout): from
the profile, the old password asked, the new one checked by the validators; this session goes on
and the others end; audited; a wrong current password counts as a failed sign-in, and past the
account's limit the change is refused (429) as a sign-in would be."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from tests.accounts_data import NEW_PASSWORD, PASSWORD, PER_ACCOUNT, sign_in_counts_clear, user_with_password

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def counts(settings, redis_server):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    sign_in_counts_clear(settings)


@pytest.fixture
def ada():
    return user_with_password("ada")


def _signed_in(user, address: str = "10.1.0.1") -> Client:
    client = Client(REMOTE_ADDR=address)
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _change(client: Client, old: str, new: str = NEW_PASSWORD):
    return client.post(reverse("password-change"), {"old_password": old, "new_password1": new, "new_password2": new})


def test_it_changes_the_users_own_password_and_keeps_this_session(ada):
    client = _signed_in(ada)

    response = _change(client, PASSWORD)

    assert response.status_code == 302 and response.url == reverse("password-change-done")
    assert client.get(reverse("dashboard")).status_code == 200
    assert Client().login(username="ada", password=NEW_PASSWORD)
    assert not Client().login(username="ada", password=PASSWORD)


def test_it_audits_the_change(ada):
    _change(_signed_in(ada), PASSWORD)

    entry = AuditEntry.objects.get(action=AuditEntry.PASSWORD_CHANGED)
    assert (entry.actor, entry.target, entry.detail) == (ada, "ada", "")


def test_it_ends_the_users_other_sessions(ada):
    elsewhere = _signed_in(ada, "10.1.0.2")

    _change(_signed_in(ada), PASSWORD)

    response = elsewhere.get(reverse("dashboard"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_it_refuses_a_wrong_current_password_and_changes_nothing(ada):
    response = _change(_signed_in(ada), "guess")

    assert response.status_code == 200 and "Your old password was entered incorrectly" in response.content.decode()
    assert User.objects.get(pk=ada.pk).check_password(PASSWORD)
    assert not AuditEntry.objects.filter(action=AuditEntry.PASSWORD_CHANGED).exists()


def test_it_refuses_a_weak_new_password(ada):
    response = _change(_signed_in(ada), PASSWORD, new="1234")

    assert response.status_code == 200 and "too short" in response.content.decode()
    assert User.objects.get(pk=ada.pk).check_password(PASSWORD)


def test_it_refuses_the_change_past_the_accounts_failures_as_a_sign_in(ada):
    client = _signed_in(ada)
    for attempt in range(PER_ACCOUNT):
        assert _change(client, f"guess-{attempt}").status_code == 200

    refused = _change(client, PASSWORD)  # the right one: refused before it is checked

    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 15 * 60
    assert User.objects.get(pk=ada.pk).check_password(PASSWORD)
    signing_in = Client(REMOTE_ADDR="10.1.0.9").post(reverse("login"), {"username": "ada", "password": PASSWORD})
    assert signing_in.status_code == 429  # one count for the account: sign-in is locked too
    assert AuditEntry.objects.get(action=AuditEntry.SIGN_IN_LOCKED).target == "account ada"


def test_it_does_not_count_a_new_password_that_the_validators_refuse(ada):
    client = _signed_in(ada)
    for _ in range(PER_ACCOUNT + 1):
        assert _change(client, PASSWORD, new="1234").status_code == 200

    assert _change(client, PASSWORD).status_code == 302


def test_it_links_change_password_from_the_profile(ada):
    page = _signed_in(ada).get(reverse("profile")).content.decode()

    assert f'href="{reverse("password-change")}"' in page and "Change password" in page


def test_it_shows_the_change_in_the_sites_layout(ada):
    page = _signed_in(ada).get(reverse("password-change")).content.decode()

    assert 'class="topbar"' in page and 'name="old_password"' in page
    assert 'id="password-change-due"' not in page  # nobody else set this password


def test_it_sends_the_django_admins_change_password_link_here(admin_client):
    response = admin_client.get(reverse("admin:password_change"))

    assert response.status_code == 302 and response.url == reverse("password-change")
