"""The whole path on LFW photos (committed in tests/fixtures/e2e, so it never skips): enrol three people, a real Celery worker accepts their photos,
photos sent for recognition come back on a dashboard websocket with the right name, and a
stranger seen twice keeps one provisional ID. Real Valkey, real worker, real ASGI stack."""

import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from faceapp.asgi import application
from identity.models import FaceSample, Person, Snapshot
from identity.services import enrolment, recognition
from tests.event_loops import run_scenario
from tests.faces_data import FIXTURES

pytestmark = pytest.mark.django_db(transaction=True)


DEADLINE = 60  # seconds per wait: a deadline for slow machines, not a timing assertion
ENROLLED = ["Colin_Powell", "Tony_Blair", "Donald_Rumsfeld"]  # two photos each: _0001, _0002
PROBE = "Colin_Powell"  # recognised from _0003, not enrolled
STRANGER = "Gerhard_Schroeder"  # never enrolled: _0001 and _0002


def _lfw(name: str, number: int) -> tuple[str, bytes]:
    """A committed LFW photo (tests/fixtures/e2e): the path runs on a fresh clone too."""
    path = FIXTURES / "e2e" / f"{name}_{number:04d}.jpg"
    return path.name, path.read_bytes()


def _enrol_with_the_form(client, name: str, photos: list[tuple[str, bytes]]) -> Person:
    response = client.post(
        reverse("person-create"),
        {"name": name.replace("_", " "), "consent": "on",
         "photos": [SimpleUploadedFile(file_name, data, "image/jpeg") for file_name, data in photos]},
    )
    assert response.status_code == 302, response.content[:2000]
    person = Person.objects.get(name=name.replace("_", " "))
    assert response["Location"] == reverse("person-detail", args=[person.pk])
    return person


def _enrol_with_the_services(client, name: str, photos: list[tuple[str, bytes]]) -> Person:
    person, _ = enrolment.person_enroll(name=name.replace("_", " "), consent=True, photos=photos)
    return person


def _recognise_with_the_form(client, photo: tuple[str, bytes]) -> None:
    response = client.post(reverse("upload"), {"photos": [SimpleUploadedFile(photo[0], photo[1], "image/jpeg")]})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard"), response.content[:2000]


def _recognise_with_the_services(client, photo: tuple[str, bytes]) -> None:
    recognition.snapshot_submit(image=photo)


def _wait_accepted(people: list[Person]) -> None:
    ids = list(FaceSample.objects.filter(person__in=people).values_list("id", flat=True))
    samples = enrolment.samples_wait(sample_ids=ids, timeout=DEADLINE)
    assert [(s.person.name, s.status, s.reason) for s in samples] == [
        (s.person.name, FaceSample.ACCEPTED, "") for s in samples
    ]
    assert len(samples) == 2 * len(people)


async def _next_result(communicator) -> dict:
    """The next recognition.result (enrolment and attendance events pass by)."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        event = await communicator.receive_json_from(timeout=DEADLINE)
        if event["type"] == "recognition.result":
            return event
    raise AssertionError("no recognition.result arrived")


@pytest.mark.parametrize(
    "enrol, recognise",
    [(_enrol_with_the_form, _recognise_with_the_form), (_enrol_with_the_services, _recognise_with_the_services)],
    ids=["http-forms", "services"],
)
def test_it_enrols_people_and_recognises_them_live(
    enrol, recognise, client, operator_user, celery_worker, media_root
):
    client.force_login(operator_user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    dashboard = WebsocketCommunicator(
        application, "/ws/dashboard/",
        headers=[(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), (b"cookie", cookie.encode())],
    )

    async def scenario():
        connected, _ = await dashboard.connect(timeout=DEADLINE)
        assert connected
        people = [
            await sync_to_async(enrol)(client, name, [_lfw(name, 1), _lfw(name, 2)])
            for name in ENROLLED
        ]
        await sync_to_async(_wait_accepted)(people)

        await sync_to_async(recognise)(client, _lfw(PROBE, 3))
        known = await _next_result(dashboard)

        strangers = []
        for number in (1, 2):
            await sync_to_async(recognise)(client, _lfw(STRANGER, number))
            strangers.append(await _next_result(dashboard))
        await dashboard.disconnect()
        return people, known, strangers

    people, known, strangers = run_scenario(scenario)

    (face,) = known["faces"]
    colin = people[0]
    assert (face["decision"], face["label"], face["person"]["id"]) == ("known", "Colin Powell", colin.pk)
    assert face["assigned_id"] == colin.display_id and known["snapshot"]["status"] == "done"
    (first,), (second,) = strangers[0]["faces"], strangers[1]["faces"]
    assert first["decision"] == second["decision"] == "unknown"
    assert first["provisional"] == second["provisional"] == first["assigned_id"] == second["assigned_id"]
    assert first["provisional"].startswith("U-")
    assert Snapshot.objects.filter(status=Snapshot.DONE).count() == 3
