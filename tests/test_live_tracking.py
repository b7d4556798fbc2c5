"""The tracker on real photos with the real models (identity.live.tracking, no Django): a face
that is clearly not its track's starts a track of its own, also before the track has voted; a
picture cut or a restarted source ends every track; each face says who put a name on it; a face
too small to name is followed but never named."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from identity.live.pictures import picture_changed_share, picture_thumbnail
from identity.live.pipeline import CameraPipeline
from identity.live.recognizer import Recognizer
from identity.live.track import NAMED_BY_FACE, NAMED_BY_TRACK, TrackSettings, named_by
from identity.matching import Gallery
from identity.vision import EngineConfig, FaceEngine
from tests import faces_data, live_data

AARON, AARON_AGAIN, BUSH = "lfw_person_a_1.jpg", "lfw_person_a_2.jpg", "lfw_person_b_1.jpg"
FRAME_SECONDS = 0.2
SIDE = 170  # photos this tall: a face of ~65 px, too little of the frame for a picture cut


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return FaceEngine(EngineConfig(intra_op_threads=1))


@pytest.fixture
def door(engine):
    """A camera's pipeline with Aaron Peirsol enrolled (from another photo than the ones shown)."""

    def make(**settings) -> CameraPipeline:
        aaron = engine.analyze(faces_data.bgr(AARON))[0].embedding
        labels = (f"S-{n}" for n in itertools.count(1))
        recognizer = Recognizer(gallery=Gallery(aaron[None], [1]), new_stranger=lambda: next(labels))
        return CameraPipeline(engine=engine, recognizer=recognizer, settings=TrackSettings(**settings))

    return make


def blurred(image: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), 3.0)


def scenes(name: str, frames: range, *, blur: bool = False, side: int = SIDE) -> list[np.ndarray]:
    """The photo at the same place, drifting 2 px a frame as a person standing does."""
    images = [live_data.scene(name, x=170 + 2 * index, side=side) for index in frames]
    return [blurred(image) for image in images] if blur else images


def play(pipeline: CameraPipeline, images: list[np.ndarray], *, cut_at: int | None = None):
    """Per frame: the (track, view) pairs and the tracks that ended."""
    shown = []
    for index, image in enumerate(images):
        result = pipeline.process(image, now=index * FRAME_SECONDS, cut=index == cut_at)
        shown.append((result.views, result.ended))
    return shown


def not_a_cut(images: list[np.ndarray]) -> bool:
    s = TrackSettings()
    return all(picture_changed_share(picture_thumbnail(a), picture_thumbnail(b), level=s.cut_level) < s.cut_share
               for a, b in zip(images, images[1:]))


def test_it_follows_a_face_too_small_to_name_but_never_names_it(door, engine):
    pipeline = door()
    shown = play(pipeline, scenes(AARON_AGAIN, range(8), side=50))  # a face of ~20 px
    ended = pipeline.finish()

    [track] = {track.track_id: track for views, _ in shown for track, _ in views}.values()
    assert track.frames == 8 and ended == [track]
    assert all(view.too_small and view.quality is None for views, _ in shown for _, view in views)
    assert pipeline.tracker.settings.min_name_px == engine.min_name_px > 20
    assert (track.embedded, track.voting, track.identity) == (0, 0, None)  # never embedded, never voted, no name


def test_it_names_the_same_face_at_a_normal_size(door):
    pipeline = door()
    shown = play(pipeline, scenes(AARON_AGAIN, range(8)))  # a face of ~65 px

    [track] = {track.track_id: track for views, _ in shown for track, _ in views}.values()
    assert not any(view.too_small for views, _ in shown for _, view in views)
    assert track.identity.person_id == 1


def test_it_splits_a_named_track_when_another_face_takes_its_place(door):
    images = scenes(AARON_AGAIN, range(5)) + scenes(BUSH, range(5, 10))
    assert not_a_cut(images)  # the face alone changed: the split, not a cut, tells them apart
    shown = play(door(), images)  # live settings: a named track is embedded only now and then

    tracks = [{track.track_id for track, _ in views} for views, _ in shown]
    assert all(len(ids) == 1 for ids in tracks)
    aaron, bush = tracks[0] | tracks[4], tracks[5] | tracks[9]
    assert len(aaron) == 1 and len(bush) == 1 and aaron != bush
    assert all(track.identity and track.identity.person_id == 1 for views, _ in shown[:5] for track, _ in views)
    assert not any(track.identity and track.identity.known for views, _ in shown[5:] for track, _ in views)


def side_by_side(left: str, right: str, *, shift: int) -> np.ndarray:
    """Two people standing side by side, drifting `shift` px."""
    canvas = live_data.scene(None)
    top = (canvas.shape[0] - SIDE) // 2
    for name, x in ((left, 60 + shift), (right, 380 + shift)):
        canvas[top:top + SIDE, x:x + SIDE] = cv2.resize(faces_data.bgr(name), (SIDE, SIDE))
    return canvas


def trading_places(engine, *, face_change: float):
    """Per frame, as play(): Aaron and Bush, both named, side by side, who swap places at frame 5."""
    aaron, bush = (engine.analyze(faces_data.bgr(photo))[0].embedding for photo in (AARON, BUSH))
    recognizer = Recognizer(gallery=Gallery(np.stack([aaron, bush]), [1, 2]), new_stranger=lambda: "S-1")
    pipeline = CameraPipeline(engine=engine, recognizer=recognizer, settings=TrackSettings(face_change=face_change))
    images = ([side_by_side(AARON_AGAIN, BUSH, shift=2 * i) for i in range(5)]
              + [side_by_side(BUSH, AARON_AGAIN, shift=2 * i) for i in range(5, 10)])
    return play(pipeline, images)


def named_elsewhere(shown) -> list:
    """The faces after the swap that show the other man's name."""
    return [(track, view) for views, _ in shown[5:] for track, view in views
            if track.identity and track.identity.known
            and track.identity.person_id != (2 if view.box[0] < 320 else 1)]  # Bush on the left now


def test_it_checks_every_face_when_two_named_people_trade_places(engine):
    # Their faces' pixels change by 0.85 (left) and 0.90 (right) as they swap: with face_change
    # between, the left track sees no change of its own and would keep its name on the other man.
    shown = trading_places(engine, face_change=0.87)

    named_before = {track.identity.person_id for track, _ in shown[4][0] if track.identity and track.identity.known}
    assert named_before == {1, 2}
    assert named_elsewhere(shown) == []


def test_it_follows_people_who_trade_places_when_neither_face_changes_past_face_change(engine):
    # face_change above both faces' change (0.85, 0.90): each face is still more like the other
    # track's last face than its own track's, so the two are checked and each keeps its own name.
    shown = trading_places(engine, face_change=0.95)

    assert named_elsewhere(shown) == []


def test_it_splits_a_track_of_blurred_faces_before_it_has_voted(door):
    images = scenes(AARON_AGAIN, range(4), blur=True) + scenes(BUSH, range(4, 8), blur=True)
    assert not_a_cut(images)
    shown = play(door(), images)

    first = shown[3][0][0][0]
    assert first.embedded == 4 and first.total_weight == 0.0  # faces compared, none voted
    assert {track.track_id for views, _ in shown[4:] for track, _ in views} == {first.track_id + 1}


def test_it_keeps_one_track_for_one_face_sharp_or_blurred(door):
    images = [blurred(image) if index % 2 else image for index, image in enumerate(scenes(AARON_AGAIN, range(8)))]
    shown = play(door(reembed_frames=1), images)  # every frame embedded and compared

    assert {track.track_id for views, _ in shown for track, _ in views} == {1}


def test_it_splits_when_another_person_walks_in_before_the_track_times_out(door):
    images = scenes(AARON_AGAIN, range(5)) + [live_data.scene(None)] * 3 + scenes(BUSH, range(8, 13))
    shown = play(door(), images)  # 0.6 s away, the timeout is 3 s: Aaron's track is still open

    assert not any(ended for _, ended in shown)
    aaron, bush = shown[4][0][0][0], shown[8][0][0][0]
    assert aaron is not bush and aaron.identity.person_id == 1
    assert all(track is bush and not (track.identity and track.identity.known)
               for views, _ in shown[8:] for track, _ in views)


def test_it_ends_every_track_on_a_picture_cut(door):
    other_shot = cv2.resize(faces_data.bgr(AARON_AGAIN), live_data.SIZE)  # the same man, another scene
    images = scenes(AARON_AGAIN, range(4)) + [other_shot, other_shot]
    shown = play(door(), images)

    before = shown[3][0][0][0]
    (_, ended_at_cut) = shown[4]
    assert ended_at_cut == [before] and before.identity.person_id == 1
    assert shown[4][0][0][0] is not before and shown[5][0][0][0] is shown[4][0][0][0]


def test_it_ends_every_track_when_the_source_starts_again(door):
    images = scenes(AARON_AGAIN, range(6))
    assert not_a_cut(images)
    shown = play(door(), images, cut_at=3)  # the reader reconnected before frame 3

    before, after = shown[2][0][0][0], shown[3][0][0][0]
    assert shown[3][1] == [before] and after is not before
    assert [ended for _, ended in shown].count([]) == 5


def test_it_says_whether_the_face_or_the_track_named_it(door):
    shown = play(door(), scenes(AARON_AGAIN, range(6)) + scenes(BUSH, range(6, 8)))

    said = [named_by(track, view) for views, _ in shown for track, view in views]
    assert said[0] == NAMED_BY_FACE  # one strong frame: the face's own similarity names him
    assert set(said[1:6]) == {NAMED_BY_TRACK}  # not embedded again: the track's decision shows
    assert said[6:] == [None, None]  # nobody's name on the other man
    for views, _ in shown:
        for track, view in views:
            if view.match is not None and view.match.similarity < 0.25 and named_by(track, view) is not None:
                assert named_by(track, view) == NAMED_BY_TRACK
