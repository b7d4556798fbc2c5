"""Attendance's e-mail against a real SMTP server on 127.0.0.1 (aiosmtpd, tests/smtp_server.py):
each group's daily digest to its responsible users and the absence notice to a person's
contacts, each sent once however often the scheduler runs and the day is derived again; a
refused message tried again; without FACEAPP_EMAIL_HOST nothing is sent and the log has it."""

import json
import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from attendance import rules
from attendance.corrections import day_mark
from attendance.digest import digests_due
from attendance.models import AttendanceEvent, Contact, Notice
from attendance.notices import RETRY_AFTER, contact_notices_send
from attendance.register import person_day_derive, register_due
from attendance.tasks import notices_due_task
from faceapp.celery import app
from tests.attendance_data import FRIDAY, at, morning_class, seen
from tests.review_data import make_person
from tests.smtp_server import SmtpServer, smtp_settings

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_on(smtp, settings):
    smtp_settings(settings, smtp)
    return smtp


def scheduler(now) -> int:
    """One minute of celery beat: the register's due days, then the mail that is due."""
    register_due(now=now)
    return contact_notices_send(now=now) + digests_due(now=now)


@pytest.fixture
def class_day(django_user_model, admin_user):
    """4B on Friday: Ada absent, Bea late, Cy left early, Dan excused, Eve on time; two teachers."""
    people = {name: make_person(name) for name in ("Ada", "Bea", "Cy", "Dan", "Eve")}
    teacher = django_user_model.objects.create_user(username="teacher", email="teacher@school.example")
    no_mail = django_user_model.objects.create_user(username="helper")  # responsible, without an address
    group = morning_class(members=people.values(), responsible=[teacher, no_mail], notify_contacts=True)
    seen(people["Bea"], at(FRIDAY, 8, 17))
    seen(people["Bea"], at(FRIDAY, 11, 59))
    seen(people["Cy"], at(FRIDAY, 7, 55))
    seen(people["Cy"], at(FRIDAY, 10, 30), AttendanceEvent.OUT)
    seen(people["Eve"], at(FRIDAY, 7, 59))
    seen(people["Eve"], at(FRIDAY, 12))
    day_mark(person=people["Dan"], day=FRIDAY, status=rules.EXCUSED, actor=admin_user, reason="dentist")
    return group, people


def test_it_mails_each_groups_digest_once_after_its_last_session(mail_on, class_day, committed):
    group, people = class_day
    with committed():
        for now in (at(FRIDAY, 8, 31), at(FRIDAY, 11, 59)):
            scheduler(now)
    assert mail_on.to("teacher@school.example") == []  # the session lasts until 12:00

    with committed():
        sent = [scheduler(at(FRIDAY, 12, 1)), scheduler(at(FRIDAY, 12, 2))]
        person_day_derive(person_id=people["Bea"].pk, day=FRIDAY, now=at(FRIDAY, 12, 3))  # derived again
        sent.append(scheduler(at(FRIDAY, 12, 30)))

    (digest,) = mail_on.to("teacher@school.example")
    assert sent == [1, 0, 0]
    assert digest.recipients == ["teacher@school.example"] and digest.sender == "register@school.example"
    assert digest.subject == "4B, Fri 23 Oct 2026: 1 absent, 1 late"
    assert digest.text.splitlines()[:12] == [
        "4B: Friday 23 October 2026",
        "",
        "Expected 5, present 1, late 1, left early 1, absent 1, excused 1.",
        "",
        "Absent (1)",
        "  - Ada",
        "",
        "Late (1)",
        "  - Bea: 17 min late, in at 08:17",
        "",
        "Left early (1)",
        "  - Cy: 90 min early, out at 10:30",
    ]
    assert "  - Dan: marked by hand" in digest.text
    assert "<li>Bea: 17 min late, in at 08:17</li>" in digest.html


def test_it_mails_the_absence_notice_to_the_contacts_once(mail_on, class_day, committed):
    group, people = class_day
    Contact.objects.create(person=people["Ada"], name="Mother", email="mother@home.example")
    Contact.objects.create(person=people["Ada"], name="Father", email="father@home.example")
    Contact.objects.create(person=people["Bea"], name="Bea's mother", email="bea.mother@home.example")  # late only
    frank = make_person("Frank")
    Contact.objects.create(person=frank, name="Frank's father", email="frank.father@home.example")
    morning_class("Choir", members=[frank, people["Ada"]])  # does not notify contacts

    with committed():
        for now in (at(FRIDAY, 8, 31), at(FRIDAY, 8, 32), at(FRIDAY, 9)):
            scheduler(now)
        person_day_derive(person_id=people["Ada"].pk, day=FRIDAY, now=at(FRIDAY, 9, 5))
        scheduler(at(FRIDAY, 9, 6))

    to_parents = [message for message in mail_on.received if "teacher@school.example" not in message.recipients]
    (notice,) = to_parents
    assert sorted(notice.recipients) == ["father@home.example", "mother@home.example"]
    assert notice.subject == "Ada: absent on Friday 23 October 2026"
    assert "Ada was absent from 4B on Friday 23 October 2026 and has not been excused." in notice.text
    assert Notice.objects.get(kind=Notice.CONTACTS).sent_at is not None


def test_it_tries_a_refused_message_again_later_and_sends_it_once(mail_on, class_day, committed):
    group, people = class_day
    Contact.objects.create(person=people["Ada"], name="Mother", email="mother@home.example")
    mail_on.refusing = True
    with committed():
        scheduler(at(FRIDAY, 8, 31))
    notice = Notice.objects.get(kind=Notice.CONTACTS)
    assert (notice.sent_at, notice.attempts, notice.last_error[:22]) == (None, 1, "SMTPDataError: (451, b")

    mail_on.refusing = False
    assert contact_notices_send(now=at(FRIDAY, 8, 32)) == 0  # the attempt's pause is not over
    later = at(FRIDAY, 8, 31) + RETRY_AFTER
    assert [contact_notices_send(now=later), contact_notices_send(now=later)] == [1, 0]
    assert len(mail_on.to("mother@home.example")) == 1


def test_it_writes_mail_to_the_log_and_sends_nothing_without_an_smtp_host(smtp, class_day, settings, caplog,
                                                                          committed):
    group, people = class_day
    Contact.objects.create(person=people["Ada"], name="Mother", email="mother@home.example")
    # What settings.py makes of an environment without FACEAPP_EMAIL_HOST (next test), a server at hand.
    settings.FACEAPP_EMAIL_HOST, settings.EMAIL_BACKEND = "", "attendance.mail.LogBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port

    with caplog.at_level(logging.INFO, logger="attendance.mail"), committed():
        scheduler(at(FRIDAY, 8, 31))
        scheduler(at(FRIDAY, 12, 1))

    assert smtp.received == []
    logged = [record.getMessage() for record in caplog.records if record.name == "attendance.mail"]
    assert len(logged) == 2
    assert logged[0].startswith("e-mail is off (FACEAPP_EMAIL_HOST is not set): this message went to the log, "
                                "not to mother@home.example\nSubject: Ada: absent on Friday 23 October 2026")
    assert "not to teacher@school.example\nSubject: 4B, Fri 23 Oct 2026" in logged[1]


def _mail_settings(**env: str) -> list:
    environment = {name: value for name, value in os.environ.items() if not name.startswith("FACEAPP_EMAIL_")}
    code = ("import json; from faceapp import settings as s; print(json.dumps([s.EMAIL_BACKEND, s.EMAIL_HOST, "
            "s.EMAIL_PORT, s.EMAIL_USE_TLS, s.EMAIL_HOST_USER, s.EMAIL_HOST_PASSWORD, s.DEFAULT_FROM_EMAIL]))")
    done = subprocess.run([sys.executable, "-c", code], env={**environment, **env}, capture_output=True, text=True,
                          cwd=django_settings.BASE_DIR, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_it_reads_the_smtp_settings_from_the_environment():
    assert _mail_settings()[0] == "attendance.mail.LogBackend"
    assert _mail_settings(
        FACEAPP_EMAIL_HOST="smtp.school.example", FACEAPP_EMAIL_USE_TLS="1", FACEAPP_EMAIL_USER="register",
        FACEAPP_EMAIL_PASSWORD="pw", FACEAPP_EMAIL_FROM="register@school.example",
    ) == ["django.core.mail.backends.smtp.EmailBackend", "smtp.school.example", 587, True, "register", "pw",
          "register@school.example"]
    assert _mail_settings(FACEAPP_EMAIL_HOST="127.0.0.1", FACEAPP_EMAIL_PORT="2525")[1:4] == ["127.0.0.1", 2525, False]


def test_it_schedules_the_mail_that_is_due_every_minute(settings):
    entry = next(entry for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] == "attendance.notices_due")
    assert entry["schedule"] == 60
    app.loader.import_default_modules()  # as a worker starts: the apps' tasks modules
    assert app.tasks["attendance.notices_due"].run is notices_due_task.run
