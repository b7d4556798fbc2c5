"""The open-set decision over a whole track (identity.live.open_set, no Django): a look-alike
stranger whose every frame names an enrolled person is a stranger all the same, while known
walkers are still named; real models on real photos."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from identity.live.open_set import OpenSet, track_names
from identity.live.pipeline import CameraPipeline
from identity.live.recognizer import Recognizer
from identity.live.track import TrackSettings
from identity.matching import Gallery, PersonMatch
from identity.vision import EngineConfig, FaceEngine
from tests import faces_data

FRAMES, FRAME_SECONDS, SIDE = 8, 0.2, 200
# Enrolled from committed photos: Aaron Peirsol, George W. Bush and the end-to-end four.
ENROLLED = {1: "lfw_person_a_1.jpg", 2: "lfw_person_b_1.jpg", 3: "e2e/Colin_Powell_0001.jpg",
            4: "e2e/Tony_Blair_0001.jpg", 5: "e2e/Donald_Rumsfeld_0001.jpg", 6: "e2e/Gerhard_Schroeder_0001.jpg"}
LOOK_ALIKE = 7  # Norm Coleman, whom the stranger Danny Ainge passes for frame after frame


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return FaceEngine(EngineConfig(intra_op_threads=1))


def embedding(engine: FaceEngine, image: np.ndarray) -> np.ndarray:
    return engine.analyze(image)[0].embedding


@pytest.fixture(scope="module")
def gallery(engine) -> Gallery:
    rows = {person: embedding(engine, faces_data.bgr(name)) for person, name in ENROLLED.items()}
    return Gallery(np.stack(list(rows.values())), list(rows))


def walk_by(engine: FaceEngine, gallery: Gallery, photo: np.ndarray, settings: TrackSettings):
    """The photo in front of a door camera, drifting 3 px a frame; the track's final identity."""
    labels = (f"S-{n}" for n in itertools.count(1))
    pipeline = CameraPipeline(engine=engine, settings=settings, recognizer=Recognizer(
        gallery=gallery, new_stranger=lambda: next(labels)))
    for index in range(FRAMES):
        canvas = np.full((480, 640, 3), 128, np.uint8)
        top, left = (480 - SIDE) // 2, 150 + 3 * index
        canvas[top : top + SIDE, left : left + SIDE] = cv2.resize(photo, (SIDE, SIDE))
        pipeline.process(canvas, now=index * FRAME_SECONDS)
    [track] = pipeline.finish()
    return track


def test_it_calls_a_look_alike_stranger_a_stranger_though_his_frames_name_someone(engine, gallery, shared_faces):
    images = shared_faces / "lfw" / "images"
    coleman = embedding(engine, cv2.imread(str(images / "Norm_Coleman" / "Norm_Coleman_0001.jpg")))
    enrolled = Gallery(np.vstack([gallery.matrix, coleman]), [*gallery.person_ids, LOOK_ALIKE])
    ainge = cv2.imread(str(images / "Danny_Ainge" / "Danny_Ainge_0001.jpg"))

    by_votes = walk_by(engine, enrolled, ainge, TrackSettings(open_set=None))
    assert by_votes.identity.person_id == LOOK_ALIKE  # the trap is real: the votes alone name him
    assert by_votes.person_frames[LOOK_ALIKE] >= 3

    track = walk_by(engine, enrolled, ainge, TrackSettings())
    assert track.identity.person_id is None and track.identity.stranger_label == "S-1"


@pytest.mark.parametrize("person, name", [(1, "lfw_person_a_2.jpg"), (3, "e2e/Colin_Powell_0002.jpg"),
                                          (4, "e2e/Tony_Blair_0002.jpg"), (6, "e2e/Gerhard_Schroeder_0002.jpg")])
def test_it_still_names_a_known_walker_in_another_photo(engine, gallery, person, name):
    track = walk_by(engine, gallery, faces_data.bgr(name), TrackSettings())

    assert track.identity.person_id == person


def test_it_asks_the_mean_face_to_clear_the_naming_threshold_by_the_gain():
    rule = OpenSet(mean_gain=0.04, mean_margin=0.0)
    decide = lambda similarity: track_names(  # noqa: E731
        1, PersonMatch(1, similarity, 0.1), rank_one=3, voting=3, name_threshold=0.35, rule=rule)

    assert decide(0.395) and not decide(0.385)


def test_it_asks_the_mean_face_to_lead_the_runner_up():
    rule = OpenSet(mean_gain=0.0, mean_margin=0.1)
    decide = lambda second: track_names(  # noqa: E731
        1, PersonMatch(1, 0.5, second), rank_one=3, voting=3, name_threshold=0.35, rule=rule)

    assert decide(0.39) and not decide(0.41)
    assert decide(-1.0)  # nobody else enrolled


def test_it_names_nobody_the_mean_face_matches_best_someone_else_than_the_votes():
    assert not track_names(1, PersonMatch(2, 0.7, 0.1), rank_one=3, voting=3, name_threshold=0.35, rule=OpenSet())


def test_it_asks_for_the_person_as_best_match_in_a_share_of_the_voting_frames():
    rule = OpenSet(mean_gain=0.0, mean_margin=0.0, rank_one_share=0.75)
    decide = lambda rank_one: track_names(  # noqa: E731
        1, PersonMatch(1, 0.5, 0.1), rank_one=rank_one, voting=4, name_threshold=0.35, rule=rule)

    assert decide(3) and not decide(2)
