"""The roll call's pages: the upload form (linked from the register), a non-image refused on the
form, the result page with a numbered box on every face and its lists, a face confirmed, "Mark
present" written once, and the photo served privately to those who may correct the group."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from attendance.models import AttendanceEvent, RollCall, RollCallFace
from attendance.rollcall import roll_call_read
from faceapp.clock import site_date
from tests import rollcall_data as data
from tests.faces_data import photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def cls(media_root, viewer_user, client, django_capture_on_commit_callbacks):
    from tests.review_data import make_person

    aaron = data.enrol("Aaron_Peirsol", photo("lfw_person_a_1.jpg"), django_capture_on_commit_callbacks)
    ben = data.enrol("Ben_B", photo("lfw_person_b_1.jpg"), django_capture_on_commit_callbacks)
    cleo = make_person("Cleo", with_sample=False)
    group, session = data.class_today(members=[aaron, cleo], responsible=[viewer_user])
    client.force_login(viewer_user)
    return group, session, aaron, ben, cleo


def upload(client, group, session, photo: bytes, capture, name: str = "class.jpg"):
    with capture(execute=False):  # queued for the worker: read in this thread by the test
        return client.post(f"/groups/{group.pk}/roll-calls/new/", {
            "day": site_date().isoformat(), "session": session.pk,
            "photo": SimpleUploadedFile(name, photo, content_type="image/jpeg")})


@pytest.fixture
def taken(cls, client, django_capture_on_commit_callbacks) -> RollCall:
    group, session, *_ = cls
    response = upload(client, group, session, data.fixture_class_photo(), django_capture_on_commit_callbacks)
    roll_call = RollCall.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/roll-calls/{roll_call.pk}/"
    return roll_call


def test_it_is_linked_from_the_groups_register(cls, client):
    group, session, *_ = cls

    register = client.get(f"/groups/{group.pk}/register/").content.decode()
    form = client.get(f"/groups/{group.pk}/roll-calls/new/?day={site_date()}").content.decode()

    assert f'href="/groups/{group.pk}/roll-calls/new/?day={site_date()}"' in register
    assert f'<option value="{session.pk}">' in form and "00:00–23:59" in form


def test_it_says_the_photo_is_being_read_until_the_worker_is_done(taken, client):
    page = client.get(f"/roll-calls/{taken.pk}/").content.decode()

    assert "Finding the faces" in page and "data-reload-after" in page and "<svg" not in page


def test_it_shows_a_numbered_box_on_every_face_and_the_lists(taken, cls, client):
    _, _, aaron, ben, cleo = cls
    roll_call_read(roll_call_id=taken.pk)

    page = client.get(f"/roll-calls/{taken.pk}/").content.decode()

    assert len(re.findall(r"<rect ", page)) == 3
    labels = [re.sub(r"\s+", " ", text).strip() for text in re.findall(r"<text [^>]*>(.*?)</text>", page, re.S)]
    assert sorted(labels) == sorted(["1 Aaron Peirsol", "2 Ben B", "3"])
    found, missing, outside, check = (re.search(rf'id="{id}".*?</section>', page, re.S).group(0) for id in
                                      ("members-found", "members-missing", "outside-group", "to-check"))
    assert "Aaron Peirsol" in found and "Cleo" in missing and "Ben B" in outside and "too small to name" in check
    assert f'src="/roll-calls/{taken.pk}/photo/"' in page


def test_it_refuses_a_file_that_is_not_an_image_on_the_form(cls, client, django_capture_on_commit_callbacks):
    group, session, *_ = cls

    response = upload(client, group, session, b"GIF? no: plain text", django_capture_on_commit_callbacks, "a.txt")

    assert response.status_code == 400 and "not an image" in response.content.decode()
    assert not RollCall.objects.exists()


def test_it_confirms_a_face_and_marks_present_once(taken, cls, client):
    _, _, aaron, _, cleo = cls
    roll_call_read(roll_call_id=taken.pk)
    tiny = taken.faces.get(decision=RollCallFace.TOO_SMALL)
    base = f"/roll-calls/{taken.pk}/"

    client.post(f"{base}faces/{tiny.pk}/", {"person": cleo.pk})
    first = client.post(f"{base}mark/", follow=True).content.decode()
    second = client.post(f"{base}mark/", follow=True).content.decode()

    assert "2 marked present" in first and "Marked present" in second and "Mark present (" not in second
    assert AttendanceEvent.objects.filter(kind=AttendanceEvent.ROLL_CALL).count() == 2
    assert set(AttendanceEvent.objects.values_list("person_id", flat=True)) == {aaron.pk, cleo.pk}


def test_it_serves_the_photo_privately_to_those_who_may_correct_the_group(taken, client, django_user_model):
    from django.contrib.auth.models import Group as Role

    url = f"/roll-calls/{taken.pk}/photo/"
    mine = client.get(url)
    assert mine.status_code == 200 and mine["Content-Type"] == "image/jpeg"
    assert mine["Cache-Control"] == "private, no-store"
    other = django_user_model.objects.create_user(username="other-teacher")
    other.groups.add(Role.objects.get_or_create(name="viewer")[0])
    client.force_login(other)
    assert client.get(url).status_code == 404


def test_it_takes_an_operators_roll_call_of_a_list_of_people(cls, client, operator_user,
                                                              django_capture_on_commit_callbacks):
    _, _, aaron, ben, _ = cls
    client.force_login(operator_user)
    assert 'href="/roll-calls/new/"' in client.get("/groups/").content.decode()

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/roll-calls/new/", {
            "day": site_date().isoformat(), "people": f"{aaron.display_id} {ben.display_id}",
            "photo": SimpleUploadedFile("outing.jpg", data.fixture_class_photo(), content_type="image/jpeg")})
    roll_call = RollCall.objects.get()
    roll_call_read(roll_call_id=roll_call.pk)
    page = client.get(response["Location"]).content.decode()

    assert roll_call.group is None and set(roll_call.people.all()) == {aaron, ben}
    found = re.search(r'id="members-found".*?</section>', page, re.S).group(0)
    assert "Aaron Peirsol" in found and "Ben B" in found and "a list of people" in page


def test_it_refuses_a_viewer_an_operators_roll_call(cls, client, operator_user, django_capture_on_commit_callbacks):
    from attendance.rollcall import roll_call_create

    _, _, aaron, *_ = cls
    with django_capture_on_commit_callbacks(execute=False):
        roll_call = roll_call_create(group=None, day=site_date(), session=None, people=[aaron],
                                     image=("outing.jpg", data.fixture_class_photo()), actor=operator_user)

    assert client.get(f"/roll-calls/{roll_call.pk}/").status_code == 404
    assert client.get(f"/roll-calls/{roll_call.pk}/photo/").status_code == 404
