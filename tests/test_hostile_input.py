"""A corpus of hostile and awkward files (made here from the fixture photos: nothing big is
committed) through every entry point: the API, the upload page, the enrolment form, the
camera websocket and the compare page. Each gets a clear error naming the problem, or the
right answer; refused files leave nothing in media; the service stays healthy afterwards.
Floods are refused too: per-camera frame and per-token API rate limits (counts, not times).
"""

import io
import struct
import zlib
from dataclasses import dataclass

import pytest
from channels.testing import WebsocketCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from faceapp.asgi import application
from identity.face_engine import get_face_engine
from identity.models import Camera, FaceSample, MatchLog, Snapshot
from tests import faces_data, live_data
from tests.api import api_client, token_key
from tests.event_loops import run_scenario

CAP_BYTES = 1024 * 1024  # the byte cap these tests run under (settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
TIMEOUT = 30  # a deadline for slow machines, not a timing assertion

REFUSED = "refused"  # at the door, before anything is stored
UNREADABLE = "unreadable"  # passes the header checks; the worker's full decode refuses it
PERSON_A = "person A"  # a photo of the enrolled person, however it is encoded
GROUP = "group"  # every face is reported


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _upright() -> Image.Image:
    return Image.open(io.BytesIO(faces_data.photo("lfw_person_a_2.jpg"))).convert("RGB")


UPRIGHT_SIZE = (250, 210)  # not square, so a result in the stored (sideways) orientation shows


def _exif_rotated_jpeg() -> bytes:
    """Pixels stored turned 90° anticlockwise (210x250), with the EXIF tag that tells viewers
    to turn them back."""
    upright = _upright().crop((0, 20, 250, 20 + UPRIGHT_SIZE[1]))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    return _encode(upright.transpose(Image.Transpose.ROTATE_90), "JPEG", exif=exif.tobytes(), quality=95)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny valid-looking PNG whose header (correct CRC) declares width x height pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 16)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", pixels) + _png_chunk(b"IEND", b"")


@dataclass(frozen=True)
class Hostile:
    filename: str
    data: bytes
    outcome: str
    reason: str = ""  # part of the error a refused file gets


def _corpus() -> dict[str, Hostile]:
    jpeg = faces_data.photo("lfw_person_a_2.jpg")
    return {
        "text": Hostile("notes.txt", b"just some words, not a photo\n", REFUSED, "not an image"),
        "html": Hostile("page.html", b"<html><script>alert(1)</script></html>", REFUSED, "not an image"),
        "pdf": Hostile("scan.pdf", b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n", REFUSED, "not an image"),
        "zero-bytes": Hostile("empty.jpg", b"", REFUSED, "empty"),
        "one-pixel": Hostile("dot.png", _png_claiming(1, 1), REFUSED, "too small"),
        "30000x30000": Hostile("bomb.png", _png_claiming(30000, 30000), REFUSED, "pixels"),
        "over-the-cap": Hostile("huge.jpg", jpeg + b"\0" * CAP_BYTES, REFUSED, "too large"),
        "truncated": Hostile("half.jpg", jpeg[: len(jpeg) // 2], UNREADABLE, "truncated"),
        "exif-rotated": Hostile("rotated.jpg", _exif_rotated_jpeg(), PERSON_A),
        "cmyk": Hostile("cmyk.jpg", _encode(_upright().convert("CMYK"), "JPEG", quality=95), PERSON_A),
        "rgba": Hostile("alpha.png", _encode(_upright().convert("RGBA"), "PNG"), PERSON_A),
        "png-named-jpg": Hostile("really-a-png.jpg", _encode(_upright(), "PNG"), PERSON_A),
        "jpeg-named-png": Hostile("really-a-jpeg.png", jpeg, PERSON_A),
        "many-faces": Hostile("group.jpg", faces_data.photo("bbt_group.jpg"), GROUP),
    }


CORPUS = _corpus()
REFUSED_NAMES = sorted(name for name, item in CORPUS.items() if item.outcome == REFUSED)


def _upload(item: Hostile) -> SimpleUploadedFile:
    return SimpleUploadedFile(item.filename, item.data, content_type="application/octet-stream")


@pytest.fixture(autouse=True)
def small_cap(settings, media_root):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = CAP_BYTES
    settings.FACEAPP_API_WAIT_SECONDS = 120  # generous: the first call also loads the models


def _stored_files(media_root) -> list[str]:
    return faces_data.media_files(media_root)


def _referenced_files() -> set[str]:
    names = set()
    for sample in FaceSample.objects.all():
        names |= {sample.photo.name, sample.crop.name}
    names |= {snapshot.image.name for snapshot in Snapshot.objects.all()}
    names |= {log.crop.name for log in MatchLog.objects.all()}
    return {name for name in names if name}


# ---------- refused at the door: nothing stored, a reason given ----------


@pytest.mark.django_db
@pytest.mark.parametrize("name", REFUSED_NAMES)
def test_it_refuses_hostile_files_on_api_recognize_with_a_reason(name, operator_user, media_root):
    item = CORPUS[name]
    response = api_client(operator_user).post("/api/recognize/", {"image": _upload(item)})

    assert response.status_code in (400, 413), response.content
    assert item.reason in response.json()["error"]
    assert response.status_code == 413 or name != "over-the-cap"
    assert not Snapshot.objects.exists() and _stored_files(media_root) == []


@pytest.mark.django_db
@pytest.mark.parametrize("name", REFUSED_NAMES)
def test_it_names_the_refused_file_on_the_upload_page(name, client, operator_user, media_root):
    item = CORPUS[name]
    client.force_login(operator_user)
    response = client.post(reverse("upload"), {"photos": [_upload(item)]})

    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["photos"])
    assert item.filename in errors and item.reason in errors, errors
    assert not Snapshot.objects.exists() and _stored_files(media_root) == []


@pytest.mark.django_db
def test_it_rejects_each_hostile_enrolment_photo_with_its_reason(client, operator_user, media_root):
    client.force_login(operator_user)
    refused = [CORPUS[name] for name in REFUSED_NAMES if name != "zero-bytes"]
    data = {"name": "Mallory", "consent": "on", "photos": [_upload(item) for item in refused]}

    response = client.post(reverse("person-create"), data)

    assert response.status_code == 302, response.context["form"].errors if response.context else response
    samples = list(FaceSample.objects.order_by("id"))
    assert [s.status for s in samples] == [FaceSample.REJECTED] * len(refused)
    for sample, item in zip(samples, refused):
        assert item.reason in sample.reason, (item.filename, sample.reason)
    assert _stored_files(media_root) == []


@pytest.mark.django_db
def test_it_refuses_an_empty_enrolment_file_with_a_form_error(client, operator_user, media_root):
    client.force_login(operator_user)
    data = {"name": "Mallory", "consent": "on", "photos": [_upload(CORPUS["zero-bytes"])]}

    response = client.post(reverse("person-create"), data)

    assert response.status_code == 200
    assert "empty.jpg: The submitted file is empty." in response.context["form"].errors["photos"]
    assert not FaceSample.objects.exists() and _stored_files(media_root) == []


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["text", "30000x30000", "over-the-cap", "one-pixel"])
def test_it_names_the_refused_file_on_the_compare_page(name, client, operator_user, media_root):
    item = CORPUS[name]
    client.force_login(operator_user)
    good = SimpleUploadedFile("a.jpg", faces_data.photo("lfw_person_a_1.jpg"))

    response = client.post(reverse("compare"), {"image1": good, "image2": _upload(item)})

    form = response.context["form"]
    assert response.context["result"] is None and "image1" not in form.errors
    assert item.filename in form.errors["image2"][0] and item.reason in form.errors["image2"][0]


# ---------- through the real worker: the right answer, or the worker's reason ----------


@pytest.fixture
def person_a(operator_user, celery_worker) -> dict:
    response = api_client(operator_user).post(
        "/api/people/",
        {"name": "Aaron Peirsol", "consent": "true",
         "photos": [SimpleUploadedFile("a1.jpg", faces_data.photo("lfw_person_a_1.jpg"))]},
    )
    assert response.status_code == 201 and response.json()["photos"][0]["status"] == "accepted", response.json()
    return response.json()["person"]


@pytest.mark.django_db(transaction=True)
def test_it_answers_the_whole_corpus_on_api_recognize_and_stays_healthy(person_a, operator_user, client, media_root):
    api = api_client(operator_user)
    group_faces = len(get_face_engine().analyze(CORPUS["many-faces"].data))

    for name, item in CORPUS.items():
        response = api.post("/api/recognize/", {"image": _upload(item)})
        body = response.json()
        if item.outcome == REFUSED:
            assert response.status_code in (400, 413) and item.reason in body["error"], (name, body)
        elif item.outcome == UNREADABLE:
            assert response.status_code == 422 and item.reason in body["error"], (name, body)
        elif item.outcome == PERSON_A:
            assert response.status_code == 200, (name, body)
            [face] = body["faces"]
            assert face["decision"] == "known" and face["person"]["id"] == person_a["id"], (name, face)
            if name == "exif-rotated":  # recognised upright: the result is in the upright frame
                assert (body["snapshot"]["width"], body["snapshot"]["height"]) == UPRIGHT_SIZE
                assert face["box"][2] <= UPRIGHT_SIZE[0] and face["box"][3] <= UPRIGHT_SIZE[1]
        else:
            assert response.status_code == 200 and len(body["faces"]) == group_faces >= 5, (name, body)
            assert len({face["face_index"] for face in body["faces"]}) == group_faces

    # Still healthy: the worker answers, a plain photo is still recognised, no orphan files.
    assert client.get("/healthz").status_code == 200
    response = api.post("/api/recognize/", {"image": SimpleUploadedFile("a2.jpg", faces_data.photo("lfw_person_a_2.jpg"))})
    assert response.status_code == 200 and response.json()["faces"][0]["person"]["id"] == person_a["id"]
    assert set(_stored_files(media_root)) == _referenced_files()


@pytest.mark.django_db(transaction=True)
def test_it_answers_each_photo_of_an_api_enrolment(operator_user, celery_worker, media_root):
    """One enrolment request carrying the whole corpus: each photo accepted, or rejected with its reason."""
    items = list(CORPUS.values())
    response = api_client(operator_user).post(
        "/api/people/", {"name": "Aaron Peirsol", "consent": "true", "photos": [_upload(item) for item in items]}
    )

    assert response.status_code == 201, response.json()
    photos = response.json()["photos"]
    assert [photo["filename"] for photo in photos] == [item.filename for item in items]
    for photo, item in zip(photos, items):
        if item.outcome == PERSON_A:
            assert photo["status"] == "accepted", photo
        else:
            expected = {REFUSED: item.reason, UNREADABLE: "unreadable image", GROUP: "faces found"}[item.outcome]
            assert photo["status"] == "rejected" and expected in photo["reason"], photo
    refused_at_the_door = [photo["id"] for photo, item in zip(photos, items) if item.outcome == REFUSED]
    assert not any(sample.photo for sample in FaceSample.objects.filter(pk__in=refused_at_the_door))
    assert set(_stored_files(media_root)) == _referenced_files()


@pytest.mark.django_db
def test_it_takes_awkward_but_valid_photos_on_the_upload_page_under_their_real_type(client, operator_user, media_root):
    client.force_login(operator_user)
    for name in ("exif-rotated", "cmyk", "rgba", "png-named-jpg", "jpeg-named-png", "many-faces"):
        item = CORPUS[name]
        response = client.post(reverse("upload"), {"photos": [_upload(item)]})
        assert response.status_code == 302, (name, response.context["form"].errors if response.context else "")
        snapshot = Snapshot.objects.latest("id")
        expected_type = "png" if item.data.startswith(b"\x89PNG") else "jpg"
        assert snapshot.image.name.endswith("." + expected_type), (name, snapshot.image.name)


# ---------- the camera websocket ----------


def _camera_socket(camera: Camera) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), (b"authorization", f"Bearer {camera.token}".encode())]
    return WebsocketCommunicator(application, f"/ws/cameras/{camera.pk}/", headers=headers)


def _acks(camera: Camera, frames: list[bytes]) -> list[dict]:
    communicator = _camera_socket(camera)

    async def scenario():
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        acks = []
        for frame in frames:
            # send_input: send_to refuses an empty message, which a client can still send.
            await communicator.send_input({"type": "websocket.receive", "bytes": frame})
            acks.append(await communicator.receive_json_from(timeout=TIMEOUT))
        await communicator.disconnect()
        return acks

    return run_scenario(scenario)


@pytest.mark.django_db(transaction=True)
def test_it_rejects_hostile_camera_frames_with_a_reason(settings, media_root):
    settings.FACEAPP_RATE_CAMERA_FPS = 0  # no rate limit: this burst is about content
    camera = Camera.objects.create(name="Door")
    live_data.live_keys_clear(camera)
    names = ["text", "html", "zero-bytes", "one-pixel", "30000x30000", "over-the-cap"]

    acks = _acks(camera, [CORPUS[name].data for name in names] + [faces_data.photo("lfw_person_a_1.jpg")])

    for name, ack in zip(names, acks):
        assert ack["type"] == "camera.frame" and ack["status"] == "rejected", (name, ack)
        assert CORPUS[name].reason in ack["error"], (name, ack)
    assert acks[-1]["status"] == "queued"  # the socket still takes good frames
    assert camera.snapshot_set.count() == 0  # the good frame waits in memory for the live worker
    assert set(_stored_files(media_root)) == _referenced_files()


# ---------- floods: rate limits ----------


@pytest.mark.django_db(transaction=True)
def test_it_drops_a_cameras_frames_over_the_rate_limit(settings, media_root):
    settings.FACEAPP_RATE_CAMERA_FPS = 2
    door, hall = Camera.objects.create(name="Door"), Camera.objects.create(name="Hall")
    live_data.live_keys_clear(door)
    live_data.live_keys_clear(hall)
    frame = faces_data.photo("lfw_person_a_1.jpg")

    acks = _acks(door, [frame] * 6)

    statuses = [ack["status"] for ack in acks]
    assert statuses[:4] == ["queued", "replaced", "replaced", "replaced"]  # 2 a second, counted over 2 s
    assert statuses[4:] == ["rate-limited"] * 2
    assert door.snapshot_set.count() == 0  # frames are not stored
    assert _acks(hall, [frame])[0]["status"] == "queued"  # one camera's flood does not silence another


@pytest.mark.django_db
def test_it_answers_429_with_the_reason_once_a_token_is_over_its_limit(settings, operator_user, django_user_model):
    settings.FACEAPP_RATE_API_PER_MINUTE = 3
    client = api_client(operator_user)

    responses = [client.get("/api/people/") for _ in range(5)]

    assert [response.status_code for response in responses] == [200, 200, 200, 429, 429]
    refused = responses[-1]
    assert "3 API requests per minute" in refused.json()["detail"]
    assert 1 <= int(refused["Retry-After"]) <= 60
    other = django_user_model.objects.create_user(username="other-operator")
    other.groups.add(*operator_user.groups.all())
    assert api_client(other).get("/api/people/").status_code == 200  # limits are per token


@pytest.mark.django_db
def test_it_limits_session_users_of_the_api_too(settings, operator_user):
    settings.FACEAPP_RATE_API_PER_MINUTE = 2
    client = APIClient()
    client.force_login(operator_user)

    codes = [client.get("/api/attendance/").status_code for _ in range(3)]

    assert codes == [200, 200, 429]
    # A token of the same user shares the user's allowance: one count per user.
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_key(operator_user)}")
    assert client.get("/api/attendance/").status_code == 429
