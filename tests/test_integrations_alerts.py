"""Alert rules: a stranger at a camera within a time window (also one crossing midnight),
a person seen, a person not arrived by a time on weekdays (the beat task's check); each alert
goes to its rule's destinations (a real receiver, through a real worker) and the dashboard."""

import datetime as dt

import pytest
from django.utils import timezone

from attendance.models import AttendanceRecord
from integrations import alerts, webhooks
from integrations.events import event_publish
from integrations.models import AlertRule, Delivery, Event
from tests import faces_data, review_data
from tests.waiting import wait_until
from tests.webhook_receiver import destination_for

MONDAY = dt.date(2026, 3, 2)
SATURDAY = dt.date(2026, 3, 7)


@pytest.fixture
def door(db):
    return review_data.make_camera("Door")


@pytest.fixture
def ada(db):
    return review_data.make_person("Ada", code="A1", with_sample=False)


def _alerts() -> list[Event]:
    return list(Event.objects.filter(type=Event.ALERT).order_by("created_at"))


def _publish(capture, **fields) -> Event:
    with capture(execute=True):
        return event_publish(**fields)


def _stranger_at(capture, camera, day: dt.date, hour: int, minute: int = 0) -> Event:
    return _publish(capture, type=Event.STRANGER_SEEN, occurred_at=review_data.at(day, hour, minute), camera=camera,
                    provisional="U-0042", visit_id=7)


@pytest.mark.parametrize("moment, start, end, inside", [
    ("12:00", "09:00", "17:00", True), ("08:59", "09:00", "17:00", False), ("17:00", "09:00", "17:00", False),
    ("23:30", "18:00", "07:00", True), ("03:00", "18:00", "07:00", True), ("18:00", "18:00", "07:00", True),
    ("07:00", "18:00", "07:00", False), ("12:00", "18:00", "07:00", False), ("12:00", "08:00", "08:00", True),
])
def test_it_knows_whether_a_moment_is_in_a_window(moment, start, end, inside):
    def hm(text):
        return dt.time.fromisoformat(text)

    assert alerts.in_window(hm(moment), hm(start), hm(end)) is inside


def test_it_alerts_on_a_stranger_at_the_camera_in_a_window_across_midnight(door, django_capture_on_commit_callbacks,
                                                                           settings):
    settings.TIME_ZONE = "Europe/Paris"  # the window is the site's local time
    hall = review_data.make_camera("Hall")
    rule = AlertRule.objects.create(name="Night door", kind=AlertRule.STRANGER_AT, camera=door,
                                    start_time=dt.time(18), end_time=dt.time(7))
    capture = django_capture_on_commit_callbacks

    late = _stranger_at(capture, door, MONDAY, 23, 30)
    early = _stranger_at(capture, door, MONDAY, 3)
    _stranger_at(capture, door, MONDAY, 12)  # daytime: no alert
    _stranger_at(capture, hall, MONDAY, 23, 30)  # another camera: no alert
    _publish(capture, type=Event.VISIT_NAMED, occurred_at=review_data.at(MONDAY, 23), camera=door)  # not a stranger

    first, second = _alerts()
    assert [a.data["cause"]["id"] for a in (first, second)] == [str(late.id), str(early.id)]
    assert first.data["rule"] == {"id": rule.pk, "name": "Night door", "kind": "stranger_at"}
    assert first.data["message"] == "Stranger U-0042 at Door"
    assert (first.camera, first.provisional, first.visit_id, first.occurred_at) == (door, "U-0042", 7, late.occurred_at)
    rule.refresh_from_db()
    assert rule.last_fired_at is not None


def test_it_alerts_on_a_stranger_at_any_camera_when_the_rule_names_none(door, django_capture_on_commit_callbacks):
    AlertRule.objects.create(name="Anywhere", kind=AlertRule.STRANGER_AT, start_time=dt.time(0), end_time=dt.time(0))

    _stranger_at(django_capture_on_commit_callbacks, door, MONDAY, 12)

    assert len(_alerts()) == 1


def test_it_alerts_when_the_person_is_seen(door, ada, django_capture_on_commit_callbacks):
    bo = review_data.make_person("Bo", with_sample=False)
    AlertRule.objects.create(name="Ada is here", kind=AlertRule.PERSON_SEEN, person=ada)
    AlertRule.objects.create(name="Off", kind=AlertRule.PERSON_SEEN, person=ada, active=False)

    seen = _publish(django_capture_on_commit_callbacks, type=Event.VISIT_NAMED, occurred_at=timezone.now(),
                    camera=door, person=ada, score=0.8, visit_id=3)
    _publish(django_capture_on_commit_callbacks, type=Event.VISIT_NAMED, occurred_at=timezone.now(), person=bo)

    (alert,) = _alerts()
    assert (alert.person, alert.camera, alert.score, alert.data["cause"]["id"]) == (ada, door, 0.8, str(seen.id))
    assert alert.data["message"] == "Ada seen at Door"


def test_it_keeps_a_rule_quiet_for_its_cooldown(door, django_capture_on_commit_callbacks):
    quiet = AlertRule.objects.create(name="Door", kind=AlertRule.STRANGER_AT, camera=door, start_time=dt.time(0),
                                     end_time=dt.time(0), cooldown_minutes=10)
    every = AlertRule.objects.create(name="Every visit", kind=AlertRule.STRANGER_AT, start_time=dt.time(0),
                                     end_time=dt.time(0), cooldown_minutes=0)
    capture = django_capture_on_commit_callbacks

    for minute in (0, 5, 11, 6, 30):  # 12:06 comes late: within 10 minutes of 12:11, quiet too
        _stranger_at(capture, door, MONDAY, 12, minute)

    fired = [(a.data["rule"]["name"], a.occurred_at.minute) for a in _alerts()]
    assert [minute for name, minute in fired if name == "Door"] == [0, 11, 30]
    assert [minute for name, minute in fired if name == "Every visit"] == [0, 5, 11, 6, 30]
    quiet.refresh_from_db()
    every.refresh_from_db()
    assert quiet.last_fired_at == every.last_fired_at == review_data.at(MONDAY, 12, 30)


def test_it_keeps_a_person_seen_rule_quiet_for_its_cooldown(door, ada, django_capture_on_commit_callbacks):
    AlertRule.objects.create(name="Ada is here", kind=AlertRule.PERSON_SEEN, person=ada, cooldown_minutes=60)

    for hour, minute in ((8, 0), (8, 40), (9, 1)):
        _publish(django_capture_on_commit_callbacks, type=Event.VISIT_NAMED,
                 occurred_at=review_data.at(MONDAY, hour, minute), camera=door, person=ada)

    assert [a.occurred_at for a in _alerts()] == [review_data.at(MONDAY, 8), review_data.at(MONDAY, 9, 1)]


@pytest.fixture
def late_rule(ada):
    return AlertRule.objects.create(name="Ada late", kind=AlertRule.NOT_ARRIVED, person=ada, deadline=dt.time(9, 15),
                                    days=AlertRule.WEEKDAYS)


def test_it_alerts_once_when_the_person_has_not_arrived_by_the_deadline(late_rule, ada,
                                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts.alerts_not_arrived_check(now=review_data.at(MONDAY, 9, 10)) == []  # not yet
        (alert,) = alerts.alerts_not_arrived_check(now=review_data.at(MONDAY, 9, 16))
        assert alerts.alerts_not_arrived_check(now=review_data.at(MONDAY, 9, 17)) == []  # once a day
        assert len(alerts.alerts_not_arrived_check(now=review_data.at(MONDAY + dt.timedelta(days=1), 9, 30))) == 1

    assert (alert.person, alert.occurred_at) == (ada, review_data.at(MONDAY, 9, 15))
    assert alert.data["message"] == "Ada has not arrived by 09:15" and alert.data["cause"] is None


def test_it_does_not_alert_on_a_day_off_or_for_someone_who_arrived(late_rule, ada):
    assert alerts.alerts_not_arrived_check(now=review_data.at(SATURDAY, 10)) == []

    seen = review_data.at(MONDAY, 8, 50)
    AttendanceRecord.objects.create(person=ada, day=MONDAY, first_seen=seen, last_seen=seen)
    assert alerts.alerts_not_arrived_check(now=review_data.at(MONDAY, 9, 30)) == []


def test_it_pushes_the_alert_to_the_dashboard(ada, django_capture_on_commit_callbacks):
    AlertRule.objects.create(name="Ada is here", kind=AlertRule.PERSON_SEEN, person=ada)

    events, _ = faces_data.events_during(["dashboard"], lambda: _publish(
        django_capture_on_commit_callbacks, type=Event.VISIT_NAMED, occurred_at=timezone.now(), person=ada))

    pushed = [e["event"] for e in events["dashboard"] if e["type"] == "integration.event"]
    assert [e["type"] for e in pushed] == ["alert"]  # the visit's own event is not the dashboard's
    assert pushed[0]["data"]["message"] == "Ada seen" and pushed[0]["person"]["name"] == "Ada"


@pytest.mark.django_db(transaction=True)
def test_it_sends_the_alert_to_the_rules_destinations_only(celery_worker, receiver, ada):  # noqa: F811
    chosen = destination_for(receiver, name="Phone", event_types=[])
    everything = destination_for(receiver, name="Everything", event_types=webhooks.SUBSCRIBABLE)
    receiver.secret = chosen.secret
    rule = AlertRule.objects.create(name="Ada is here", kind=AlertRule.PERSON_SEEN, person=ada)
    rule.destinations.add(chosen)

    event_publish(type=Event.VISIT_NAMED, occurred_at=timezone.now(), person=ada)

    (alert,) = wait_until(_alerts, "the alert")
    delivery = wait_until(lambda: Delivery.objects.filter(event=alert, status="delivered").first(), "its delivery")
    assert delivery.destination == chosen
    assert not Delivery.objects.filter(event=alert, destination=everything).exists()
    body = receiver.unique[str(alert.id)]
    assert body["type"] == "alert" and body["data"]["rule"]["name"] == "Ada is here"
