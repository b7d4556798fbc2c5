"""Decode amplification: small files that decode into huge buffers (a 78 KB 16-bit PNG and a
250 KB 32-bit TIFF of 6320x6320, both under the pixel cap) are decoded within the stated cap on
decoding memory, measured as the peak RSS of a fresh process running the worker's decoder; what
would need more is refused from its header; camera frames must be JPEG."""

import io
import json
import subprocess
import sys

import numpy as np
import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from PIL import Image

from faceapp.asgi import application
from identity.models import Camera
from identity.vision.image import DEFAULT_MAX_DECODED_BYTES, ImageError, decode_image
from tests import faces_data, live_data
from tests.event_loops import run_scenario

SIDE = 6320  # 39.9 megapixels: under the 40-megapixel cap
MIB = 2**20

PEAK = """
import json, resource, sys
from identity.vision.image import decode_image
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
shape = decode_image(data).shape
print(json.dumps({"grew_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before, "shape": shape}))
"""


def _encoded(array: np.ndarray, mode: str | None, file_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode=mode).save(buffer, file_format, **options)
    return buffer.getvalue()


HOSTILE = {
    "16-bit gray PNG": lambda: _encoded(np.zeros((SIDE, SIDE), np.uint16), None, "PNG", optimize=True),
    "32-bit gray TIFF": lambda: _encoded(np.zeros((SIDE, SIDE), np.int32), "I", "TIFF", compression="tiff_adobe_deflate"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_it_decodes_a_small_file_of_huge_pixels_within_the_memory_cap(name, tmp_path):
    path = tmp_path / "hostile"
    path.write_bytes(HOSTILE[name]())
    assert path.stat().st_size < 300_000  # small on the wire

    answer = subprocess.run([sys.executable, "-c", PEAK, str(path)], cwd=settings.BASE_DIR, check=True,
                            capture_output=True, text=True, timeout=120).stdout
    measured = json.loads(answer.strip().splitlines()[-1])

    assert measured["shape"] == [SIDE, SIDE, 3]
    assert measured["grew_kib"] * 1024 < DEFAULT_MAX_DECODED_BYTES, f"{name}: +{measured['grew_kib'] // 1024} MiB"


def test_it_refuses_from_the_header_what_would_need_more_than_the_cap():
    data = _encoded(np.zeros((2000, 2000), np.int32), "I", "TIFF", compression="tiff_adobe_deflate")
    with pytest.raises(ImageError, match=r"would take 46 MiB to decode \(2000x2000, I\), the limit is 16 MiB"):
        decode_image(data, max_decoded_bytes=16 * MIB)


def test_it_keeps_the_grays_of_16_and_32_bit_images():
    ramp16 = np.tile(np.arange(0, 65536, 256, dtype=np.uint16), (32, 1))  # 0..65280 across 256 columns
    decoded = decode_image(_encoded(ramp16, None, "PNG"))
    assert decoded[0, ::51, 0].tolist() == [0, 51, 102, 153, 204, 255]
    twelve_bit = np.tile(np.arange(0, 4096, 16, dtype=np.int32), (32, 1))  # a 12-bit sensor in a 32-bit file
    assert decode_image(_encoded(twelve_bit, "I", "TIFF"))[0, ::51, 1].tolist() == [0, 51, 102, 153, 204, 255]


def _frame_answers(camera: Camera, frames: list[bytes]) -> list[dict]:
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), (b"authorization", f"Bearer {camera.token}".encode())]
    socket = WebsocketCommunicator(application, f"/ws/cameras/{camera.pk}/", headers=headers)

    async def scenario():
        assert (await socket.connect(timeout=30))[0]
        answers = []
        for frame in frames:
            await socket.send_to(bytes_data=frame)
            answers.append(await socket.receive_json_from(timeout=30))
        await socket.disconnect()
        return answers

    return run_scenario(scenario)


@pytest.mark.django_db(transaction=True)
def test_it_takes_only_jpeg_frames_from_a_camera(settings, media_root):
    settings.FACEAPP_RATE_CAMERA_FPS = 0
    camera = Camera.objects.create(name="Door")
    live_data.live_keys_clear(camera)
    photo = Image.open(io.BytesIO(faces_data.photo("lfw_person_a_1.jpg")))
    others = []
    for file_format in ("PNG", "TIFF", "GIF", "BMP"):
        buffer = io.BytesIO()
        photo.save(buffer, file_format)
        others.append(buffer.getvalue())

    answers = _frame_answers(camera, others + [faces_data.photo("lfw_person_a_1.jpg")])

    assert [answer["status"] for answer in answers] == ["rejected"] * 4 + ["queued"]
    assert answers[0]["error"] == "camera frames must be JPEG, not PNG"
