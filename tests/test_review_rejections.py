""""Not this person" that keeps working: a face rejected as Aaron lowers Aaron's score for faces
that look like it, so a look-alike seen later is no longer named Aaron; Aaron's own faces are
unaffected, and undoing the rejection brings the earlier decision back. Real photos, real engine."""

import pytest

from attendance.models import AttendanceRecord
from identity.face_engine import get_face_engine
from identity.matching import REJECTION_PENALTY
from identity.models import Camera, MatchLog
from identity.services import recognition, review
from tests import faces_data, live_data

pytestmark = pytest.mark.django_db


def _face(data: bytes):
    return get_face_engine().analyze(data)[0].embedding


def _named(data: bytes, camera: Camera) -> MatchLog:
    snapshot = recognition.snapshot_submit(image=("frame.jpg", data), camera=camera)
    return recognition.snapshot_recognize(snapshot_id=snapshot.pk).logs.get()


@pytest.fixture
def look_alike_camera(aaron):
    """A camera whose threshold names Bo (lfw_person_b_1) as Aaron: a wrong decision to reject."""
    aaron_face = _face(faces_data.photo("lfw_person_a_1.jpg"))
    bo, bo_again = faces_data.photo("lfw_person_b_1.jpg"), live_data.scene_jpeg("lfw_person_b_1.jpg", x=300)
    lowest = min(float(_face(bo) @ aaron_face), float(_face(bo_again) @ aaron_face))
    assert lowest > REJECTION_PENALTY / 2  # Bo is named with a lead a rejection can take away
    return Camera.objects.create(name="Door", threshold=lowest - REJECTION_PENALTY / 2), bo, bo_again


def test_it_stops_naming_a_look_alike_after_a_rejection(aaron, look_alike_camera, operator_user, media_root,
                                                         django_capture_on_commit_callbacks):
    camera, bo, bo_again = look_alike_camera
    wrong = _named(bo, camera)
    assert (wrong.decision, wrong.person) == (MatchLog.KNOWN, aaron)

    with django_capture_on_commit_callbacks(execute=True):  # the gallery reloads once the rejection commits
        review.log_reject(log=wrong, user=operator_user)

    later = _named(bo_again, camera)
    assert later.decision == MatchLog.UNKNOWN and later.best_person == aaron
    assert later.similarity < camera.threshold


def test_it_keeps_naming_the_persons_own_faces_after_a_rejection(aaron, look_alike_camera, operator_user,
                                                                 media_root, django_capture_on_commit_callbacks):
    camera, bo, _ = look_alike_camera
    with django_capture_on_commit_callbacks(execute=True):
        review.log_reject(log=_named(bo, camera), user=operator_user)

    own = _named(faces_data.photo("lfw_person_a_2.jpg"), camera)

    assert (own.decision, own.person) == (MatchLog.KNOWN, aaron)


def test_it_names_the_look_alike_again_once_the_rejection_is_undone(aaron, look_alike_camera, operator_user,
                                                                    media_root, django_capture_on_commit_callbacks):
    camera, bo, bo_again = look_alike_camera
    wrong = _named(bo, camera)
    with django_capture_on_commit_callbacks(execute=True):
        review.log_reject(log=wrong, user=operator_user)
    assert not AttendanceRecord.objects.filter(person=aaron).exists()  # a rejected face is no evidence

    with django_capture_on_commit_callbacks(execute=True):
        undone = review.log_review_undo(log=wrong, user=operator_user)

    assert undone.review_status == MatchLog.UNREVIEWED
    assert AttendanceRecord.objects.filter(person=aaron).count() == 1  # the system's decision counts again
    later = _named(bo_again, camera)
    assert (later.decision, later.person) == (MatchLog.KNOWN, aaron)
