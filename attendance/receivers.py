"""What attendance learns from identity's domain events (identity.events), each after identity's
commit: sightings widen a day, recounted faces and merges rebuild the days they touch, an
erased person leaves the dashboards (their rows went with them: the person FK cascades)."""

from django.dispatch import receiver

from attendance.register import days_counting, person_days_derive, visit_event_record, visit_recount
from attendance.services import attendance_mark, attendance_recompute_days, attendance_rows_push
from faceapp.clock import site_date
from identity import events
from identity.events import Recount, Sighting


@receiver(events.visit_opened, dispatch_uid="attendance-visit-opened")
@receiver(events.visit_named, dispatch_uid="attendance-visit-named")
@receiver(events.visit_ended, dispatch_uid="attendance-visit-ended")
def sighting_seen(*, sighting: Sighting, signal, **kwargs) -> None:
    attendance_mark(person_ids=[sighting.person_id], seen_at=sighting.seen_at, camera_id=sighting.camera_id)
    visit_event_record(person_id=sighting.person_id, seen_at=sighting.seen_at, camera_id=sighting.camera_id,
                       log_id=sighting.log_id, end=signal is events.visit_ended)


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
