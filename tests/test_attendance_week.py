"""A week of the register on real faces through the live recognizer (issue 22, "Must show"):
a school class of two sessions a day and a night shift that crosses midnight, in
Europe/Berlin across the end of summer time (Sunday 2026-10-25, 03:00 -> 02:00). The sightings'
times are set by the test; each day's status, minutes late, minutes early and minutes on site
must equal the table written by hand below: on time, late within grace, late, left early,
absent, excused by a planned absence, a holiday, a forgotten OUT, an entry and an exit camera,
a manual mark that survives recomputation, and a review that moves a visit to someone else.
The visits' attendance is recorded by a real Celery worker, as the live worker queues it."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from attendance import rules
from attendance.corrections import day_mark
from attendance.models import (
    AttendanceCode, AttendanceEvent, CameraRole, Closure, Group, PlannedAbsence, RegisterDay, Schedule, ScheduleSession,
)
from attendance.register import day_derive_all
from identity.models import Camera, MatchLog, Person
from identity.services import enrolment, live, review
from tests import faces_data, live_data
from tests.celery_workers import tasks_done
from tests.review_data import ENROLLED_AT, make_person
from tests.waiting import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_live_state")]

BERLIN = ZoneInfo("Europe/Berlin")
FRAME_SECONDS = 0.2
FRAMES = 12  # a visit: this many frames of the face
GONE_FRAMES = 20  # then nobody for 4 s: past the tracker's 3 s the track ends, and the visit with it
WED, THU, FRI, SAT, SUN, MON, TUE = (dt.date(2026, 10, 21) + dt.timedelta(days=n) for n in range(7))
WEEK = (WED, THU, FRI, SAT, SUN, MON, TUE)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    settings.FACEAPP_VISIT_COOLDOWN_SECONDS = 30.0


@pytest.fixture
def cameras():
    made = {}
    for name, role in (("Entrance", CameraRole.ENTRY), ("Exit", CameraRole.EXIT), ("Hall", CameraRole.PRESENCE)):
        made[name] = Camera.objects.create(name=name)
        CameraRole.objects.create(camera=made[name], role=role)
    return made


@pytest.fixture
def bea(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        person, (sample,) = enrolment.person_enroll(
            name="Bea Night", code="BN", consent=True, photos=[("b1.jpg", faces_data.photo("lfw_person_b_1.jpg"))])
    assert enrolment.sample_process(sample_id=sample.pk).status == "accepted"
    return person


def seen(camera: Camera, photo: str, first: dt.datetime | None = None, *, last: dt.datetime | None = None,
         committed) -> None:
    """One visit of the face in `photo` at `camera`: first sighting at `first` (or last one at `last`)."""
    if first is None:
        first = last - dt.timedelta(seconds=(FRAMES - 1) * FRAME_SECONDS)
    start = first.timestamp()
    with committed():
        for index in range(FRAMES):
            jpeg = live_data.scene_jpeg(photo, x=150 + 2 * index)
            assert live.live_frame_process(camera_id=camera.pk, captured_at=start, jpeg=jpeg)
            start += FRAME_SECONDS
        for _ in range(GONE_FRAMES):  # the person left: the track ends, the visit with it
            assert live.live_frame_process(camera_id=camera.pk, captured_at=start, jpeg=live_data.scene_jpeg(None))
            start += FRAME_SECONDS
    wait_until(tasks_done, "the worker to record the visit")


@pytest.fixture
def register_worker(aaron, bea, empty_broker, request):
    """A real worker for the sightings the live path queues, started once the people are enrolled."""
    return request.getfixturevalue("celery_worker")


def school_class() -> Group:
    """4B: Monday to Friday 08:00-12:00 and 13:00-15:00; 5 minutes' grace, absent after 30."""
    group = Group.objects.create(name="4B")
    schedule = Schedule.objects.create(group=group, starts_on=dt.date(2026, 9, 1), grace_late=5, grace_early=5,
                                       absent_after=30, checkin_before=30)
    for weekday in range(5):
        ScheduleSession.objects.create(schedule=schedule, weekday=weekday, start=dt.time(8), end=dt.time(12))
        ScheduleSession.objects.create(schedule=schedule, weekday=weekday, start=dt.time(13), end=dt.time(15))
    return group


def night_shift() -> Group:
    """Friday and Saturday nights 22:00-06:00; 10 minutes' grace; a forgotten OUT closed at the last sighting."""
    group = Group.objects.create(name="Night shift", kind=Group.DEPARTMENT)
    schedule = Schedule.objects.create(group=group, starts_on=dt.date(2026, 9, 1), grace_late=10, grace_early=10,
                                       absent_after=60, checkin_before=60, checkout_after=120,
                                       close_out=rules.CLOSE_AT_LAST_SIGHTING)
    for weekday in (FRI.weekday(), SAT.weekday()):
        ScheduleSession.objects.create(schedule=schedule, weekday=weekday, start=dt.time(22), end=dt.time(6),
                                       overnight=True)
    return group


# (person, group, day) -> (status, minutes late, minutes early, minutes on site, forgotten OUT), by hand.
EXPECTED = {
    ("Aaron Peirsol", "4B", WED): (rules.PRESENT, 0, 0, 427, False),  # IN 07:55, OUT 15:02
    ("Aaron Peirsol", "4B", THU): (rules.LEFT_EARLY, 0, 40, 376, False),  # IN 08:04 (grace), OUT 14:20
    ("Aaron Peirsol", "4B", FRI): (rules.LATE, 17, 0, 404, False),  # IN 08:17, OUT 15:01
    ("Aaron Peirsol", "4B", MON): (rules.PRESENT, 0, 0, 422, True),  # IN 07:58 (winter time), no OUT: closed 15:00
    ("Aaron Peirsol", "4B", TUE): (rules.HOLIDAY, 0, 0, 0, False),  # the class's autumn day off
    ("Cem Away", "4B", WED): (rules.ABSENT, 0, 0, 0, False),
    ("Cem Away", "4B", THU): (rules.EXCUSED, 0, 0, 0, False),  # planned absence Thursday-Friday
    ("Cem Away", "4B", FRI): (rules.EXCUSED, 0, 0, 0, False),
    ("Cem Away", "4B", MON): (rules.PRESENT, 0, 0, 0, False),  # marked by hand: a school trip
    ("Cem Away", "4B", TUE): (rules.HOLIDAY, 0, 0, 0, False),
    ("Bea Night", "Night shift", WED): (rules.NOT_EXPECTED, 0, 0, 0, False),  # the Hall visit a review gave her
    ("Bea Night", "Night shift", FRI): (rules.LATE, 25, 0, 455, False),  # IN 22:25, OUT Saturday 06:00
    ("Bea Night", "Night shift", SAT): (rules.PRESENT, 0, 0, 555, False),  # 21:50 to Sunday 06:05: 9 h 15 min
}


def test_it_derives_a_week_of_two_groups_as_the_table_says(aaron, bea, register_worker, cameras, committed,
                                                            admin_user, media_root):
    entrance, exit_, hall = cameras["Entrance"], cameras["Exit"], cameras["Hall"]
    school, night = school_class(), night_shift()
    cem = make_person("Cem Away", "CA", with_sample=False)
    Person.objects.filter(pk__in=[aaron.pk, bea.pk]).update(created_at=ENROLLED_AT)  # before term began
    school.members.add(aaron, cem)
    night.members.add(bea)
    sick = AttendanceCode.objects.create(label="Sick", category=AttendanceCode.EXCUSED_ABSENCE)
    trip = AttendanceCode.objects.create(label="Trip", category=AttendanceCode.PRESENT)
    PlannedAbsence.objects.create(person=cem, first_day=THU, last_day=FRI, code=sick, reason="flu")
    closure = Closure.objects.create(name="Autumn day", first_day=TUE, last_day=TUE)
    closure.groups.add(school)

    aaron_face, bea_face = "lfw_person_a_2.jpg", "lfw_person_b_1.jpg"
    seen(entrance, aaron_face, at(WED, 7, 55), committed=committed)
    seen(hall, aaron_face, at(WED, 12, 30), committed=committed)  # a visit the review moves to Bea
    seen(exit_, aaron_face, last=at(WED, 15, 2), committed=committed)
    seen(entrance, aaron_face, at(THU, 8, 4), committed=committed)
    seen(exit_, aaron_face, last=at(THU, 14, 20), committed=committed)
    seen(entrance, aaron_face, at(FRI, 8, 17), committed=committed)
    seen(exit_, aaron_face, last=at(FRI, 15, 1), committed=committed)
    seen(entrance, aaron_face, at(MON, 7, 58), committed=committed)
    seen(entrance, bea_face, at(FRI, 22, 25), committed=committed)
    seen(exit_, bea_face, last=at(SAT, 6, 0), committed=committed)
    seen(entrance, bea_face, at(SAT, 21, 50), committed=committed)
    seen(exit_, bea_face, last=at(SUN, 6, 5), committed=committed)

    hall_visit = MatchLog.objects.get(snapshot__camera=hall)
    assert hall_visit.person == aaron  # named by the recognizer; the reviewer says it was Bea
    with committed():
        review.log_reassign(log=hall_visit, person=bea, user=admin_user)
    day_mark(person=cem, day=MON, status=rules.PRESENT, code=trip, reason="school trip", actor=admin_user)
    for day in WEEK:  # the scheduler's recomputation, after the mark: the mark survives it
        day_derive_all(day=day)

    derived = {(row.person.name, row.group.name if row.group else None, row.day):
               (row.status, row.minutes_late, row.minutes_early, row.minutes_on_site, row.forgotten_out)
               for row in RegisterDay.objects.select_related("person", "group").filter(day__in=WEEK)}
    assert derived == EXPECTED
    assert RegisterDay.objects.get(person=cem, day=MON).code == trip
    assert RegisterDay.objects.get(person=cem, day=THU).code == sick
    moved = AttendanceEvent.objects.filter(log_id=hall_visit.pk)
    assert [(event.person, event.voided_at is not None) for event in moved.order_by("id")] == [
        (aaron, True), (aaron, True), (bea, False), (bea, False)]  # a presence visit: SEEN at both ends
    # 08:00 local is 06:00 UTC before the change and 07:00 UTC after it: Monday's 07:58 arrival is on time.
    assert RegisterDay.objects.get(person=aaron, day=MON).first_in == at(MON, 7, 58)
