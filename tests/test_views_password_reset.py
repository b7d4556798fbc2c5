"""A forgotten password: where e-mail is configured, Django's reset views (in the layout) e-mail a
link, sent through a real SMTP server on 127.0.0.1 (tests/smtp_server.py), that sets a new password
once; where it is not, the page says to ask an admin. Requests and bad links are throttled on
sign-in's counts; each link sent and each password set is audited."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from identity.services.accounts import password_change_due, user_create
from tests.accounts_data import NEW_PASSWORD, PER_ACCOUNT, PER_ADDRESS, sign_in_counts_clear, user_with_password
from tests.smtp_server import SmtpServer, smtp_settings

pytestmark = pytest.mark.django_db
ADA = "ada@school.example"


@pytest.fixture(autouse=True)
def counts(settings, redis_server):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    sign_in_counts_clear(settings)


@pytest.fixture
def smtp(settings):
    server = SmtpServer().start()
    smtp_settings(settings, server)
    yield server
    server.stop()


@pytest.fixture
def ada():
    return user_with_password("ada", email=ADA)


def _ask(client: Client, email: str = ADA):
    return client.post(reverse("password-reset"), {"email": email})


def _link(smtp: SmtpServer) -> str:
    (message,) = smtp.to(ADA)
    return re.search(r"http://testserver(/accounts/reset/\S+/)", message.text).group(1)


def _set(client: Client, link: str):
    chosen = client.get(link)  # Django moves the token into the session, then shows the form
    assert chosen.status_code == 302, chosen.content.decode()
    return client.post(chosen.url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})


def test_it_emails_a_link_that_sets_a_new_password(smtp, ada, client):
    asked = _ask(client)

    assert asked.status_code == 302 and asked.url == reverse("password-reset-sent")
    (message,) = smtp.to(ADA)
    assert message.subject == "Your faceapp password" and "account ada" in message.text
    done = _set(Client(), _link(smtp))
    assert done.status_code == 302 and done.url == reverse("password-reset-complete")
    assert Client().login(username="ada", password=NEW_PASSWORD)


def test_it_audits_the_link_sent_and_the_password_set(smtp, ada, client):
    _ask(client)
    _set(Client(), _link(smtp))

    sent, done = (AuditEntry.objects.get(action=action) for action in (AuditEntry.PASSWORD_RESET_SENT,
                                                                        AuditEntry.PASSWORD_RESET_DONE))
    assert (sent.actor, sent.target, sent.detail) == (None, "ada", f"to {ADA}")
    assert (done.actor, done.target) == (ada, "ada")


def test_it_lets_a_link_work_once(smtp, ada, client):
    _ask(client)
    link = _link(smtp)
    _set(Client(), link)

    again = Client().get(link)

    assert again.status_code == 200 and "This link does not work" in again.content.decode()
    assert User.objects.get(pk=ada.pk).check_password(NEW_PASSWORD)


def test_it_answers_an_unknown_address_alike_and_sends_nothing(smtp, ada, client):
    asked = _ask(client, "nobody@school.example")

    assert asked.status_code == 302 and asked.url == reverse("password-reset-sent")
    assert smtp.received == []
    assert not AuditEntry.objects.filter(action=AuditEntry.PASSWORD_RESET_SENT).exists()


def test_it_ends_a_change_due_since_the_user_chose_the_new_password(smtp, admin_user, client):
    user, _ = user_create(actor=admin_user, username="ada", role="viewer", email=ADA)
    _ask(client)
    _set(Client(), _link(smtp))

    assert not password_change_due(User.objects.select_related("profile").get(pk=user.pk))


def test_it_refuses_requests_for_one_address_past_the_accounts_limit(smtp, ada):
    for attempt in range(PER_ACCOUNT):
        assert _ask(Client(REMOTE_ADDR=f"10.2.0.{attempt + 1}")).status_code == 302

    refused = _ask(Client(REMOTE_ADDR="10.2.0.99"))

    assert refused.status_code == 429 and "Too many failed sign-ins" in refused.content.decode()
    assert len(smtp.to(ADA)) == PER_ACCOUNT


def test_it_refuses_a_client_that_tries_bad_links(smtp, ada):
    guesser = Client(REMOTE_ADDR="10.3.0.1")
    _ask(Client())
    for attempt in range(PER_ADDRESS):
        assert guesser.get(reverse("password-reset-confirm", args=["MQ", f"guess-{attempt}"])).status_code == 200

    assert guesser.get(_link(smtp)).status_code == 429  # even a good link, from there
    assert Client(REMOTE_ADDR="10.3.0.2").get(_link(smtp)).status_code == 302  # elsewhere: fine


def test_it_says_to_ask_an_admin_where_email_is_off(settings, ada, client, mailoutbox):
    settings.FACEAPP_EMAIL_HOST = ""

    page = client.get(reverse("password-reset")).content.decode()
    asked = _ask(client)

    assert "Ask an admin" in page and 'name="email"' not in page
    assert asked.status_code == 200 and mailoutbox == []


def test_it_links_the_reset_from_the_sign_in_page(client):
    page = client.get(reverse("login")).content.decode()

    assert f'href="{reverse("password-reset")}"' in page and "Forgot your password?" in page
