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
from collections.abc import Callable

import numpy as np

from identity.live.boxes import box_iou, greedy_pairs
from identity.live.open_set import track_names
from identity.live.pictures import face_thumbnail, picture_change, picture_changed_share, picture_thumbnail
from identity.live.recognizer import Recognizer
from identity.live.track import (
    BLURRED_LOOK_WEIGHT, BestFace, FaceView, StepResult, Track, TrackIdentity, TrackSettings,
)
from identity.vision import Detection
from identity.vision.align import crop_mask
from identity.vision.embedder import l2_normalize
from identity.vision.quality import FaceQuality, face_size, measure_quality

# embed(image, detections) -> ((N, D) unit embeddings, N aligned crops), in one model call.
Embed = Callable[[np.ndarray, list[Detection]], tuple[np.ndarray, list[np.ndarray]]]

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
