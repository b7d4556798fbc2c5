"""Roll call from one class photo: a responsible user uploads a photo for a group's session (or
an operator for a chosen list of people), a worker finds and names its faces (identity.services.photo_names: nothing is recorded, no visit
opens), the user confirms or corrects each face, and "mark present" writes one ROLL_CALL event
per member counted, once (a second mark writes nothing more), each one audit entry. "Members"
are the group's, or the people chosen (expected_people)."""

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from attendance.corrections import day_check, day_statuses, mark_detail
from attendance.models import AttendanceEvent, Group, RollCall, RollCallFace, ScheduleSession
from attendance.register import person_day_derive
from attendance.rule_selectors import schedule_in_force
from audit.models import AuditEntry
from audit.services import audit_record
from faceapp.clock import site_date
from identity.face_engine import get_face_engine
from identity.models import Person
from identity.services.erasure import image_redact
from identity.services.failure_words import failure_words
from identity.services.files import file_bytes
from identity.services.photo_names import NAMED, photo_faces_name
from identity.services.queueing import stale_requeue, task_enqueue
from identity.services.uploads import ImageInput, image_check, image_read
from identity.vision import ImageError

logger = logging.getLogger(__name__)


def sessions_of_day(*, group: Group, day: dt.date) -> list[ScheduleSession]:
    """The group's sessions on `day` (its schedule in force then), in order."""
    schedule = schedule_in_force(group=group, day=day)
    return list(schedule.sessions.filter(weekday=day.weekday())) if schedule else []


def session_start(*, session: ScheduleSession, day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, session.start))


def expected_people(roll_call: RollCall):
    """Whom the roll call is for: the group's members, or the people chosen."""
    return roll_call.group.members.all() if roll_call.group_id else roll_call.people.all()


def _whom(roll_call: RollCall) -> str:
    return roll_call.group.name if roll_call.group_id else "the roll call's list"


def roll_call_create(*, group: Group | None, day: dt.date, session: ScheduleSession | None, image: ImageInput,
                     actor, people: list[Person] = ()) -> RollCall:
    """For a group, or (no group) the `people` chosen. Check the photo cheaply (ImageError names
    the problem), store it privately and queue its reading after commit. The members will count
    as seen at the session's start (none: now)."""
    from attendance.tasks import roll_call_read_task  # tasks import the services

    if group is None and not people:
        raise ValidationError("A roll call is for a group or a list of people: choose one.")
    if group is None and session is not None:
        raise ValidationError("A session is a group's: a roll call for a list of people has none.")
    if day > site_date():
        raise ValidationError(f"{day} is in the future: a roll call is taken on the day, or after it.")
    if session is not None and session not in sessions_of_day(group=group, day=day):
        raise ValidationError(f"That session is not one of {group.name}'s on {day:%A %Y-%m-%d}.")
    data = image_read(image)
    extension, width, height = image_check(data)
    at = session_start(session=session, day=day) if session else _moment_of(day)
    roll_call = RollCall(group=group, day=day, session=session, at=at, width=width, height=height,
                         created_by=actor if actor and actor.pk else None)
    roll_call.photo.save(f"rollcall.{extension}", ContentFile(data), save=False)
    roll_call.save()
    roll_call.people.set(people if group is None else [])
    transaction.on_commit(lambda: task_enqueue(roll_call_read_task, roll_call.pk))
    return roll_call


def _moment_of(day: dt.date) -> dt.datetime:
    """When a roll call with no session saw its members: now, or on an earlier day (the photo's
    hour unknown) that day's noon, so that they count on the day the roll call is for."""
    if day == site_date():
        return timezone.now()
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)), timezone.get_default_timezone())


def roll_call_read(*, roll_call_id: int) -> RollCall | None:
    """The worker's job: every face found, numbered largest first, named or not; a face named
    as a member counts for them. Idempotent: a roll call read already is left as it is."""
    roll_call = RollCall.objects.filter(pk=roll_call_id, status=RollCall.PENDING).first()
    if roll_call is None:
        return None
    try:
        pixels = get_face_engine().load_image(file_bytes(roll_call.photo))
        faces = photo_faces_name(pixels=pixels)
    except (ImageError, FileNotFoundError) as error:
        return _failed(roll_call_id, failure_words(error))
    except Exception as error:  # the engine itself failed: said on the page, once, rather than read for ever
        logger.exception("roll call %s: reading its photo failed", roll_call_id)
        return _failed(roll_call_id, f"reading failed: {failure_words(error)}")
    members = set(expected_people(roll_call).values_list("pk", flat=True))
    # A task delivered twice: the row lock lets one delivery write the faces, once.
    with transaction.atomic():
        roll_call = RollCall.objects.select_for_update().get(pk=roll_call_id)
        if roll_call.status != RollCall.PENDING:
            return roll_call
        RollCallFace.objects.bulk_create([
            RollCallFace(roll_call=roll_call, number=number, box=list(face.box), size_px=face.size_px,
                         decision=face.decision, found_id=face.person_id, similarity=face.similarity,
                         person_id=face.person_id if face.decision == NAMED and face.person_id in members else None)
            for number, face in enumerate(faces, start=1)
        ])
        roll_call.status, (roll_call.height, roll_call.width) = RollCall.DONE, pixels.shape[:2]  # as decoded: turned upright
        roll_call.save(update_fields=["status", "width", "height"])
    return roll_call


def roll_calls_requeue_stale(*, older_than: dt.timedelta) -> list[int]:
    """Queue again the roll calls still being read `older_than` after they were taken (queued
    while the broker was away, or their worker died). Returns the ids."""
    from attendance.tasks import roll_call_read_task  # tasks import the services

    stale = RollCall.objects.filter(status=RollCall.PENDING, created_at__lt=timezone.now() - older_than)
    return stale_requeue(task=roll_call_read_task, object_ids=list(stale.values_list("pk", flat=True)[:1000]),
                         older_than_seconds=int(older_than.total_seconds()), what="roll call")


def _failed(roll_call_id: int, error: str) -> None:
    RollCall.objects.filter(pk=roll_call_id, status=RollCall.PENDING).update(status=RollCall.FAILED, error=error[:300])


def roll_call_face_set(*, face: RollCallFace, person: Person | None, actor) -> RollCallFace:
    """The user's word on one face: it is `person` (a member), or (None) no member of the group."""
    roll_call = face.roll_call
    if roll_call.marked_at is not None:
        raise ValidationError("This roll call is marked already: correct the day in the register instead.")
    if person is not None:
        if not expected_people(roll_call).filter(pk=person.pk).exists():
            raise ValidationError(f"{person.name} is not in {_whom(roll_call)}.")
        other = roll_call.faces.filter(person=person).exclude(pk=face.pk).first()
        if other is not None:
            raise ValidationError(f"{person.name} is face {other.number} already: one person, one face.")
    face.person, face.confirmed_by = person, actor if actor and actor.pk else None
    face.save(update_fields=["person", "confirmed_by"])
    return face


def roll_call_mark(*, roll_call: RollCall, actor) -> list[AttendanceEvent]:
    """Mark present every member a face counts for: one ROLL_CALL event each at the roll call's
    moment, their day derived again, one audit entry each. Marking again writes nothing more
    (its faces are settled once marked)."""
    if roll_call.status != RollCall.DONE:
        raise ValidationError("The photo is not read yet.")
    day, group, written = roll_call.day, roll_call.group, []
    # Two clicks (or two users) at once: the roll call's row lock lets one write each member's event.
    with transaction.atomic():
        RollCall.objects.select_for_update().filter(pk=roll_call.pk).first()
        marked = set(roll_call.events.filter(voided_at__isnull=True).values_list("person_id", flat=True))
        counted = expected_people(roll_call).filter(
            pk__in=roll_call.faces.filter(person__isnull=False).values("person_id")).exclude(pk__in=marked).order_by("name")
        for person in counted:
            day_check(person=person, day=day)
            before = day_statuses(person.pk, day)
            written.append(AttendanceEvent.objects.create(
                person=person, at=roll_call.at, kind=AttendanceEvent.ROLL_CALL, day=day, group=group,
                roll_call=roll_call, created_by=actor if actor and actor.pk else None))
            person_day_derive(person_id=person.pk, day=day)
            audit_record(actor=actor, action=AuditEntry.ATTENDANCE_MARKED, person=person,
                         target=group.name if group else "",
                         detail=mark_detail(day, before, day_statuses(person.pk, day), None,
                                            f"roll call {roll_call.pk}"))
        roll_call.marked_at = timezone.now()
        RollCall.objects.filter(pk=roll_call.pk).update(marked_at=roll_call.marked_at)
    return written


def roll_call_faces_forget(*, person_id: int) -> int:
    """A person erased: their face blacked out of every roll-call photo it is in (the file is
    rewritten: the old pixels are gone) and the faces naming them deleted. Returns the faces."""
    faces = list(RollCallFace.objects.filter(Q(found_id=person_id) | Q(person_id=person_id))
                 .select_related("roll_call"))
    for roll_call in {face.roll_call for face in faces}:
        image_redact(field_file=roll_call.photo, boxes=[face.box for face in faces if face.roll_call == roll_call])
    RollCallFace.objects.filter(pk__in=[face.pk for face in faces]).delete()
    return len(faces)
