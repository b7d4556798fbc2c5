"""The presenters' words for figures a user reads: how alike two faces are, a camera's state."""

from identity.models import Camera
from identity.presenters import camera_status, likeness_text


def test_it_says_faces_below_the_naming_threshold_are_only_somewhat_alike():
    assert likeness_text(0.31, threshold=0.45) == (
        "somewhat alike, less than two photos of one person usually are (similarity 0.31; a face is named from 0.45)")


def test_it_says_faces_at_the_naming_threshold_are_as_alike_as_one_persons_photos():
    assert likeness_text(0.45, threshold=0.45).startswith("as alike as two photos of one person (similarity 0.45;")


def test_it_gives_a_reconnecting_camera_words_and_no_rates():
    camera = Camera(pk=7, name="Gate", kind=Camera.RTSP)
    status = camera_status(camera=camera, reader={"state": "reconnecting", "fps_in": 0.0},
                           live={"fps": 4.98}, counts=None)
    assert (status["state"], status["state_text"]) == ("reconnecting", "offline, trying again")
    assert (status["fps_in"], status["fps_processed"]) == (None, None)


def test_it_gives_a_switched_off_camera_words():
    camera = Camera(pk=7, name="Gate", kind=Camera.RTSP, active=False)
    assert camera_status(camera=camera, reader=None, live=None, counts=None)["state_text"] == "switched off"
