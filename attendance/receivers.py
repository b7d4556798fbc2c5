"""What attendance learns from identity's domain events (identity.events), each after identity's
commit: sightings widen a day, recounted faces and merges rebuild the days they touch, an
erased person leaves the dashboards (their rows went with them: the person FK cascades), and
their face leaves the roll calls' photos (before the rows go, in the erasure's transaction).

A camera track's sighting comes from the live worker's frame loop, which must not wait on the
register (its events, the days derived, the group's counts pushed): it is queued as a task of
the default workers, and recorded here only when the broker is away (late rather than lost).
A photo's sighting already comes from a worker's task: it is recorded at once."""

from django.db.models.signals import pre_delete
from django.dispatch import receiver

from attendance.rollcall import roll_call_faces_forget
from attendance.register import days_counting, person_days_derive, sighting_record, visit_recount
from attendance.services import attendance_recompute_days, attendance_rows_push
from attendance.tasks import sighting_record_task
from faceapp.clock import site_date
from identity import events
from identity.events import Recount, Sighting
from identity.models import Person
from identity.services.queueing import task_enqueue


@receiver(events.visit_opened, dispatch_uid="attendance-visit-opened")
@receiver(events.visit_named, dispatch_uid="attendance-visit-named")
@receiver(events.visit_ended, dispatch_uid="attendance-visit-ended")
def sighting_seen(*, sighting: Sighting, signal, **kwargs) -> None:
    end = signal is events.visit_ended
    if sighting.tracked and task_enqueue(
            sighting_record_task, sighting.person_id, sighting.seen_at.isoformat(), sighting.camera_id,
            sighting.log_id, end):
        return
    sighting_record(person_id=sighting.person_id, seen_at=sighting.seen_at, camera_id=sighting.camera_id,
                    log_id=sighting.log_id, end=end)


@receiver(events.faces_recounted, dispatch_uid="attendance-faces-recounted")
def faces_recounted(*, recounts: tuple[Recount, ...], **kwargs) -> None:
    pairs = {(person_id, site_date(recount.seen_at)) for recount in recounts
             for person_id in (recount.before_person_id, recount.after_person_id) if person_id is not None}
    attendance_recompute_days(pairs=pairs)
    for recount in recounts:
        visit_recount(log_id=recount.log_id, seen_at=recount.seen_at, before_person_id=recount.before_person_id,
                      after_person_id=recount.after_person_id)


@receiver(events.person_merged, dispatch_uid="attendance-person-merged")
def person_merged(*, from_person_id: int, into_person_id: int, days, **kwargs) -> None:
    attendance_recompute_days(pairs={(into_person_id, day) for day in days})
    person_days_derive(person_id=into_person_id, days={on for day in days for on in days_counting(day)})
    attendance_rows_push(person_ids=[from_person_id], day=site_date())  # gone from today's lists


@receiver(events.person_erased, dispatch_uid="attendance-person-erased")
def person_erased(*, person_id: int, **kwargs) -> None:
    attendance_rows_push(person_ids=[person_id], day=site_date())


@receiver(pre_delete, sender=Person, dispatch_uid="attendance-roll-call-faces-forget")
def roll_call_faces_erased(*, instance: Person, **kwargs) -> None:
    """Inside identity's erasure (person.delete()): a failure here rolls the erasure back, never half done."""
    roll_call_faces_forget(person_id=instance.pk)
