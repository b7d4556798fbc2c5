"""Real photos (and images made from them) for the enrolment/recognition/camera tests."""

import io
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

FIXTURES = Path(__file__).parent / "fixtures"


def photo(name: str) -> bytes:
    """A fixture photo's bytes: lfw_person_a_1.jpg, lfw_person_a_2.jpg, lfw_person_b_1.jpg, bbt_group.jpg."""
    return (FIXTURES / name).read_bytes()


def enrol_aaron(capture_on_commit_callbacks):
    """Aaron Peirsol (code AP) enrolled from one photo in this thread, no worker: pass pytest-django's
    django_capture_on_commit_callbacks (the sample's processing is queued on commit)."""
    from identity.services import enrolment  # Django models: loaded once the test has set Django up

    with capture_on_commit_callbacks(execute=True):
        person, (sample,) = enrolment.person_enroll(
            name="Aaron Peirsol", code="AP", consent=True, photos=[("a1.jpg", photo("lfw_person_a_1.jpg"))]
        )
    assert enrolment.sample_process(sample_id=sample.pk).status == "accepted"
    return person


def jpeg(bgr: np.ndarray, quality: int = 92) -> bytes:
    return cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()


def bgr(name: str) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(photo(name), np.uint8), cv2.IMREAD_COLOR)


def no_face_jpeg() -> bytes:
    """A smooth gradient, like a plain wall: nothing a detector calls a face."""
    ramp = np.tile(np.linspace(0, 255, 300, dtype=np.uint8), (300, 1))
    return jpeg(cv2.cvtColor(ramp, cv2.COLOR_GRAY2BGR))


def small_face_jpeg() -> bytes:
    """Person A shrunk to 80 px on a 400 px grey canvas: a face of about 30 px."""
    canvas = np.full((400, 400, 3), 128, np.uint8)
    canvas[160:240, 160:240] = cv2.resize(bgr("lfw_person_a_1.jpg"), (80, 80), interpolation=cv2.INTER_AREA)
    return jpeg(canvas)


LFW_FACE_PX = 100  # the face of lfw_person_a_2.jpg at its own size (the detector's box, smaller side)


def face_at_size_jpeg(name: str, size: int) -> bytes:
    """The fixture photo scaled so that its face is about `size` px, on a 400 px grey canvas."""
    side = round(250 * size / LFW_FACE_PX)
    canvas = np.full((400, 400, 3), 128, np.uint8)
    start = (400 - side) // 2
    canvas[start : start + side, start : start + side] = cv2.resize(bgr(name), (side, side), interpolation=cv2.INTER_AREA)
    return jpeg(canvas)


def blurred_face_jpeg() -> bytes:
    return jpeg(cv2.GaussianBlur(bgr("lfw_person_a_1.jpg"), (21, 21), 0))


def exposed_face_jpeg(gain: float) -> bytes:
    """Person A with every pixel times `gain`: 0.25 is a face too dark, 2.0 one overexposed."""
    return jpeg(np.clip(bgr("lfw_person_a_1.jpg") * gain, 0, 255).astype(np.uint8))


def side_by_side_jpeg(left: str, right: str) -> bytes:
    """Two photos in one frame: two faces."""
    return jpeg(np.hstack([bgr(left), bgr(right)]))


def truncated_jpeg() -> bytes:
    """A JPEG whose header is fine but whose pixels stop half way."""
    data = photo("lfw_person_a_1.jpg")
    return data[: len(data) // 2]


def png_bytes(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (90, 120, 150)).save(buffer, format="PNG")
    return buffer.getvalue()


def media_files(root) -> list[str]:
    root = Path(root)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def events_during(groups: list[str], work):
    """Run `work()` while listening to `groups`; return ({group: [events]}, work's result).

    One event loop for the whole listen (channels_redis keeps per-loop receive state).
    """
    import asyncio

    from asgiref.sync import sync_to_async
    from channels.layers import get_channel_layer

    from tests.event_loops import run_scenario

    async def listen():
        layer = get_channel_layer()
        channels = {group: await layer.new_channel() for group in groups}
        for group, channel in channels.items():
            await layer.group_add(group, channel)
        result = await sync_to_async(work)()  # the test's thread, so the test's database
        received = {}
        for group, channel in channels.items():
            received[group] = []
            while True:
                try:  # the pushes happened inside work(): they are already in Redis
                    event = await asyncio.wait_for(layer.receive(channel), 2)
                    event.pop("replay_id", None)  # the replay log's bookkeeping (identity.services.realtime)
                    received[group].append(event)
                except asyncio.TimeoutError:
                    break
            await layer.group_discard(group, channel)
        return received, result

    return run_scenario(listen)
