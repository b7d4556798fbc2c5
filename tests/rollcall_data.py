"""Roll-call set-ups (helpers, not tests): people enrolled from one LFW photo each, and a class
photo composed from another photo of each (bench/crowd_scenes.py's faces on its scene) at chosen
face widths; and a small one from the committed fixtures, for the pages."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tests.faces_data import bgr, jpeg

BENCH = Path(__file__).resolve().parents[1] / "bench"
# LFW people with several photos whose subject the detector finds at full size.
LFW_PEOPLE = ["Aaron_Peirsol", "Abdullah_Gul", "Adrien_Brody", "Alejandro_Toledo", "Ali_Naimi", "Amelia_Vega",
              "Andre_Agassi", "Angelina_Jolie"]


def crowd_scenes():
    """bench/crowd_scenes.py (it imports its neighbour walkby_scenes as a top-level module)."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    import crowd_scenes

    return crowd_scenes


def lfw_photo(lfw: Path, name: str, number: int) -> bytes:
    return (lfw / "images" / name / f"{name}_{number:04d}.jpg").read_bytes()


def enrol(name: str, data: bytes, capture_on_commit_callbacks):
    """A person enrolled from one photo in this thread (no worker)."""
    from identity.services import enrolment

    with capture_on_commit_callbacks(execute=True):
        person, (sample,) = enrolment.person_enroll(name=name.replace("_", " "), consent=True,
                                                    photos=[(f"{name}.jpg", data)])
    assert enrolment.sample_process(sample_id=sample.pk).status == "accepted", name
    return person


@dataclass
class ClassPhoto:
    jpeg: bytes
    boxes: np.ndarray  # (N, 4): where each pasted face lies
    widths: list[int]


def class_photo(photos: list[bytes], widths: list[int], *, seed: int = 7) -> ClassPhoto:
    """One face of each photo (its central subject, as bench/crowd.py picks it), `widths[k]` px
    wide, in a row of cells on crowd_scenes' 1920x1080 scene."""
    from bench.lfw_faces import central_order
    from identity.face_engine import get_face_engine

    scenes = crowd_scenes()
    engine, rng = get_face_engine(), np.random.default_rng(seed)
    image = scenes.background(rng)
    cell = scenes.SCENE_W / len(photos)
    boxes = []
    for k, (data, width) in enumerate(zip(photos, widths)):
        picture = engine.load_image(data)
        subject = central_order(engine.detect(picture), picture.shape[1], picture.shape[0])[0]
        square, box = scenes.face_square(scenes.Subject(photo=picture, box=subject.box.astype(np.float32), person=k),
                                         width, rng)
        cx, cy = (k + 0.5) * cell, scenes.SCENE_H / 2
        scenes_paste(image, square, cx, cy)
        side = square.shape[0]
        x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
        boxes.append(box + np.array([x0, y0, x0, y0], np.float32))
    return ClassPhoto(jpeg=jpeg(image, quality=95), boxes=np.stack(boxes), widths=list(widths))


def scenes_paste(canvas: np.ndarray, square: np.ndarray, cx: float, cy: float) -> None:
    crowd_scenes()
    from walkby_scenes import paste

    paste(canvas, square, cx, cy)


def fixture_class_photo() -> bytes:
    """The committed fixtures as a small class photo: person A (lfw_person_a_2), person B, and
    person A's other photo shrunk to a face of about 12 px (too small to name)."""
    canvas = np.full((360, 760, 3), 150, np.uint8)
    canvas[55:305, 10:260] = bgr("lfw_person_a_2.jpg")
    canvas[55:305, 280:530] = bgr("lfw_person_b_1.jpg")
    canvas[150:180, 600:630] = cv2.resize(bgr("lfw_person_a_1.jpg"), (30, 30), interpolation=cv2.INTER_AREA)
    return jpeg(canvas)


def class_today(name: str = "5C", *, members=(), responsible=()):
    """A class with one session on today's weekday, all day (00:00 to 23:59): its start has passed
    whenever the test runs, so a member marked present in it is present, not pending."""
    import datetime as dt

    from attendance.models import Group, Schedule, ScheduleSession
    from faceapp.clock import site_date

    group = Group.objects.create(name=name)
    schedule = Schedule.objects.create(group=group, starts_on=site_date() - dt.timedelta(days=7))
    session = ScheduleSession.objects.create(schedule=schedule, weekday=site_date().weekday(), start=dt.time(0),
                                             end=dt.time(23, 59))
    group.members.add(*members)
    group.responsible.add(*responsible)
    return group, session


def bgr_blank() -> np.ndarray:
    """A plain grey picture: an image, without a face."""
    return np.full((240, 320, 3), 128, np.uint8)
