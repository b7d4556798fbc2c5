"""One camera's live pipeline: detect the faces of a frame, follow them (Tracker), embed
only what needs it, decide identities over tracks. Plain Python, no Django: the worker that
owns a camera, `identify_video` and bench/walkby.py run the same object.

In adaptive flip mode the faces embedded in a frame are searched plain first; those whose
decision is close to the naming threshold are searched again by their flip embeddings (all
their mirrored crops in one model call). Tracks keep plain embeddings, as in plain mode."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from identity.live.motion import MotionGate, MotionSettings
from identity.live.recognizer import Recognizer
from identity.live.track import StepResult, Track, TrackSettings
from identity.live.tracking import Tracker
from identity.matching import PersonMatch, refine_matches
from identity.vision import Detection, FaceEngine
from identity.vision.align import align_face


def engine_embed(engine: FaceEngine):
    """The tracker's `embed`: align each detection and embed them all in one model call."""

    def embed(image: np.ndarray, detections: list[Detection]) -> tuple[np.ndarray, list[np.ndarray]]:
        crops = [align_face(image, d.keypoints) for d in detections]
        return engine.embed(np.stack(crops)), crops

    return embed


class AdaptiveSearch:
    """The recognizer as the tracker sees it in adaptive mode: searching the embeddings just
    made by :meth:`embed` refines the close decisions with the mirrored crops; everything
    else is the recognizer's own."""

    def __init__(self, *, engine: FaceEngine, recognizer: Recognizer):
        self.engine, self.recognizer = engine, recognizer
        self.name_threshold: float | None = None  # the frame's (camera's) naming threshold
        self.mirrored = 0  # faces mirrored so far, for benches and logs
        self._plain = engine_embed(engine)
        self._last: tuple[np.ndarray, list[np.ndarray]] | None = None

    def __getattr__(self, name: str):
        if name == "recognizer":  # not set yet (copying): never recurse
            raise AttributeError(name)
        return getattr(self.recognizer, name)

    def embed(self, image: np.ndarray, detections: list[Detection]) -> tuple[np.ndarray, list[np.ndarray]]:
        self._last = self._plain(image, detections)
        return self._last

    def search(self, embeddings: np.ndarray) -> list[PersonMatch]:
        gallery = self.recognizer.gallery  # one gallery for both searches, even if it is swapped meanwhile
        matches = gallery.search(embeddings) if len(embeddings) else []
        last = self._last
        if last is None or last[0] is not embeddings or not matches:
            return matches  # not the faces just embedded (a track's mean face): no crops to mirror
        self._last = None
        crops = np.stack(last[1])
        thresholds = self.recognizer.thresholds
        refined = refine_matches(
            matches, gallery=gallery, margin=thresholds.margin, band=self.engine.config.flip_band,
            threshold=thresholds.name if self.name_threshold is None else self.name_threshold,
            flip_embeddings=lambda indices: self.engine.flip_embeddings(crops[indices], embeddings[indices]),
        )
        self.mirrored += len(refined.mirrored)
        return refined.matches


class CameraPipeline:
    def __init__(self, *, engine: FaceEngine, recognizer: Recognizer, settings: TrackSettings | None = None,
                 motion: MotionSettings | None = None, min_face_px: int | None = None):
        self.engine = engine
        # The smallest face to find, frame pixels: it sizes the detector's input (0: the usual input;
        # None: the engine's name size, as a smaller face is never named).
        self.min_face_px = engine.min_name_px if min_face_px is None else min_face_px
        self.recognizer = recognizer
        settings = settings or TrackSettings()
        if settings.min_name_px is None:  # faces too small for this engine's embedding are never named
            settings = replace(settings, min_name_px=engine.min_name_px)
        self.tracker = Tracker(settings)
        self.motion = MotionGate(motion) if motion is not None else None  # None: every frame is detected
        self.adaptive = AdaptiveSearch(engine=engine, recognizer=recognizer) if engine.adaptive else None
        self._embed = self.adaptive.embed if self.adaptive else engine_embed(engine)

    def process(self, image: np.ndarray, *, now: float, name_threshold: float | None = None,
                cut: bool = False) -> StepResult:
        """Detect, follow and decide the faces of one BGR frame seen at `now` (seconds); `cut`:
        the source started again (a reconnect), so that no track goes on from before. With a
        motion gate, a frame where nothing moved while no face is in view only ends tracks: the
        detector would see what it saw in the last frame it ran on."""
        if self.motion is not None:
            if not (self.motion.moved(image) or cut or self.tracker.following()):
                return StepResult(views=[], decided=[], ended=self.idle(now=now, name_threshold=name_threshold),
                                  detected=False)
            self.motion.detected()
        detections = self.engine.detect_frame(image, min_face_px=self.min_face_px)
        searcher = self.recognizer
        if self.adaptive is not None:
            self.adaptive.recognizer, self.adaptive.name_threshold = self.recognizer, name_threshold
            searcher = self.adaptive
        return self.tracker.step(image, detections, now=now, embed=self._embed, recognizer=searcher,
                                 name_threshold=name_threshold, cut=cut)

    def idle(self, *, now: float, name_threshold: float | None = None) -> list[Track]:
        """End the tracks unseen too long when no frame comes (a camera gone quiet)."""
        return self.tracker.expire(now=now, recognizer=self.recognizer, name_threshold=name_threshold)

    def finish(self, *, name_threshold: float | None = None) -> list[Track]:
        """End every track now (the stream ended or the camera moved to another worker)."""
        return self.tracker.expire(now=float("inf"), recognizer=self.recognizer, name_threshold=name_threshold)
