"""attendance.rollcall: a class photo's faces found and named by the real engine (nothing recorded
until marked), confirmed or corrected, marked present once, and erased with a person."""

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone

from attendance.models import AttendanceEvent, RegisterDay, RollCall, RollCallFace
from attendance.rollcall import roll_call_create, roll_call_face_set, roll_call_mark, roll_call_read
from attendance.rollcall_presenters import FOUND, OUTSIDE, TOO_SMALL, roll_call_payload
from audit.models import AuditEntry
from faceapp.clock import site_date
from identity.live.boxes import box_iou
from identity.models import MatchLog, Person, ProvisionalIdentity
from identity.services.enrolment import person_delete
from tests import rollcall_data as data
from tests.faces_data import photo

pytestmark = pytest.mark.django_db


def read(group, session, photo: bytes, actor, capture) -> RollCall:
    """The roll call taken, and read in this thread (the worker's job)."""
    with capture(execute=False):
        roll_call = roll_call_create(group=group, day=site_date(), session=session, image=("class.jpg", photo),
                                     actor=actor)
    roll_call_read(roll_call_id=roll_call.pk)
    roll_call.refresh_from_db()
    return roll_call


@pytest.fixture
def lfw_class(shared_faces, media_root, viewer_user, django_capture_on_commit_callbacks):
    """Six people enrolled from their first LFW photo: the first five in the class, the sixth not."""
    lfw = shared_faces / "lfw"
    people = [data.enrol(name, data.lfw_photo(lfw, name, 1), django_capture_on_commit_callbacks)
              for name in data.LFW_PEOPLE[:6]]
    group, session = data.class_today(members=people[:5], responsible=[viewer_user])
    return lfw, people, group, session


def test_it_finds_and_names_every_face_of_32_px_or_more_and_reports_a_12_px_face_too_small(
        lfw_class, viewer_user, django_capture_on_commit_callbacks):
    lfw, people, group, session = lfw_class
    # Their second photos: members at 32 to 64 px, one member at 12 px, the outsider at 48 px.
    shown = [people[0], people[1], people[2], people[3], people[5], people[4]]
    scene = data.class_photo([data.lfw_photo(lfw, name, 2) for name in
                              [data.LFW_PEOPLE[k] for k in (0, 1, 2, 3, 5, 4)]], [32, 40, 48, 64, 48, 12])

    roll_call = read(group, session, scene.jpeg, viewer_user, django_capture_on_commit_callbacks)

    assert roll_call.status == RollCall.DONE and (roll_call.width, roll_call.height) == (1920, 1080)
    faces = list(roll_call.faces.all())
    found = box_iou(scene.boxes, np.array([face.box for face in faces], np.float32))
    face_of = {k: faces[int(np.argmax(found[k]))] for k in range(len(shown)) if found[k].max() > 0.3}
    assert set(face_of) == set(range(len(shown)))  # every face found, the 12 px one too
    payload = roll_call_payload(roll_call)
    lists = {row["id"]: row for row in payload["faces"]}
    for k in range(4):  # members at 32 px or more: named, and counted for them
        face = face_of[k]
        assert (face.decision, face.found_id, face.person_id) == (RollCallFace.NAMED, shown[k].pk, shown[k].pk)
        assert lists[face.pk]["list"] == FOUND
    outsider = face_of[4]
    assert (outsider.decision, outsider.found_id, outsider.person_id) == (RollCallFace.NAMED, people[5].pk, None)
    assert lists[outsider.pk]["list"] == OUTSIDE
    tiny = face_of[5]
    assert tiny.size_px < 28 and (tiny.decision, tiny.found_id, tiny.person_id) == (RollCallFace.TOO_SMALL, None, None)
    assert lists[tiny.pk]["list"] == TOO_SMALL
    assert payload["members_missing"] == [{"id": people[4].pk, "name": people[4].name}]
    assert [face.number for face in faces] == list(range(1, len(faces) + 1))


def test_it_records_nothing_until_marked(lfw_class, viewer_user, django_capture_on_commit_callbacks):
    lfw, people, group, session = lfw_class
    scene = data.class_photo([data.lfw_photo(lfw, data.LFW_PEOPLE[k], 2) for k in (0, 5)], [64, 64])
    strangers = ProvisionalIdentity.objects.count()

    read(group, session, scene.jpeg, viewer_user, django_capture_on_commit_callbacks)

    assert not AttendanceEvent.objects.exists() and not RegisterDay.objects.filter(day=site_date()).exists()
    assert not MatchLog.objects.exists() and ProvisionalIdentity.objects.count() == strangers


@pytest.fixture
def fixture_class(media_root, viewer_user, django_capture_on_commit_callbacks):
    """Person A and Ben enrolled from the committed fixtures; A and Cleo (no photo seen today) in the class."""
    from tests.review_data import make_person

    aaron = data.enrol("Aaron_Peirsol", photo("lfw_person_a_1.jpg"), django_capture_on_commit_callbacks)
    ben = data.enrol("Ben_B", photo("lfw_person_b_1.jpg"), django_capture_on_commit_callbacks)
    cleo = make_person("Cleo", with_sample=False)
    group, session = data.class_today(members=[aaron, cleo], responsible=[viewer_user])
    roll_call = read(group, session, data.fixture_class_photo(), viewer_user, django_capture_on_commit_callbacks)
    return roll_call, aaron, ben, cleo


def test_it_marks_the_members_found_present_at_the_sessions_start(fixture_class, viewer_user):
    roll_call, aaron, ben, cleo = fixture_class

    written = roll_call_mark(roll_call=roll_call, actor=viewer_user)

    assert [(event.person_id, event.kind, event.at, event.roll_call_id) for event in written] == [
        (aaron.pk, AttendanceEvent.ROLL_CALL, roll_call.at, roll_call.pk)]
    day = RegisterDay.objects.get(person=aaron, group=roll_call.group, day=site_date())
    assert day.status == "present" and day.first_in == roll_call.at
    entry = AuditEntry.objects.get(action=AuditEntry.ATTENDANCE_MARKED, person=aaron)
    assert entry.actor == viewer_user and f"roll call {roll_call.pk}" in entry.detail and "Present" in entry.detail
    assert not AttendanceEvent.objects.filter(person__in=[ben, cleo]).exists()


def test_it_marks_twice_without_a_second_event(fixture_class, viewer_user):
    roll_call, aaron, _, _ = fixture_class
    roll_call_mark(roll_call=roll_call, actor=viewer_user)

    assert roll_call_mark(roll_call=roll_call, actor=viewer_user) == []
    assert AttendanceEvent.objects.filter(person=aaron).count() == 1
    assert AuditEntry.objects.filter(action=AuditEntry.ATTENDANCE_MARKED).count() == 1


def test_it_counts_a_face_the_user_confirms_as_a_member(fixture_class, viewer_user):
    roll_call, aaron, ben, cleo = fixture_class
    tiny = roll_call.faces.get(decision=RollCallFace.TOO_SMALL)

    roll_call_face_set(face=tiny, person=cleo, actor=viewer_user)
    roll_call_mark(roll_call=roll_call, actor=viewer_user)

    assert set(AttendanceEvent.objects.values_list("person_id", flat=True)) == {aaron.pk, cleo.pk}
    assert roll_call_payload(roll_call)["members_missing"] == []


def test_it_refuses_a_person_outside_the_group_or_on_two_faces(fixture_class, viewer_user):
    from django.core.exceptions import ValidationError

    roll_call, aaron, ben, _ = fixture_class
    outsider = roll_call.faces.get(found=ben)
    with pytest.raises(ValidationError, match="not in 5C"):
        roll_call_face_set(face=outsider, person=ben, actor=viewer_user)
    with pytest.raises(ValidationError, match="one person, one face"):
        roll_call_face_set(face=outsider, person=aaron, actor=viewer_user)


def test_it_refuses_a_correction_once_marked(fixture_class, viewer_user):
    from django.core.exceptions import ValidationError

    roll_call, _, _, cleo = fixture_class
    roll_call_mark(roll_call=roll_call, actor=viewer_user)
    roll_call.refresh_from_db()
    with pytest.raises(ValidationError, match="marked already"):
        roll_call_face_set(face=roll_call.faces.get(decision=RollCallFace.TOO_SMALL), person=cleo, actor=viewer_user)


def test_it_refuses_a_day_to_come(fixture_class, viewer_user):
    import datetime as dt

    from django.core.exceptions import ValidationError

    roll_call = fixture_class[0]
    with pytest.raises(ValidationError, match="in the future"):
        roll_call_create(group=roll_call.group, day=site_date() + dt.timedelta(days=1), session=None,
                         image=("class.jpg", data.fixture_class_photo()), actor=viewer_user)


def test_it_erases_a_persons_face_from_the_roll_calls_photo(fixture_class):
    from identity.services.files import file_bytes
    from identity.vision.image import decode_image

    roll_call, _, ben, _ = fixture_class
    box = [int(v) for v in roll_call.faces.get(found=ben).box]
    before = decode_image(file_bytes(roll_call.photo))[box[1]:box[3], box[0]:box[2]]

    person_delete(person=ben)

    after = decode_image(file_bytes(roll_call.photo))[box[1]:box[3], box[0]:box[2]]
    assert before.mean() > 40 and after.max() == 0  # blacked out: the file itself rewritten
    assert not roll_call.faces.filter(found_id=ben.pk).exists() and roll_call.faces.count() == 2


def test_it_says_why_a_photo_could_not_be_read(fixture_class, viewer_user, django_capture_on_commit_callbacks):
    from identity.services.files import file_rewrite

    roll_call = fixture_class[0]
    with django_capture_on_commit_callbacks(execute=False):
        broken = roll_call_create(group=roll_call.group, day=site_date(), session=None,
                                  image=("class.jpg", data.fixture_class_photo()), actor=viewer_user)
    file_rewrite(broken.photo, data.fixture_class_photo()[:2000])  # cut short after its header was checked

    roll_call_read(roll_call_id=broken.pk)

    broken.refresh_from_db()
    assert broken.status == RollCall.FAILED and "truncated" in broken.error and not broken.faces.exists()


def test_it_takes_a_roll_call_for_a_chosen_list_of_people(media_root, operator_user,
                                                          django_capture_on_commit_callbacks):
    aaron = data.enrol("Aaron_Peirsol", photo("lfw_person_a_1.jpg"), django_capture_on_commit_callbacks)
    ben = data.enrol("Ben_B", photo("lfw_person_b_1.jpg"), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        roll_call = roll_call_create(group=None, day=site_date(), session=None, people=[aaron],
                                     image=("outing.jpg", data.fixture_class_photo()), actor=operator_user)
    roll_call = roll_call_read(roll_call_id=roll_call.pk)

    lists = {row["found"]["id"]: row["list"] for row in roll_call_payload(roll_call)["faces"] if row["found"]}
    written = roll_call_mark(roll_call=roll_call, actor=operator_user)

    assert lists == {aaron.pk: FOUND, ben.pk: OUTSIDE}
    assert [(event.person_id, event.group_id, event.at) for event in written] == [(aaron.pk, None, roll_call.at)]
    assert RegisterDay.objects.get(person=aaron, group=None, day=site_date()).first_in == roll_call.at  # in no group


def test_it_counts_an_earlier_days_roll_call_with_no_session_on_that_day(media_root, operator_user,
                                                                          django_capture_on_commit_callbacks):
    aaron = data.enrol("Aaron_Peirsol", photo("lfw_person_a_1.jpg"), django_capture_on_commit_callbacks)
    Person.objects.filter(pk=aaron.pk).update(created_at=timezone.now() - dt.timedelta(days=7))
    yesterday = site_date() - dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=False):
        roll_call = roll_call_create(group=None, day=yesterday, session=None, people=[aaron],
                                     image=("outing.jpg", data.fixture_class_photo()), actor=operator_user)
    roll_call_mark(roll_call=roll_call_read(roll_call_id=roll_call.pk), actor=operator_user)

    assert timezone.localtime(roll_call.at, timezone.get_default_timezone()).date() == yesterday  # its noon
    assert RegisterDay.objects.get(person=aaron, group=None, day=yesterday).first_in == roll_call.at


def test_it_refuses_a_roll_call_for_nobody(fixture_class, viewer_user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="a group or a list of people"):
        roll_call_create(group=None, day=site_date(), session=None, people=[],
                         image=("class.jpg", data.fixture_class_photo()), actor=viewer_user)


def test_it_gives_a_merged_persons_faces_to_the_one_kept(fixture_class):
    from identity.services.merge import people_merge

    roll_call, aaron, _, cleo = fixture_class
    face = roll_call.faces.get(found=aaron)

    people_merge(keep=cleo, drop=aaron)

    face.refresh_from_db()
    assert (face.found_id, face.person_id) == (cleo.pk, cleo.pk)


def test_it_suggests_the_best_match_of_a_face_it_is_unsure_of(media_root, viewer_user,
                                                              django_capture_on_commit_callbacks):
    """A member whose only sample is 0.27 like the face: under the name threshold, over the unknown one."""
    from identity.face_engine import get_face_engine
    from identity.models import embedding_to_bytes
    from tests.review_data import make_person, unit_vector

    probe = photo("lfw_person_a_2.jpg")
    face = get_face_engine().analyze(probe)[0].embedding
    other = unit_vector(5) - float(unit_vector(5) @ face) * face
    alike = 0.27 * face + np.sqrt(1 - 0.27 ** 2) * other / np.linalg.norm(other)
    member = make_person("Ada Alike")
    member.samples.update(embedding=embedding_to_bytes(alike.astype(np.float32)), flip_embedding=None)
    group, session = data.class_today(members=[member], responsible=[viewer_user])

    roll_call = read(group, session, probe, viewer_user, django_capture_on_commit_callbacks)

    (only,) = roll_call.faces.all()
    assert (only.decision, only.found_id, only.person_id) == (RollCallFace.UNSURE, member.pk, None)
    assert only.similarity == pytest.approx(0.27, abs=0.01)
    assert roll_call_payload(roll_call)["faces"][0]["list"] == "unsure"


def test_it_queues_a_roll_call_still_unread_again_once(fixture_class, viewer_user, django_capture_on_commit_callbacks):
    import datetime as dt

    from django.utils import timezone

    from attendance.rollcall import roll_calls_requeue_stale

    with django_capture_on_commit_callbacks(execute=False):  # the broker never took it
        lost = roll_call_create(group=fixture_class[0].group, day=site_date(), session=None,
                                image=("class.jpg", data.fixture_class_photo()), actor=viewer_user)
    RollCall.objects.filter(pk=lost.pk).update(created_at=timezone.now() - dt.timedelta(minutes=10))

    assert roll_calls_requeue_stale(older_than=dt.timedelta(minutes=5)) == [lost.pk]  # the read one is not
    assert roll_calls_requeue_stale(older_than=dt.timedelta(minutes=5)) == []  # once per period
