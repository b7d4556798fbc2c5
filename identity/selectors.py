"""Reads for the pages that are not plain queries: a snapshot's faces, each camera's live
status (from what the readers and live workers publish in Redis)."""

from identity.models import Camera, MatchLog, Snapshot
from identity.presenters import camera_status, snapshot_payload
from identity.services.frames import frame_counts, live_stats, reader_status


def camera_statuses(*, cameras: list[Camera]) -> dict[int, dict]:
    return {
        camera.pk: camera_status(
            camera=camera, reader=reader_status(camera_id=camera.pk), live=live_stats(camera_id=camera.pk),
            counts=frame_counts(camera_id=camera.pk),
        )
        for camera in cameras
    }


def snapshot_result(*, snapshot: Snapshot) -> dict:
    """The stored recognition result of a snapshot (identity.presenters.snapshot_payload)."""
    logs = list(MatchLog.objects.filter(snapshot=snapshot).select_related("person", "provisional"))
    return snapshot_payload(snapshot, logs=logs)
