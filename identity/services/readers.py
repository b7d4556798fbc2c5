"""Stream readers: one CameraReader thread (identity.live.sources) per active stream camera,
in one supervised process (`manage.py camreaders`, started by `make run`). Each frame goes to
Redis as the camera's newest (identity.services.frames); each reader's state is published
for the cameras page and the dashboard. Camera settings are read again every few seconds, so
a camera added, changed or switched off is picked up without a restart."""

import logging
import threading
import time
from dataclasses import asdict

from django.conf import settings

from identity.live.sources import CameraReader, Frame, ReaderStatus, SourceConfig, SourceError, grab_frame, source_shown
from identity.models import Camera
from identity.services.camera_sources import camera_source_secret
from identity.services.cameras import camera_status_push
from identity.services.frames import frame_put, reader_status_put
from identity.vision.image import encode_jpeg
from integrations.hooks import camera_state

logger = logging.getLogger(__name__)

RELOAD_SECONDS = 5.0
STATUS_SECONDS = 1.0
FRAME_QUALITY = 85


def source_config(camera: Camera) -> SourceConfig:
    """The camera's source as its reader opens it: the address, the credentials apart."""
    return SourceConfig(kind=camera.kind, url=camera.source_address, fps=camera.fps, poll_seconds=camera.poll_seconds,
                        secret=camera_source_secret(camera=camera), networks=settings.FACEAPP_CAMERA_NETWORKS)


def _frame_sender(camera_id: int):
    def send(frame: Frame) -> None:
        frame_put(camera_id=camera_id, jpeg=encode_jpeg(frame.image, quality=FRAME_QUALITY),
                  captured_at=frame.captured_at)

    return send


def status_dict(status: ReaderStatus) -> dict:
    return asdict(status)


class ReaderSupervisor:
    def __init__(self):
        self.readers: dict[int, tuple[SourceConfig, CameraReader]] = {}
        self.cameras: dict[int, Camera] = {}

    def sync(self) -> None:
        """Start, restart or stop readers to match the active stream cameras."""
        self.cameras = {c.pk: c for c in Camera.objects.filter(active=True, kind__in=Camera.STREAM_KINDS)}
        wanted = {pk: source_config(camera) for pk, camera in self.cameras.items()}
        for camera_id, (config, reader) in list(self.readers.items()):
            if wanted.get(camera_id) != config:
                reader.stop()
                del self.readers[camera_id]
        for camera_id, config in wanted.items():
            if camera_id not in self.readers:
                logger.info("camera %s: reading %s %s", camera_id, config.kind, source_shown(config))
                reader = CameraReader(config, on_frame=_frame_sender(camera_id))
                reader.start()
                self.readers[camera_id] = (config, reader)

    def publish(self) -> None:
        for camera_id, (_, reader) in self.readers.items():
            reader_status_put(camera_id=camera_id, status=status_dict(reader.status))
            camera_status_push(camera=self.cameras[camera_id])
            camera_state(camera=self.cameras[camera_id], state=reader.status.state, error=reader.status.error)

    def run(self, stop: threading.Event) -> None:
        synced = 0.0
        try:
            while not stop.is_set():
                if time.monotonic() - synced >= RELOAD_SECONDS:
                    try:
                        self.sync()
                    except Exception:  # the database is away: keep the readers we have
                        logger.exception("could not read the cameras; trying again")
                    synced = time.monotonic()
                try:
                    self.publish()
                except Exception:
                    logger.warning("could not publish the readers' status", exc_info=True)
                stop.wait(STATUS_SECONDS)
        finally:
            self.stop_all()

    def stop_all(self) -> None:
        for _, reader in self.readers.values():
            reader.stop()
        for _, reader in self.readers.values():
            reader.join(timeout=15)
        self.readers = {}


def camera_frame_test(*, camera: Camera) -> dict:
    """One frame from the camera's source now: {"jpeg": bytes, "width", "height"} or {"error": why}."""
    try:
        image = grab_frame(source_config(camera))
    except SourceError as exc:
        return {"error": str(exc)}
    return {"jpeg": encode_jpeg(image, quality=FRAME_QUALITY), "width": image.shape[1], "height": image.shape[0]}
