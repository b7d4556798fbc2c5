"""One followed face, as the Tracker keeps it: its settings, what each frame showed of it
(FaceView), its votes and the identity they decide. Plain Python, no Django."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from identity.live.open_set import OpenSet
from identity.live.recognizer import Recognizer
from identity.matching import PersonMatch
from identity.vision.embedder import l2_normalize
from identity.vision.quality import FaceQuality

BLURRED_LOOK_WEIGHT = 0.1  # a face that does not vote still counts, lightly, in what its track looks like
NAMED_BY_TRACK, NAMED_BY_FACE = "track", "face"


@dataclass(frozen=True)
class TrackSettings:
    min_face_px: float = 16.0  # smaller faces are not followed (the detector's own floor: distance.DETECTABLE_PX)
    # Smaller faces are too small to name: followed, never embedded, never vote (None: no such
    # limit; CameraPipeline sets its engine's, FaceEngine.min_name_px).
    min_name_px: float | None = None
    min_blur: float = 15.0  # blurrier faces (Laplacian variance of the face) are followed but do not vote
    full_weight_px: float = 96.0  # a face this large (smaller side) votes with full weight
    iou_match: float = 0.3  # box overlap that continues a track
    relink_similarity: float = 0.45  # embedding cosine that gives a face back its unseen track
    # An overlapping face this far (cosine) from the faces its track followed is someone else: 0.3
    # when both vote (LFW: another person's sharp face is above 0.3 in 0.01 % of pairs, the same
    # photo degraded never below 0.83), 0.1 when either is blurred (blurred faces look alike, and
    # a small blurred face of bench/walkby.py is down to 0.14 from its own sharp one).
    split_similarity: float = 0.3
    split_similarity_blurred: float = 0.1
    # A picture cut: over `cut_share` of the frame's grey 32x24 thumbnail (each one's median taken
    # off) differs from the last frame's by over `cut_level` grey levels (0-255). LFW: two
    # full-frame photos 0.56 or more; bench/walkby.py's walks (a face growing 16 % a frame, the
    # light dimmed) at most 0.29; a picture moved 6 px at most 0.17.
    cut_level: float = 20.0
    cut_share: float = 0.5
    # A face's pixels changed at once: its box's grey 16x16 thumbnail (mean off, unit spread)
    # differs from its track's last one by this much (LFW: the same face moved, grown, blurred or
    # darkened at most 0.29, 0.56 in bench/walkby.py; another face at the same place 0.66 or more).
    # It is embedded to be checked, and splits off below split_similarity_changed (another person,
    # blurred or not, is above 0.44 in no LFW pair; two heavily blurred faces of two people reach 0.35).
    face_change: float = 0.6
    split_similarity_changed: float = 0.5
    timeout_seconds: float = 3.0  # a track unseen this long has ended
    confirm_frames: int = 3  # agreeing frames that decide a track
    confirm_share: float = 0.6  # of the track's vote weight
    reembed_frames: int = 8  # a decided track is embedded again every this many frames
    better_face: float = 1.5  # ... or when a face this much heavier than its best appears
    min_frames: int = 2  # shorter tracks are noise: no identity, no visit
    # What the whole track must look like before the votes may name it (None: the votes alone).
    open_set: OpenSet | None = OpenSet()


@dataclass
class FaceView:
    """One face of one frame as the tracker saw it; embedding fields are None on frames where
    the track was not embedded."""

    box: np.ndarray
    keypoints: np.ndarray
    score: float
    weight: float = 0.0
    embedding: np.ndarray | None = None
    crop: np.ndarray | None = None
    quality: FaceQuality | None = None
    match: PersonMatch | None = None
    names: int | None = None  # the person this face alone names (its own similarity), if any
    too_small: bool = False  # under TrackSettings.min_name_px: never embedded, never votes
    thumb: np.ndarray | None = None  # its pixels, small (face_thumbnail)


@dataclass(frozen=True)
class TrackIdentity:
    person_id: int | None  # set when named
    stranger_label: str | None  # set when a stranger
    similarity: float  # to the named person, or to the best enrolled one for a stranger

    @property
    def known(self) -> bool:
        return self.person_id is not None


@dataclass
class BestFace:
    view: FaceView
    image: np.ndarray  # the whole frame it was seen in: the visit's evidence
    seen_at: float


@dataclass
class Track:
    track_id: int
    box: np.ndarray
    first_seen: float
    last_seen: float
    frames: int = 0
    embedded: int = 0
    since_embedded: int = 0
    total_weight: float = 0.0
    person_weight: Counter = field(default_factory=Counter)
    person_frames: Counter = field(default_factory=Counter)
    person_best: dict = field(default_factory=dict)  # person id -> best similarity
    rank_one: Counter = field(default_factory=Counter)  # person id -> voting frames where they matched best
    voting: int = 0  # frames that voted
    unknown_weight: float = 0.0
    unknown_frames: int = 0
    best_similarity: float = -1.0  # to anyone enrolled
    embedding_sum: np.ndarray | None = None
    best: BestFace | None = None
    identity: TrackIdentity | None = None
    visit: object = None  # what the owner stored for this track (a visit's id)
    look_sum: np.ndarray | None = None  # every embedded face, voting or not: what a new face is compared with
    look_sharp: int = 0  # of which faces that voted
    face_thumb: np.ndarray | None = None  # the last face's pixels, small (face_thumbnail)

    @property
    def embedding(self) -> np.ndarray | None:
        """The weighted mean of the track's embeddings, unit length."""
        return None if self.embedding_sum is None else l2_normalize(self.embedding_sum[None])[0]

    def vote(self, view: FaceView, *, recognizer: Recognizer, name_threshold: float | None) -> None:
        thresholds = recognizer.thresholds
        match = view.match
        self.embedded += 1
        self.since_embedded = 0
        if view.weight <= 0 or match is None:
            return
        self.total_weight += view.weight
        self.voting += 1
        self.rank_one[match.person_id] += 1
        self.best_similarity = max(self.best_similarity, match.similarity)
        weighted = view.embedding * view.weight
        self.embedding_sum = weighted if self.embedding_sum is None else self.embedding_sum + weighted
        if thresholds.names(match, name=name_threshold):
            self.person_weight[match.person_id] += view.weight
            self.person_frames[match.person_id] += 1
            self.person_best[match.person_id] = max(self.person_best.get(match.person_id, -1.0), match.similarity)
        elif match.similarity < thresholds.unknown:
            self.unknown_weight += view.weight
            self.unknown_frames += 1

    def leading_person(self) -> int | None:
        return self.person_weight.most_common(1)[0][0] if self.person_weight else None

    def named_by_votes(self, settings: TrackSettings, *, strong: float, final: bool) -> int | None:
        """The person the votes name, or None: several agreeing frames (two at the end of a
        short track) or one very strong frame, holding most of the vote weight."""
        person = self.leading_person()
        if person is None or self.person_weight[person] < settings.confirm_share * self.total_weight:
            return None
        needed = min(2, settings.confirm_frames) if final else settings.confirm_frames
        if self.person_frames[person] >= needed or self.person_best[person] >= strong:
            return person
        return None

    def unknown_by_votes(self, settings: TrackSettings, *, final: bool) -> bool:
        if final:
            return self.embedding_sum is not None
        return (self.unknown_frames >= settings.confirm_frames
                and self.unknown_weight >= settings.confirm_share * self.total_weight)


def named_by(track: Track, view: FaceView) -> str | None:
    """Who puts the track's name on this face: "face" when the face's own similarity names that
    person, "track" when only the track's vote does; None when the track shows no name."""
    if track.identity is None or not track.identity.known:
        return None
    return NAMED_BY_FACE if view.names == track.identity.person_id else NAMED_BY_TRACK


@dataclass
class StepResult:
    views: list[tuple[Track, FaceView]]  # every followed face of the frame
    decided: list[Track]  # tracks whose identity was set or changed on this frame
    ended: list[Track]  # tracks that ended (unseen too long), decided or not
    detected: bool = True  # False: nothing moved and no face was in view, so no detector ran (identity.live.motion)
