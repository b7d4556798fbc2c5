"""Login throttling on both sign-in forms (/accounts/login/ and /admin/login/), counted in the
real Redis: past N failures for one account, even the right password is refused with 429 (from
any address); past M failures from one address, every account is refused from there; another
account from another address still signs in; refused attempts check no password at all.
"""

import logging

import pytest
import redis
from django.contrib.auth.signals import user_login_failed
from django.test import Client

from audit.models import AuditEntry
from identity.services.ratelimit import KEY_PREFIX

LOGIN_PATHS = ["/accounts/login/", "/admin/login/"]
PER_ACCOUNT, PER_ADDRESS = 3, 5
PASSWORD = "right-horse-battery"


@pytest.fixture(autouse=True)
def limits(settings, redis_server):
    settings.FACEAPP_LOGIN_FAILURES_PER_ACCOUNT = PER_ACCOUNT
    settings.FACEAPP_LOGIN_FAILURES_PER_ADDRESS = PER_ADDRESS
    settings.FACEAPP_LOGIN_LOCKOUT_MINUTES = 15
    # Redis outlives the test database: earlier tests' counts must not carry over.
    client = redis.Redis.from_url(settings.REDIS_URL)
    stale = client.keys(KEY_PREFIX + "login:*")
    if stale:
        client.delete(*stale)


@pytest.fixture
def password_checks():
    """Every password check Django makes (it signals each failed one)."""
    failed: list[str] = []

    def count(sender, credentials, **kwargs):
        failed.append(credentials.get("username"))

    user_login_failed.connect(count)
    yield failed
    user_login_failed.disconnect(count)


def _staff(django_user_model, username: str):
    # Staff superusers, so that both forms (the admin's needs staff and the admin role) let them in.
    return django_user_model.objects.create_superuser(username=username, password=PASSWORD)


def _sign_in(path: str, username: str, password: str, address: str):
    return Client(REMOTE_ADDR=address).post(path, {"username": username, "password": password})


def _signed_in(response) -> bool:
    return response.status_code == 302 and response.wsgi_request.user.is_authenticated


@pytest.mark.django_db
@pytest.mark.parametrize("path", LOGIN_PATHS)
def test_it_refuses_the_right_password_after_n_failures_for_the_account(path, django_user_model, caplog):
    _staff(django_user_model, "ada")
    for attempt in range(PER_ACCOUNT):
        assert _sign_in(path, "ada", f"guess-{attempt}", "10.0.0.1").status_code == 200
    with caplog.at_level(logging.INFO, logger="faceapp.audit"):
        refused = _sign_in(path, "ada", PASSWORD, "10.0.0.2")  # another address: the account is locked
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.content.decode()
    assert 0 < int(refused["Retry-After"]) <= 15 * 60
    assert not refused.wsgi_request.user.is_authenticated
    assert "sign-in refused for 'ada' from 10.0.0.2" in caplog.text
    assert _sign_in(path, "Ada", PASSWORD, "10.0.0.3").status_code == 429  # the name's case changes nothing


@pytest.mark.django_db
@pytest.mark.parametrize("path", LOGIN_PATHS)
def test_it_refuses_one_address_for_every_account_after_m_failures(path, django_user_model):
    _staff(django_user_model, "grace")
    for attempt in range(PER_ADDRESS):  # one failure each for many accounts: none of them is locked
        assert _sign_in(path, f"user-{attempt}", "guess", "10.0.1.1").status_code == 200
    assert _sign_in(path, "grace", PASSWORD, "10.0.1.1").status_code == 429
    assert _signed_in(_sign_in(path, "grace", PASSWORD, "10.0.1.2"))  # that account, elsewhere: fine


@pytest.mark.django_db
def test_it_lets_other_accounts_and_addresses_sign_in_meanwhile(django_user_model):
    _staff(django_user_model, "ada")
    _staff(django_user_model, "linus")
    for attempt in range(PER_ACCOUNT):  # ada's account locked
        _sign_in("/accounts/login/", "ada", f"guess-{attempt}", "10.0.2.5")
    for attempt in range(PER_ADDRESS):  # and the address 10.0.2.1
        _sign_in("/admin/login/", f"user-{attempt}", "guess", "10.0.2.1")
    assert _sign_in("/accounts/login/", "ada", PASSWORD, "10.0.2.9").status_code == 429
    assert _sign_in("/accounts/login/", "linus", PASSWORD, "10.0.2.1").status_code == 429
    assert _signed_in(_sign_in("/accounts/login/", "linus", PASSWORD, "10.0.2.9"))
    assert _signed_in(_sign_in("/admin/login/", "linus", PASSWORD, "10.0.2.9"))


@pytest.mark.django_db
def test_it_checks_no_password_for_refused_attempts(django_user_model, password_checks):
    """A flood costs no password hashing once refused, so it does not slow other users' pages."""
    _staff(django_user_model, "ada")
    for attempt in range(PER_ACCOUNT):
        _sign_in("/accounts/login/", "ada", f"guess-{attempt}", "10.0.3.1")
    assert len(password_checks) == PER_ACCOUNT
    for attempt in range(20):
        assert _sign_in("/admin/login/", "ada", f"flood-{attempt}", f"10.0.3.{attempt + 2}").status_code == 429
    assert len(password_checks) == PER_ACCOUNT


@pytest.mark.django_db
def test_it_does_not_count_successful_sign_ins(django_user_model):
    _staff(django_user_model, "ada")
    for _ in range(PER_ADDRESS + 1):
        assert _signed_in(_sign_in("/accounts/login/", "ada", PASSWORD, "10.0.4.1"))


@pytest.mark.django_db
def test_it_counts_an_ipv6_client_as_its_whole_slash_64(django_user_model):
    _staff(django_user_model, "ada")
    for attempt in range(PER_ADDRESS):
        _sign_in("/accounts/login/", f"user-{attempt}", "guess", f"2001:db8:1:2::{attempt + 1:x}")
    assert _sign_in("/accounts/login/", "ada", PASSWORD, "2001:db8:1:2:ffff::1").status_code == 429
    assert _signed_in(_sign_in("/accounts/login/", "ada", PASSWORD, "2001:db8:1:3::1"))


@pytest.mark.django_db
def test_it_writes_one_audit_entry_per_lockout(django_user_model):
    _staff(django_user_model, "ada")
    for attempt in range(PER_ACCOUNT + 2):  # the failures past the limit are refused, not counted again
        _sign_in("/accounts/login/", "ada", f"guess-{attempt}", "10.0.5.1")
    for attempt in range(PER_ADDRESS):
        _sign_in("/admin/login/", f"user-{attempt}", "guess", "10.0.5.2")

    entries = AuditEntry.objects.filter(action=AuditEntry.SIGN_IN_LOCKED).order_by("id")
    assert [entry.target for entry in entries] == ["account ada", "address 10.0.5.2"]
    assert entries[0].detail == "3 failed sign-ins in 15 min; the last for 'ada' from 10.0.5.1"
    assert entries[0].actor is None
