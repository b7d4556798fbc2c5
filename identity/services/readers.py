"""Stream readers: one CameraReader thread (identity.live.sources) per active stream camera,
in one supervised process (`manage.py camreaders`, started by `make run`). Each frame goes to
Redis as the camera's newest (identity.services.frames); each reader's state is published
for the cameras page and the dashboard. Camera settings are read again every few seconds, so
a camera added, changed or switched off is picked up without a restart. "Test connection" runs
in a worker (identity.services.worker_jobs) within FACEAPP_CAMERA_TEST_SECONDS."""

import logging
import threading
import time
from dataclasses import asdict, replace

from django.conf import settings

from faceapp import metrics
from identity.live.sources import CameraReader, Frame, ReaderStatus, SourceConfig, SourceError, grab_frame, source_shown
from identity.models import Camera
from identity.presenters import jpeg_data_url
from identity.services.camera_sources import camera_source_secret
from identity.services.cameras import camera_status_push
from identity.services.frames import frame_put, reader_status_put
from identity.services.uploads import max_image_pixels, max_upload_bytes
from identity.services.worker_jobs import job_answer, job_inputs, job_submit, job_wait
from identity.vision.image import encode_jpeg
from integrations.hooks import camera_state

logger = logging.getLogger(__name__)

RELOAD_SECONDS = 5.0
STATUS_SECONDS = 1.0
FRAME_QUALITY = 85
TEST_KIND = "camera-test"


def source_config(camera: Camera) -> SourceConfig:
    """The camera's source as its reader opens it: the address, the credentials apart; snapshots
    read and decoded under the upload path's caps."""
    return SourceConfig(kind=camera.kind, url=camera.source_address, fps=camera.fps, poll_seconds=camera.poll_seconds,
                        max_bytes=max_upload_bytes(), max_pixels=max_image_pixels(),
                        secret=camera_source_secret(camera=camera), networks=settings.FACEAPP_CAMERA_NETWORKS)


def _frame_sender(camera_id: int):
    def send(frame: Frame) -> None:
        metrics.count("faceapp_frames_read_total", camera=camera_id)
        frame_put(camera_id=camera_id, jpeg=encode_jpeg(frame.image, quality=FRAME_QUALITY),
                  captured_at=frame.captured_at, session=frame.session)

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
    """One frame from the camera's source now, within FACEAPP_CAMERA_TEST_SECONDS all told:
    {"image": a data URL, "width", "height"} or {"error": one of the fixed messages}."""
    config = replace(source_config(camera), timeout=settings.FACEAPP_CAMERA_TEST_SECONDS)
    try:
        image = grab_frame(config)
    except SourceError as exc:
        return {"error": exc.message}
    jpeg = encode_jpeg(image, quality=FRAME_QUALITY)
    return {"image": jpeg_data_url(jpeg), "width": image.shape[1], "height": image.shape[0]}


def camera_test_submit(*, user_id: int, camera: Camera) -> str:
    """Queue a test of the camera's connection; returns its job id (JobRefused: rate, broker)."""
    from identity.tasks import camera_test_task  # tasks import the services

    return job_submit(kind=TEST_KIND, what="connection tests", user_id=user_id,
                      inputs={"camera": str(camera.pk).encode()}, task=camera_test_task)


def camera_test_run(*, job: str) -> None:
    """In the worker: test the camera's connection and leave the answer."""
    inputs = job_inputs(kind=TEST_KIND, job=job, parts=["camera"])
    if inputs is None:
        return  # expired before a worker got to it: the page has already given up
    camera = Camera.objects.filter(pk=int(inputs[0]), kind__in=Camera.STREAM_KINDS).first()
    answer = camera_frame_test(camera=camera) if camera else {"error": "the camera is gone"}
    job_answer(kind=TEST_KIND, job=job, answer=answer)


def camera_test_wait(*, job: str, timeout: float) -> dict | None:
    """The worker's answer ({"image", "width", "height"} or {"error"}), or None past `timeout`."""
    return job_wait(kind=TEST_KIND, job=job, timeout=timeout)
