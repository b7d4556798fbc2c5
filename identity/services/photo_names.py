"""The faces of a photo named without recording anything: no match log, no stranger, no visit
(so no attendance). For a page that asks a user to confirm the names first (attendance's roll
call). The decision is the recognizer's own (identity.services.recognition): the process's
gallery, the adaptive flip step, the threshold and margin, one person per face of a photo; a
face under the name size is too small, never named; a face not named but at or above the
unknown threshold is unsure (evidence of nobody in particular), its best match a suggestion."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from identity.face_engine import get_face_engine
from identity.matching import named_once, refine_face_matches
from identity.models import Person
from identity.services.calibration import threshold_for
from identity.services.recognizer import recognizer_current

NAMED, UNSURE, UNKNOWN, TOO_SMALL = "named", "unsure", "unknown", "too_small"
# A class photo's smallest face worth reporting (as too small): the detector's tiles reach it (identity.vision.distance).
SMALLEST_FACE_PX = 12


@dataclass(frozen=True)
class PhotoFace:
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in the photo's pixels
    size_px: float  # the smaller side of the box (the name size's measure)
    decision: str  # NAMED, UNSURE, UNKNOWN or TOO_SMALL
    person_id: int | None  # NAMED: whom; UNSURE: the best match, a suggestion; else None
    similarity: float | None


def photo_faces_name(*, pixels: np.ndarray) -> list[PhotoFace]:
    """Every face of a decoded (BGR) photo down to SMALLEST_FACE_PX, largest first, decided."""
    engine = get_face_engine()
    faces = engine.faces([(pixels, engine.detect(pixels, min_face_px=SMALLEST_FACE_PX))])[0]
    nameable = [face for face in faces if not engine.too_small(face)]
    recognizer = recognizer_current()
    threshold, thresholds = threshold_for(None), recognizer.thresholds
    matches = recognizer.search(np.stack([face.embedding for face in nameable])) if nameable else []
    matches = refine_face_matches(engine=engine, faces=nameable, matches=matches, gallery=recognizer.gallery,
                                  threshold=threshold, margin=thresholds.margin).matches
    named = named_once(matches, threshold=threshold, margin=thresholds.margin)
    # Deactivated (or deleted) since this process's gallery was loaded: named as nobody.
    active = set(Person.objects.filter(pk__in=[m.person_id for m in matches if m.person_id], active=True)
                 .values_list("pk", flat=True))
    decided = iter(zip(matches, named))
    answer = []
    for face in faces:
        box = tuple(round(float(v), 1) for v in face.box)
        size = round(float(face.quality.size_px), 1)
        if engine.too_small(face):
            answer.append(PhotoFace(box, size, TOO_SMALL, None, None))
            continue
        match, is_named = next(decided)
        found = match.person_id in active
        decision = (NAMED if is_named and found else
                    UNSURE if found and match.similarity >= thresholds.unknown else UNKNOWN)
        answer.append(PhotoFace(box, size, decision, match.person_id if decision != UNKNOWN else None,
                                round(match.similarity, 4) if match.person_id is not None else None))
    return answer
