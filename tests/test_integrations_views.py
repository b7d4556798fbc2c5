"""The integrations pages (admins): webhooks (added with a secret shown once, edited, a test
event, paused with the reason shown, resumed, a new secret, deleted) and alert rules (each
kind's fields checked, added, edited, deleted); the dashboard lists the alerts."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import AlertRule, Delivery, Destination, Event
from tests import review_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def hook(db):
    return Destination.objects.create(name="Register", url="https://register.example.org/hook",
                                      event_types=["visit.named"])


def _webhook_form(**fields) -> dict:
    return {"name": "Register", "url": "https://register.example.org/hook", "identity": "known", "active": "on",
            "event_types": ["visit.named", "person.arrived"], **fields}


def test_it_names_a_webhooks_events_in_words_on_its_pages(admin, hook):
    Destination.objects.filter(pk=hook.pk).update(event_types=["visit.named", "camera.offline"])
    for page in (reverse("webhook-list"), reverse("webhook-detail", args=[hook.pk])):
        html = admin.get(page).content.decode()
        assert "a visit was named; a camera went offline" in html and "visit.named, camera.offline" not in html


@pytest.mark.parametrize("page", ["webhook-list", "webhook-detail", "alert-list"])
def test_it_explains_itself_without_sending_people_to_the_readme(admin, hook, page):
    html = admin.get(reverse(page, args=[hook.pk] if page == "webhook-detail" else [])).content.decode()
    assert "a webhook sends what happens here" in html and "README" not in html


def test_it_explains_the_secret_on_the_page_that_shows_it(admin):
    response = admin.post(reverse("webhook-list"), _webhook_form(), follow=True)
    html = response.content.decode()
    assert "the receiving program can tell that a message really comes from this server" in html
    assert "X-Faceapp-Signature" in html and "README" not in html


def test_it_adds_a_webhook_and_shows_its_secret_only_once(admin):
    door = review_data.make_camera("Door")

    response = admin.post(reverse("webhook-list"), _webhook_form(cameras=[door.pk], include_crops="on"))

    destination = Destination.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("webhook-detail", args=[destination.pk])
    assert destination.event_types == ["visit.named", "person.arrived"] and list(destination.cameras.all()) == [door]
    assert (destination.identity, destination.include_crops, destination.allow_private) == ("known", True, False)
    page = admin.get(response["Location"]).content.decode()
    assert destination.secret in page and "not shown again" in page
    assert destination.secret not in admin.get(response["Location"]).content.decode()


def test_it_refuses_a_webhook_to_a_private_address_unless_allowed(admin):
    response = admin.post(reverse("webhook-list"), _webhook_form(url="http://192.168.1.20/hook"))

    assert response.status_code == 200 and not Destination.objects.exists()
    assert "192.168.1.20 is a private address" in response.content.decode()

    admin.post(reverse("webhook-list"), _webhook_form(url="http://192.168.1.20/hook", allow_private="on"))
    assert Destination.objects.get().allow_private


def test_it_edits_a_webhook_and_keeps_its_secret(admin, hook):
    secret = hook.secret

    response = admin.post(reverse("webhook-edit", args=[hook.pk]), _webhook_form(name="HR", identity="any"))

    hook.refresh_from_db()
    assert response.status_code == 302 and (hook.name, hook.identity, hook.secret) == ("HR", "any", secret)


def test_it_queues_a_test_event_for_that_webhook_only(admin, hook):
    other = Destination.objects.create(name="Other", url="https://other.example.org/", event_types=["test"])

    response = admin.post(reverse("webhook-test", args=[hook.pk]), follow=True)

    (delivery,) = Delivery.objects.all()
    assert (delivery.destination, delivery.event.type, delivery.status) == (hook, "test", "pending")
    assert not other.deliveries.exists()
    assert f'data-delivery="{delivery.pk}"' in response.content.decode()


def test_it_says_why_a_webhook_is_paused_and_resumes_it(admin, hook):
    Destination.objects.filter(pk=hook.pk).update(
        paused_at=timezone.now(), failing_since=timezone.now() - dt.timedelta(days=1),
        pause_reason="Every delivery failed for 24.0 hours (since ...). Last error: HTTP 500")

    page = admin.get(reverse("webhook-detail", args=[hook.pk])).content.decode()
    assert "Paused" in page and "Last error: HTTP 500" in page
    assert admin.post(reverse("webhook-test", args=[hook.pk])).status_code == 302 and not Delivery.objects.exists()

    admin.post(reverse("webhook-resume", args=[hook.pk]))

    hook.refresh_from_db()
    assert (hook.paused_at, hook.pause_reason, hook.failing_since) == (None, "", None)


def test_it_gives_a_webhook_a_new_secret_shown_once(admin, hook):
    old = hook.secret

    page = admin.post(reverse("webhook-secret", args=[hook.pk]), follow=True).content.decode()

    hook.refresh_from_db()
    assert hook.secret != old and hook.secret in page


def test_it_deletes_a_webhook_with_its_log(admin, hook):
    admin.post(reverse("webhook-test", args=[hook.pk]))

    admin.post(reverse("webhook-delete", args=[hook.pk]))

    assert not Destination.objects.exists() and not Delivery.objects.exists()


def test_it_adds_a_not_arrived_rule_with_its_destinations(admin, hook):
    ada = review_data.make_person("Ada", with_sample=False)
    form = {"name": "Ada late", "kind": "not_arrived", "person": ada.pk, "deadline": "09:15",
            "days": ["0", "1", "2", "3", "4"], "destinations": [hook.pk], "active": "on", "start_time": "18:00"}

    response = admin.post(reverse("alert-list"), form)

    rule = AlertRule.objects.get()
    assert response.status_code == 302
    assert (rule.person, rule.deadline, rule.days, rule.start_time) == (ada, dt.time(9, 15), [0, 1, 2, 3, 4], None)
    assert list(rule.destinations.all()) == [hook]
    assert "Ada not arrived by 09:15 (Mon, Tue, Wed, Thu, Fri)" in admin.get(reverse("alert-list")).content.decode()


def test_it_adds_a_late_rule_for_anyone_that_sends_to_its_webhook(admin, hook):
    form = {"name": "Anyone late", "kind": "late", "destinations": [hook.pk], "active": "on", "deadline": "09:00"}

    response = admin.post(reverse("alert-list"), form)

    rule = AlertRule.objects.get()
    assert response.status_code == 302
    assert (rule.kind, rule.person, rule.deadline) == (AlertRule.LATE, None, None)
    assert "Anyone late (the register)" in admin.get(reverse("alert-list")).content.decode()


@pytest.mark.parametrize("kind, missing", [
    ("stranger_at", ["start_time", "end_time"]), ("person_seen", ["person"]),
    ("not_arrived", ["person", "deadline", "days"]),
])
def test_it_says_what_each_kind_of_rule_needs(admin, kind, missing):
    response = admin.post(reverse("alert-list"), {"name": "Rule", "kind": kind, "active": "on"})

    assert response.status_code == 200 and not AlertRule.objects.exists()
    assert sorted(response.context["form"].errors) == sorted(missing)


def test_it_sets_a_rules_cooldown(admin):
    form = {"name": "Door", "kind": "stranger_at", "start_time": "18:00", "end_time": "07:00", "active": "on"}

    admin.post(reverse("alert-list"), {**form, "cooldown_minutes": "30"})
    admin.post(reverse("alert-list"), {**form, "name": "Default"})
    refused = admin.post(reverse("alert-list"), {**form, "name": "Negative", "cooldown_minutes": "-1"})

    assert dict(AlertRule.objects.values_list("name", "cooldown_minutes")) == {"Door": 30, "Default": 10}
    assert "cooldown_minutes" in refused.context["form"].errors
    assert "Quiet for (minutes) after it fires" in admin.get(reverse("alert-list")).content.decode()


def test_it_edits_and_deletes_a_rule(admin):
    door = review_data.make_camera("Door")
    rule = AlertRule.objects.create(name="Night", kind=AlertRule.STRANGER_AT, start_time=dt.time(18),
                                    end_time=dt.time(7))

    admin.post(reverse("alert-edit", args=[rule.pk]), {"name": "Night door", "kind": "stranger_at", "camera": door.pk,
                                                      "start_time": "19:00", "end_time": "06:30", "active": "on"})
    rule.refresh_from_db()
    assert rule.summary == "A stranger at Door between 19:00 and 06:30"

    admin.post(reverse("alert-delete", args=[rule.pk]))
    assert not AlertRule.objects.exists()


def test_it_lists_the_latest_alerts_on_the_dashboard(client, viewer_user):
    Event.objects.create(type=Event.ALERT, occurred_at=timezone.now(),
                         data={"message": "Stranger U-0042 at Door", "rule": {"id": 1, "name": "Night door"}})
    client.force_login(viewer_user)

    page = client.get(reverse("dashboard")).content.decode()

    assert 'id="alerts"' in page and "Stranger U-0042 at Door" in page


def test_it_links_the_pages_from_the_nav_for_admins_only(admin, client, viewer_user):
    assert reverse("webhook-list") in admin.get(reverse("dashboard")).content.decode()
    client.force_login(viewer_user)
    assert reverse("webhook-list") not in client.get(reverse("dashboard")).content.decode()
