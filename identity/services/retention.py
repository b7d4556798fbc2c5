"""Retention: recognition data leaves the disk and the database on schedule.

- Snapshots older than FACEAPP_KEEP_SNAPSHOTS_DAYS: the image file is deleted and the field
  blanked. A snapshot that still has match logs keeps its row, because its logs are the
  attendance evidence and the review history (MatchLog.snapshot cascades); one without logs
  (no face found, failed) is deleted outright.
- Match logs older than FACEAPP_KEEP_CROPS_DAYS: the crop file is deleted, the field blanked
  and the embedding cleared; the row (who, when, where, the review) stays and holds no
  biometric data any more.
- Strangers (ProvisionalIdentity never promoted, not seen for FACEAPP_KEEP_STRANGERS_DAYS):
  their logs' crops and embeddings are erased as above (except faces a reviewer gave to a
  person: those follow the crop rule), their faces are blacked out in the snapshots they
  share and in other visits' evidence frames (a snapshot of them alone loses its image),
  their events and every Redis copy of their label go (identity.services.erasure), and the
  row is deleted.
A setting of 0 keeps that kind of data forever. Each file is deleted before its field is
blanked, so an interrupted purge leaves a row pointing at nothing rather than an orphan file.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from identity.events import Recount, faces_recounted, send_on_commit
from identity.models import MatchLog, ProvisionalIdentity, Snapshot
from identity.selectors import effective_person_id
from identity.services.erasure import embeddings_of, frames_redact, redis_forget, snapshots_redact
from identity.services.files import file_names, files_delete
from identity.services.logged_faces import logged_files_remove
from identity.services.recognizer import strangers_changed
from integrations.events import events_forget


def _erase_log_biometrics(logs) -> int:
    count = 0
    for log in logs.filter(~Q(crop="") | ~Q(embedding=b"")).only("id", "crop").iterator():
        files_delete(file_names(log.crop))
        MatchLog.objects.filter(pk=log.pk).update(crop="", embedding=b"")
        count += 1
    if count:  # the logged-face files hold their embeddings: gone now, rebuilt on the next search
        transaction.on_commit(logged_files_remove)
    return count


def _cutoff(now: dt.datetime, days: int) -> dt.datetime | None:
    return now - dt.timedelta(days=days) if days > 0 else None


def purge_expired(*, now: dt.datetime | None = None, dry_run: bool = False) -> dict:
    """Erase what has outlived its retention period; returns counts per kind of data."""
    now = now or timezone.now()
    counts = {"snapshot_images": 0, "snapshots_deleted": 0, "log_crops": 0, "strangers": 0, "stranger_log_crops": 0}

    snapshots_before = _cutoff(now, settings.FACEAPP_KEEP_SNAPSHOTS_DAYS)
    if snapshots_before:
        old = Snapshot.objects.filter(received_at__lt=snapshots_before)
        without_logs = old.filter(logs__isnull=True)
        with_image = old.exclude(image="").filter(logs__isnull=False).distinct()
        counts["snapshots_deleted"] = without_logs.count()
        counts["snapshot_images"] = with_image.count()
        if not dry_run:
            for snapshot in with_image.only("id", "image").iterator():
                files_delete(file_names(snapshot.image))
                Snapshot.objects.filter(pk=snapshot.pk).update(image="")
            for snapshot in without_logs.only("id", "image").iterator():
                files_delete(file_names(snapshot.image))
                snapshot.delete()

    strangers_before = _cutoff(now, settings.FACEAPP_KEEP_STRANGERS_DAYS)
    if strangers_before:
        strangers = ProvisionalIdentity.objects.filter(last_seen__lt=strangers_before, promoted_to__isnull=True)
        counts["strangers"] = strangers.count()
        # A face of theirs that a reviewer gave to a person is that person's evidence now.
        stranger_logs = MatchLog.objects.filter(provisional__in=strangers, reviewed_person__isnull=True)
        if dry_run:
            counts["stranger_log_crops"] = stranger_logs.filter(~Q(crop="") | ~Q(embedding=b"")).count()
        else:
            labels = []
            for stranger in strangers.iterator():
                logs = stranger_logs.filter(provisional=stranger)
                frames_redact(logs=logs, embeddings=embeddings_of(logs))  # before their embeddings go
                snapshots_redact(logs=logs, keep_rows=True)
                counts["stranger_log_crops"] += _erase_log_biometrics(logs)
                events_forget(provisional=[stranger.label])
                labels.append(stranger.label)
                stranger.delete()
            if counts["strangers"]:
                strangers_changed()  # their embeddings leave every process's memory too
                transaction.on_commit(lambda: redis_forget(texts=labels))

    crops_before = _cutoff(now, settings.FACEAPP_KEEP_CROPS_DAYS)
    if crops_before:
        old_logs = MatchLog.objects.filter(created_at__lt=crops_before)
        if dry_run:
            counts["log_crops"] = old_logs.filter(~Q(crop="") | ~Q(embedding=b"")).count()
        else:
            counts["log_crops"] = _erase_log_biometrics(old_logs)
    return counts


def snapshot_erase(*, snapshot: Snapshot) -> None:
    """Delete a snapshot with its image, its logs and their crops; their faces count for nobody
    any more (identity.events.faces_recounted: attendance follows)."""
    recounts = []
    for log in snapshot.logs.all():
        person_id = effective_person_id(log)
        if person_id is not None:
            recounts.append(Recount(log_id=log.pk, seen_at=log.created_at, camera_id=snapshot.camera_id,
                                    before_person_id=person_id, after_person_id=None))
        files_delete(file_names(log.crop))
    files_delete(file_names(snapshot.image))
    transaction.on_commit(logged_files_remove)  # its logs' embeddings are in them
    with transaction.atomic():
        snapshot.delete()
        if recounts:
            send_on_commit(faces_recounted, recounts=tuple(recounts))



