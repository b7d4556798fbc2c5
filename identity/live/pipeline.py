"""One camera's live pipeline: detect the faces of a frame, follow them (Tracker), embed
only what needs it, decide identities over tracks. Plain Python, no Django: the worker that
owns a camera, `identify_video` and bench/walkby.py run the same object."""

from __future__ import annotations

import numpy as np

from identity.live.recognizer import Recognizer
from identity.live.tracking import StepResult, Track, Tracker, TrackSettings
from identity.vision import Detection, FaceEngine, align_face


def engine_embed(engine: FaceEngine):
    """The tracker's `embed`: align each detection and embed them all in one model call."""

    def embed(image: np.ndarray, detections: list[Detection]) -> tuple[np.ndarray, list[np.ndarray]]:
        crops = [align_face(image, d.keypoints) for d in detections]
        return engine.embed(np.stack(crops)), crops

    return embed


class CameraPipeline:
    def __init__(self, *, engine: FaceEngine, recognizer: Recognizer, settings: TrackSettings | None = None):
        self.engine = engine
        self.recognizer = recognizer
        self.tracker = Tracker(settings)
        self._embed = engine_embed(engine)

    def process(self, image: np.ndarray, *, now: float, name_threshold: float | None = None) -> StepResult:
        """Detect, follow and decide the faces of one BGR frame seen at `now` (seconds)."""
        detections = self.engine.detect(image)
        return self.tracker.step(image, detections, now=now, embed=self._embed, recognizer=self.recognizer,
                                 name_threshold=name_threshold)

    def idle(self, *, now: float, name_threshold: float | None = None) -> list[Track]:
        """End the tracks unseen too long when no frame comes (a camera gone quiet)."""
        return self.tracker.expire(now=now, recognizer=self.recognizer, name_threshold=name_threshold)

    def finish(self, *, name_threshold: float | None = None) -> list[Track]:
        """End every track now (the stream ended or the camera moved to another worker)."""
        return self.tracker.expire(now=float("inf"), recognizer=self.recognizer, name_threshold=name_threshold)
