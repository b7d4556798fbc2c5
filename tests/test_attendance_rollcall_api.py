"""The roll call through the API: a class photo posted (202, read by the worker), its result,
a face confirmed, the members found marked present once; a non-image refused; a viewer not
responsible for the group answered 404."""

import pytest

from attendance.models import AttendanceEvent, RollCallFace
from attendance.rollcall import roll_call_read
from faceapp.clock import site_date
from tests import rollcall_data as data
from tests.api import api_client
from tests.faces_data import jpeg, photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def cls(media_root, viewer_user, django_capture_on_commit_callbacks):
    from tests.review_data import make_person

    aaron = data.enrol("Aaron_Peirsol", photo("lfw_person_a_1.jpg"), django_capture_on_commit_callbacks)
    cleo = make_person("Cleo", with_sample=False)
    group, session = data.class_today(members=[aaron, cleo], responsible=[viewer_user])
    return group, session, aaron, cleo


def post_photo(api, group, session, photo: bytes, capture, name: str = "class.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with capture(execute=False):  # queued for the worker: read below in this thread
        return api.post(f"/api/groups/{group.pk}/roll-calls/", {
            "day": site_date().isoformat(), "session_id": session.pk,
            "photo": SimpleUploadedFile(name, photo, content_type="image/jpeg")}, format="multipart")


def test_it_takes_reads_and_marks_a_roll_call(cls, viewer_user, django_capture_on_commit_callbacks):
    group, session, aaron, cleo = cls
    api = api_client(viewer_user)

    posted = post_photo(api, group, session, data.fixture_class_photo(), django_capture_on_commit_callbacks)
    assert posted.status_code == 202 and posted.json()["status"] == "pending" and posted.json()["faces"] == []
    roll_call_id = posted.json()["id"]
    roll_call_read(roll_call_id=roll_call_id)
    url = f"/api/roll-calls/{roll_call_id}/"
    body = api.get(url).json()

    assert body["status"] == "done" and len(body["faces"]) == 3
    assert [(face["list"], face["person"]) for face in body["faces"] if face["person"]] == [
        ("found", {"id": aaron.pk, "name": aaron.name})]
    tiny = next(face for face in body["faces"] if face["decision"] == RollCallFace.TOO_SMALL)
    assert tiny["list"] == "too_small" and tiny["size_px"] < 28 and tiny["found"] is None
    assert body["members_missing"] == [{"id": cleo.pk, "name": "Cleo"}]

    confirmed = api.post(f"{url}faces/{tiny['id']}/", {"person_id": cleo.pk}, format="json")
    assert confirmed.status_code == 200 and confirmed.json()["members_missing"] == []
    marked = api.post(f"{url}mark/")
    again = api.post(f"{url}mark/")

    assert marked.status_code == again.status_code == 200 and marked.json()["marked_at"]
    assert sorted(AttendanceEvent.objects.filter(kind=AttendanceEvent.ROLL_CALL).values_list("person_id", flat=True)) \
        == sorted([aaron.pk, cleo.pk])


def test_it_refuses_a_file_that_is_not_an_image(cls, viewer_user, django_capture_on_commit_callbacks):
    group, session, *_ = cls

    response = post_photo(api_client(viewer_user), group, session, b"%PDF-1.4 not a photo",
                          django_capture_on_commit_callbacks, name="class.pdf")

    assert response.status_code == 400 and "not an image" in response.json()["photo"][0]


def test_it_refuses_a_photo_over_the_upload_cap(cls, viewer_user, settings, django_capture_on_commit_callbacks):
    group, session, *_ = cls
    photo = data.fixture_class_photo()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(photo) - 1

    response = post_photo(api_client(viewer_user), group, session, photo, django_capture_on_commit_callbacks)

    assert response.status_code == 413 and "too large" in response.json()["error"]


def test_it_refuses_a_member_of_another_group(cls, viewer_user, django_capture_on_commit_callbacks):
    from tests.review_data import make_person

    group, session, *_ = cls
    api = api_client(viewer_user)
    roll_call_id = post_photo(api, group, session, data.fixture_class_photo(),
                              django_capture_on_commit_callbacks).json()["id"]
    roll_call_read(roll_call_id=roll_call_id)
    face_id = api.get(f"/api/roll-calls/{roll_call_id}/").json()["faces"][0]["id"]

    response = api.post(f"/api/roll-calls/{roll_call_id}/faces/{face_id}/",
                        {"person_id": make_person("Dora", with_sample=False).pk}, format="json")

    assert response.status_code == 400 and response.json() == {"person_id": ["Not one of the people this roll call is for."]}


def test_it_answers_404_to_a_viewer_not_responsible_for_the_group(cls, viewer_user, django_user_model,
                                                                  django_capture_on_commit_callbacks):
    from django.contrib.auth.models import Group as Role

    group, session, *_ = cls
    roll_call_id = post_photo(api_client(viewer_user), group, session, jpeg(data.bgr_blank()),
                              django_capture_on_commit_callbacks).json()["id"]
    other = django_user_model.objects.create_user(username="other-teacher")
    other.groups.add(Role.objects.get_or_create(name="viewer")[0])

    api = api_client(other)
    assert api.get(f"/api/roll-calls/{roll_call_id}/").status_code == 404
    assert api.post(f"/api/roll-calls/{roll_call_id}/mark/").status_code == 404


def test_it_takes_an_operators_roll_call_of_a_list_of_people(cls, operator_user, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _, _, aaron, cleo = cls
    api = api_client(operator_user)
    with django_capture_on_commit_callbacks(execute=False):
        posted = api.post("/api/roll-calls/", {
            "day": site_date().isoformat(), "people": [aaron.pk, cleo.pk],
            "photo": SimpleUploadedFile("outing.jpg", data.fixture_class_photo(), content_type="image/jpeg")},
            format="multipart")
    assert posted.status_code == 202 and posted.json()["group_id"] is None
    roll_call_read(roll_call_id=posted.json()["id"])

    body = api.post(f"/api/roll-calls/{posted.json()['id']}/mark/").json()

    assert body["members_missing"] == [{"id": cleo.pk, "name": "Cleo"}] and body["marked_at"]
    assert list(AttendanceEvent.objects.values_list("person_id", "group_id")) == [(aaron.pk, None)]
