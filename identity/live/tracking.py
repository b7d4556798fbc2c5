"""Faces followed across the frames of one camera, each track's identity decided from all of
its frames. Plain Python, no Django: the process that owns a camera keeps its Tracker.

Detections are linked to tracks by box overlap; a face whose box overlaps no track is
embedded and linked by its embedding to a track unseen for a moment, else it starts a track.
A face is not its track's when its embedding is clearly not the face the track followed (every
embedded face counts there, also the blurred ones that do not vote): it starts a track of its
own. A face back in its box after a missed frame, or whose pixels changed at once, is embedded
to be checked. A picture cut (the frame unlike the last one, or the source restarted) ends
every track.
Every embedded frame votes, weighted by face size and detector score (blurred faces do not
vote; faces too small to name are followed by their boxes alone, never embedded, never voting);
a track is named after several agreeing frames or one very strong one, when its mean
face is also clearly that person's (identity.live.open_set), and called a stranger after
several frames too far from everyone, or at its end when it was never named. Confirmed tracks are embedded again
only every few frames or when a clearly better face appears, so the CPU goes to new faces.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from identity.live.boxes import box_iou, greedy_pairs
from identity.live.open_set import OpenSet, track_names
from identity.live.pictures import face_thumbnail, picture_change, picture_changed_share, picture_thumbnail
from identity.live.recognizer import Recognizer
from identity.matching import PersonMatch
from identity.vision import Detection
from identity.vision.align import crop_mask
from identity.vision.embedder import l2_normalize
from identity.vision.quality import FaceQuality, face_size, measure_quality

# embed(image, detections) -> ((N, D) unit embeddings, N aligned crops), in one model call.
Embed = Callable[[np.ndarray, list[Detection]], tuple[np.ndarray, list[np.ndarray]]]

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


def _look_similarity(track: Track, embedding: np.ndarray) -> float:
    """The embedding's cosine to every face its track embedded (look_sum)."""
    return float(embedding @ l2_normalize(track.look_sum[None])[0])


class Tracker:
    """The tracks of one camera. Not thread-safe: one camera's frames come one at a time."""

    def __init__(self, settings: TrackSettings | None = None):
        self.settings = settings or TrackSettings()
        self.tracks: list[Track] = []
        self._ids = itertools.count(1)
        self._picture: np.ndarray | None = None  # the last frame's picture_thumbnail
        self._last_step: float | None = None  # the last frame's time

    def too_small(self, detection: Detection) -> bool:
        """Too small to name (min_name_px): the face is followed but never embedded nor votes."""
        limit = self.settings.min_name_px
        return limit is not None and face_size(detection.box) < limit

    def _weight(self, detection: Detection, quality: FaceQuality | None) -> float:
        """A face's vote: none when it is blurred or too small to name, else by size and score."""
        if (quality is not None and quality.blur < self.settings.min_blur) or self.too_small(detection):
            return 0.0
        size = face_size(detection.box)
        return min(1.0, size / self.settings.full_weight_px) * float(np.clip(detection.score, 0.0, 1.0))

    @staticmethod
    def _change(track: Track, view: FaceView) -> float | None:
        """How unlike its track's last face the face's pixels are (None: either is off the frame)."""
        if view.thumb is None or track.face_thumb is None:
            return None
        return picture_change(view.thumb, track.face_thumb)

    @staticmethod
    def _rival(track: Track, view: FaceView, live: list[Track], *, change: float) -> Track | None:
        """The other live track whose last face the face's pixels are more like than its own
        track's (`change`): the two people may have traded places."""
        rivals = [(picture_change(view.thumb, other.face_thumb), other.track_id, other)
                  for other in live if other is not track and other.face_thumb is not None]
        closest = min(rivals, default=None, key=lambda rival: rival[:2])
        return closest[2] if closest is not None and closest[0] < change else None

    def _needs_embedding(self, track: Track, detection: Detection, changed: bool) -> bool:
        if track.identity is None or track.best is None or changed:
            return True
        if self._last_step is not None and track.last_seen < self._last_step:
            return True  # back after a frame without it: perhaps someone else stepped into the place
        if track.since_embedded + 1 >= self.settings.reembed_frames:
            return True
        return self._weight(detection, None) > self.settings.better_face * track.best.view.weight

    def following(self) -> bool:
        """A face was seen in the last frame detected: it is in view, perhaps standing still."""
        return self._last_step is not None and any(t.last_seen == self._last_step for t in self.tracks)

    def picture_cut(self, image: np.ndarray) -> bool:
        """True when the frame is unlike the last one (cut_share): another scene, not a moment later."""
        picture = picture_thumbnail(image)
        previous, self._picture = self._picture, picture
        if previous is None:
            return False
        return picture_changed_share(picture, previous, level=self.settings.cut_level) > self.settings.cut_share

    def step(
        self, image: np.ndarray, detections: list[Detection], *, now: float, embed: Embed, recognizer: Recognizer,
        name_threshold: float | None = None, cut: bool = False,
    ) -> StepResult:
        """Follow the faces of one frame: link, embed what needs it (one batch), search the
        gallery once, vote, decide; tracks unseen for `timeout_seconds` end, and every track
        ends on a picture cut (`cut`: the source restarted; or the frame unlike the last one)."""
        s = self.settings
        cut = self.picture_cut(image) or cut
        cut_short = self.expire(now=float("inf"), recognizer=recognizer, name_threshold=name_threshold) if cut else []
        faces = [d for d in detections if face_size(d.box) >= s.min_face_px]
        live = [t for t in self.tracks if now - t.last_seen <= s.timeout_seconds]
        owner: dict[int, Track] = {}
        if faces and live:
            overlap = box_iou(np.stack([f.box for f in faces]), np.stack([t.box for t in live]))
            owner = {row: live[col] for row, col in greedy_pairs(overlap, s.iou_match)}
        views = [FaceView(box=f.box, keypoints=f.keypoints, score=float(f.score), thumb=face_thumbnail(image, f.box),
                          too_small=self.too_small(f)) for f in faces]
        change = {i: c for i, track in owner.items() if (c := self._change(track, views[i])) is not None}
        # The face's pixels changed at once (face_change): perhaps someone else.
        changed = {i for i, c in change.items() if c > s.face_change}
        rivals = {i: rival for i, c in change.items() if (rival := self._rival(owner[i], views[i], live, change=c))}
        # One face changed at once: its neighbours may have traded places with it (two people
        # side by side swap boxes, one face's pixels changing less than face_change): all checked.
        to_embed = [i for i, face in enumerate(faces) if not views[i].too_small and (
            i not in owner or changed or rivals or self._needs_embedding(owner[i], face, i in changed))]
        if to_embed:
            embeddings, crops = embed(image, [faces[i] for i in to_embed])
            matches = recognizer.search(embeddings)
            for i, embedding, crop, match in zip(to_embed, embeddings, crops, matches):
                view = views[i]
                view.embedding, view.crop, view.match = embedding, crop, match
                view.quality = measure_quality(faces[i].box, faces[i].keypoints, faces[i].score, crop,
                                               valid=crop_mask(image.shape, faces[i].keypoints))
                if recognizer.thresholds.names(match, name=name_threshold):
                    view.names = match.person_id
        split: dict[int, Track] = {}  # face -> the track it is not
        for i, (view, face) in enumerate(zip(views, faces)):
            view.weight = self._weight(face, view.quality) if view.embedding is not None else 0.0
            track = owner.get(i)
            if track is not None and self._someone_else(track, view, changed=i in changed, rival=rivals.get(i)):
                split[i] = owner.pop(i)  # another person stepped into the box: a track of their own
        self._relink(views, owner, live, split)
        result = StepResult(views=[], decided=[], ended=[])
        self._last_step = now
        for i, view in enumerate(views):
            track = owner.get(i)
            if track is None:
                track = Track(track_id=next(self._ids), box=view.box, first_seen=now, last_seen=now)
                self.tracks.append(track)
            self._observe(track, view, image, now, recognizer, name_threshold)
            result.views.append((track, view))
        taken = {t.identity.person_id for t, _ in result.views if t.identity and t.identity.known}
        for track, _ in result.views:
            if self._decide(track, recognizer, name_threshold, taken, final=False):
                result.decided.append(track)
        result.ended = cut_short + self.expire(now=now, recognizer=recognizer, name_threshold=name_threshold)
        return result

    def _someone_else(self, track: Track, view: FaceView, *, changed: bool, rival: Track | None) -> bool:
        """The face is clearly not the one its track followed (split_similarity*), or it is more
        like the faces its rival track followed: compared with every face the track embedded,
        blurred ones too, so also before the track has voted."""
        if view.embedding is None or track.look_sum is None:
            return False
        s = self.settings
        similarity = _look_similarity(track, view.embedding)
        if changed and similarity < s.split_similarity_changed:
            return True
        if rival is not None and rival.look_sum is not None and _look_similarity(rival, view.embedding) > similarity:
            return True
        return similarity < (s.split_similarity if view.weight > 0 and track.look_sharp else s.split_similarity_blurred)

    def _relink(self, views: list[FaceView], owner: dict[int, Track], live: list[Track],
                split: dict[int, Track]) -> None:
        # A face that moved too far for its box to overlap keeps its track by its embedding.
        loose = [i for i, v in enumerate(views) if i not in owner and v.embedding is not None]
        idle = [t for t in live if t not in owner.values() and t.embedding_sum is not None]
        if not loose or not idle:
            return
        scores = np.stack([views[i].embedding for i in loose]) @ np.stack([t.embedding for t in idle]).T
        for row, i in enumerate(loose):  # never back to the track the face was just told apart from
            scores[row, [col for col, t in enumerate(idle) if t is split.get(i)]] = -np.inf
        for row, col in greedy_pairs(scores, self.settings.relink_similarity):
            owner[loose[row]] = idle[col]

    def _observe(self, track: Track, view: FaceView, image: np.ndarray, now: float, recognizer: Recognizer,
                 name_threshold: float | None) -> None:
        track.box, track.last_seen, track.face_thumb = view.box, now, view.thumb
        track.frames += 1
        if view.embedding is None:
            track.since_embedded += 1
            return
        look = view.embedding * (view.weight if view.weight > 0 else BLURRED_LOOK_WEIGHT)
        track.look_sum = look if track.look_sum is None else track.look_sum + look
        track.look_sharp += view.weight > 0
        track.vote(view, recognizer=recognizer, name_threshold=name_threshold)
        if view.weight > 0 and (track.best is None or view.weight >= track.best.view.weight):
            track.best = BestFace(view=view, image=image, seen_at=now)

    def _decide(self, track: Track, recognizer: Recognizer, name_threshold: float | None, taken: set[int], *,
                final: bool) -> bool:
        """Set the track's identity when its votes allow; True when it changed. A named track
        stays named; a stranger's track is named later if the votes come to name it."""
        if track.identity is not None and track.identity.known:
            return False
        strong = recognizer.thresholds.strong
        person = track.named_by_votes(self.settings, strong=strong, final=final)
        if person is not None and person not in taken and self._whole_track_names(track, person, recognizer,
                                                                                   name_threshold):
            track.identity = TrackIdentity(person, None, float(track.person_best[person]))
            taken.add(person)
            return True
        if track.identity is None and track.unknown_by_votes(self.settings, final=final):
            others = {t.identity.stranger_label for t in self.tracks if t is not track and t.identity}
            stranger = recognizer.stranger_for(track.embedding, exclude=others - {None})
            track.identity = TrackIdentity(None, stranger.label, float(track.best_similarity))
            return True
        return False

    def _whole_track_names(self, track: Track, person: int, recognizer: Recognizer,
                           name_threshold: float | None) -> bool:
        """The open-set decision (identity.live.open_set) on the track's mean face."""
        rule = self.settings.open_set
        if rule is None:
            return True
        [mean] = recognizer.search(track.embedding[None])
        threshold = recognizer.thresholds.name if name_threshold is None else name_threshold
        return track_names(person, mean, rank_one=track.rank_one[person], voting=track.voting,
                           name_threshold=threshold, rule=rule)

    def expire(self, *, now: float, recognizer: Recognizer, name_threshold: float | None = None) -> list[Track]:
        """End the tracks unseen for `timeout_seconds` (all of them with now=inf), deciding the
        undecided ones from the votes they have; tracks shorter than min_frames get no identity."""
        ended = [t for t in self.tracks if now - t.last_seen > self.settings.timeout_seconds]
        if not ended:
            return []
        for track in ended:  # decided while still listed, so that they keep apart from each other
            if track.identity is None and track.frames >= self.settings.min_frames:
                self._decide(track, recognizer, name_threshold, set(), final=True)
        self.tracks = [t for t in self.tracks if t not in ended]
        return ended
