"""Open-set identification: match face embeddings against the enrolled people and give
strangers stable provisional IDs. Plain numpy, no Django: the worker, the video command
and the benchmarks share it.

All embeddings are L2-normalised float32 rows, so a dot product is the cosine similarity.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from identity.vision.adaptive import near
from identity.vision.embedder import l2_normalize

if TYPE_CHECKING:
    from identity.vision import Face, FaceEngine


@dataclass(frozen=True)
class PersonMatch:
    """The best enrolled person for one face, whether or not it passes the threshold."""

    person_id: int | None
    similarity: float  # cosine to the best person's closest sample; -1.0 with an empty gallery
    second_similarity: float  # the same for the runner-up person; -1.0 when there is none

    @property
    def margin(self) -> float:
        """How far the best person is ahead of the runner-up (unrelated faces score about 0)."""
        return self.similarity - max(self.second_similarity, 0.0)

    def is_known(self, *, threshold: float, margin: float) -> bool:
        """Open-set decision: close enough to someone, and clearly closer than to anyone else."""
        return self.person_id is not None and self.similarity >= threshold and self.margin >= margin


# "Not this person": a face more like a face a reviewer rejected as person P than like P's own
# samples (and at least REJECTION_LOOKALIKE like it) has P's score lowered by REJECTION_PENALTY.
REJECTION_LOOKALIKE = 0.3
REJECTION_PENALTY = 0.1


class Gallery:
    """The enrolled samples as one normalised matrix; a person scores their best sample.

    ``flip_embeddings`` (same rows as ``embeddings``) are the samples' flip embeddings, which
    adaptive mode searches for faces close to a decision (``search(..., flip=True)``);
    without them that search uses ``embeddings``. ``rejections`` (with ``rejected_ids``) are
    faces reviewers said are not that person: look-alikes of them score that person lower."""

    def __init__(self, embeddings: np.ndarray, person_ids: Sequence[int], *,
                 flip_embeddings: np.ndarray | None = None, version: str = "",
                 rejections: np.ndarray | None = None, rejected_ids: Sequence[int] = ()):
        person_ids = np.asarray(person_ids, dtype=np.int64)
        embeddings = np.asarray(embeddings, dtype=np.float32)
        embeddings = embeddings.reshape(len(person_ids), embeddings.shape[-1])
        # Samples sorted by person so that each person's columns are one contiguous run.
        order = np.argsort(person_ids, kind="stable")
        self.matrix = l2_normalize(embeddings[order]) if len(order) else embeddings
        flips = None if flip_embeddings is None else np.asarray(flip_embeddings, np.float32).reshape(embeddings.shape)
        self.flip_matrix = self.matrix if flips is None or not len(order) else l2_normalize(flips[order])
        sorted_ids = person_ids[order]
        starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]]) if len(order) else []
        self._run_starts = np.asarray(starts, dtype=np.int64)
        self.person_ids = sorted_ids[self._run_starts] if len(order) else sorted_ids
        self.version = version
        # Only rejections of people in the gallery count: each keeps its person's column.
        rejected_ids = np.asarray(rejected_ids, dtype=np.int64)
        kept = np.isin(rejected_ids, self.person_ids) if rejections is not None else np.zeros(0, bool)
        self.rejections = l2_normalize(np.asarray(rejections, np.float32)[kept]) if kept.any() else None
        self._rejected_columns = np.searchsorted(self.person_ids, rejected_ids[kept]) if kept.any() else None

    @classmethod
    def empty(cls, dim: int = 512, *, version: str = "") -> Gallery:
        return cls(np.zeros((0, dim), np.float32), [], version=version)

    @property
    def sample_count(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def person_count(self) -> int:
        return int(len(self.person_ids))

    def person_scores(self, queries: np.ndarray, *, flip: bool = False) -> np.ndarray:
        """(faces, people) cosine of each face to each person's closest sample (flip: the
        queries are flip embeddings, scored against the samples' flip embeddings)."""
        queries = l2_normalize(np.atleast_2d(queries))
        similarities = queries @ (self.flip_matrix if flip else self.matrix).T
        if len(self._run_starts) != self.sample_count:  # else one sample per person: nothing to reduce
            similarities = np.maximum.reduceat(similarities, self._run_starts, axis=1)
        return similarities if self.rejections is None else self._rejections_applied(queries, similarities)

    def _rejections_applied(self, queries: np.ndarray, scores: np.ndarray) -> np.ndarray:
        alike = queries @ self.rejections.T  # (faces, rejections)
        rejected_scores = scores[:, self._rejected_columns]
        hit = (alike >= REJECTION_LOOKALIKE) & (alike > rejected_scores)
        if not hit.any():
            return scores
        penalties = np.zeros_like(scores)
        faces, which = np.nonzero(hit)
        np.maximum.at(penalties, (faces, self._rejected_columns[which]), REJECTION_PENALTY)
        return scores - penalties

    def search(self, queries: np.ndarray, *, flip: bool = False, exclude: int | None = None) -> list[PersonMatch]:
        """Best and runner-up person for each query row, in one matrix product (flip: see
        :meth:`person_scores`); ``exclude``: a person left out of the search."""
        queries = np.atleast_2d(queries)
        left_out = exclude is not None and exclude in self.person_ids
        if self.person_count - left_out == 0:
            return [PersonMatch(None, -1.0, -1.0) for _ in range(len(queries))]
        scores = self.person_scores(queries, flip=flip)
        if left_out:
            scores[:, self.person_ids == exclude] = -np.inf
        rows = np.arange(len(scores))
        # Two linear argmax passes beat a partial sort on wide (100k-person) score rows.
        best = scores.argmax(axis=1)
        best_scores = scores[rows, best].copy()
        if self.person_count - left_out == 1:
            second_scores = np.full(len(scores), -1.0, np.float32)
        else:
            scores[rows, best] = -np.inf
            second_scores = scores.max(axis=1)
        return [
            PersonMatch(int(self.person_ids[b]), float(b_score), float(s_score))
            for b, b_score, s_score in zip(best, best_scores, second_scores)
        ]


def decision_close(match: PersonMatch, *, threshold: float, margin: float, band: float) -> bool:
    """Could mirroring the face change this open-set decision? Its similarity lies within
    `band` of the threshold, or it passes the threshold with a lead within `band` of `margin`."""
    if match.person_id is None:
        return False
    return near(match.similarity, threshold=threshold, band=band) or (
        match.similarity >= threshold and near(match.margin, threshold=margin, band=band))


@dataclass(frozen=True)
class Refined:
    """Matches after the adaptive step, and which faces it mirrored (indices into them)."""

    matches: list[PersonMatch]
    mirrored: list[int]


def refine_matches(
    matches: Sequence[PersonMatch], *, gallery: Gallery, threshold: float, margin: float, band: float,
    flip_embeddings: Callable[[list[int]], np.ndarray], exclude: int | None = None,
) -> Refined:
    """The adaptive step on plain matches: the faces whose decision is close (see
    :func:`decision_close`) are searched again by their flip embeddings against the samples'
    flip embeddings. `flip_embeddings(indices)` gives those faces' flip embeddings (one ONNX
    call for all of them); it is not called when no decision is close."""
    close = [i for i, m in enumerate(matches) if decision_close(m, threshold=threshold, margin=margin, band=band)]
    refined = list(matches)
    if close:
        for index, match in zip(close, gallery.search(flip_embeddings(close), flip=True, exclude=exclude)):
            refined[index] = match
    return Refined(refined, close)


def refine_face_matches(
    *, engine: FaceEngine, faces: Sequence[Face], matches: Sequence[PersonMatch], gallery: Gallery,
    threshold: float, margin: float, exclude: int | None = None,
) -> Refined:
    """:func:`refine_matches` for faces from ``engine.analyze`` (uploads, enrolment), with the
    engine's band; the matches unchanged unless the engine is in adaptive mode."""
    if not engine.adaptive:
        return Refined(list(matches), [])
    return refine_matches(
        matches, gallery=gallery, threshold=threshold, margin=margin, band=engine.config.flip_band,
        flip_embeddings=lambda indices: engine.mirror([faces[i] for i in indices]), exclude=exclude,
    )


STRANGER_EXAMPLES = 5  # representative embeddings kept per stranger


def similar_pairs(groups: Sequence[np.ndarray], *, threshold: float) -> list[tuple[int, int, float]]:
    """(i, j, similarity) for each two groups of embeddings (strangers' examples) whose closest
    examples are at least `threshold` alike, most alike first: likely one person seen twice."""
    groups = [l2_normalize(np.atleast_2d(group)) for group in groups]
    if len(groups) < 2:
        return []
    starts = np.cumsum([0] + [len(group) for group in groups[:-1]])
    stacked = np.vstack(groups)
    closest = np.maximum.reduceat(np.maximum.reduceat(stacked @ stacked.T, starts, axis=0), starts, axis=1)
    rows, columns = np.triu_indices(len(groups), k=1)
    alike = closest[rows, columns]
    chosen = np.flatnonzero(alike >= threshold)
    chosen = chosen[np.argsort(-alike[chosen], kind="stable")]
    return [(int(rows[k]), int(columns[k]), float(alike[k])) for k in chosen]


class StrangerRegistry:
    """Provisional identities: a label and up to `max_examples` representative embeddings each."""

    def __init__(self, *, max_examples: int = STRANGER_EXAMPLES, diversity: float = 0.9):
        self.max_examples = max_examples
        self.diversity = diversity  # a new example is kept only if it adds a different view
        self.labels: list[str] = []
        self._examples: list[np.ndarray] = []

    def __len__(self) -> int:
        return len(self.labels)

    def add(self, label: str, embeddings: np.ndarray) -> None:
        self.labels.append(label)
        self._examples.append(l2_normalize(np.atleast_2d(embeddings))[-self.max_examples :])

    def examples(self, label: str) -> np.ndarray:
        return self._examples[self.labels.index(label)]

    def remember(self, label: str, embedding: np.ndarray) -> bool:
        """Add a sighting's embedding to a stranger's examples; True when it was kept."""
        index = self.labels.index(label)
        current = self._examples[index]
        vector = l2_normalize(np.atleast_2d(embedding))
        if current.size and float((current @ vector[0]).max()) >= self.diversity:
            return False
        self._examples[index] = np.vstack([current, vector])[-self.max_examples :]
        return True

    def scores(self, queries: np.ndarray) -> np.ndarray:
        """(faces, strangers) cosine of each face to each stranger's closest example."""
        queries = l2_normalize(np.atleast_2d(queries))
        if not self.labels:
            return np.zeros((len(queries), 0), np.float32)
        stacked = np.vstack(self._examples)
        owners = np.repeat(np.arange(len(self._examples)), [len(e) for e in self._examples])
        starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
        return np.maximum.reduceat(queries @ stacked.T, starts, axis=1)


def person_display_id(person_id: int, code: str | None = None) -> str:
    """The ID the pages show for an enrolled person: their code, else P-<id>."""
    return code or f"P-{person_id}"


@dataclass(frozen=True)
class Assignment:
    """The ID given to one face of a frame."""

    face_index: int
    match: PersonMatch
    known: bool
    person_id: int | None  # set when known
    stranger_label: str | None  # set when unknown
    stranger_similarity: float | None  # to the provisional identity it joined; None when new
    new_stranger: bool

    @property
    def assigned_id(self) -> str:
        return person_display_id(self.person_id) if self.known else str(self.stranger_label)


def _greedy_pairs(scores: np.ndarray, minimum: float) -> list[tuple[int, int, float]]:
    """Highest-scoring (row, column) pairs first, each row and column used once."""
    pairs = []
    used_rows, used_cols = set(), set()
    for flat in np.argsort(-scores, axis=None):
        row, col = np.unravel_index(flat, scores.shape)
        score = float(scores[row, col])
        if score < minimum:
            break
        if row in used_rows or col in used_cols:
            continue
        used_rows.add(row)
        used_cols.add(col)
        pairs.append((int(row), int(col), score))
    return pairs


def assign_identities(
    embeddings: np.ndarray,
    *,
    gallery: Gallery,
    strangers: StrangerRegistry,
    new_label: Callable[[], str],
    threshold: float,
    margin: float = 0.05,
    stranger_threshold: float | None = None,
    matches: Sequence[PersonMatch] | None = None,
) -> list[Assignment]:
    """Give every face of one frame an ID: an enrolled person's, or a stranger's.

    threshold: minimum cosine to an enrolled person for a "known" decision.
    margin: minimum lead of the best person over the runner-up (ambiguous faces are unknown).
    stranger_threshold: minimum cosine to join an existing provisional identity
        (defaults to `threshold`); below it the face gets a new label from `new_label()`.
    matches: the faces' gallery matches when already known (e.g. from :func:`refine_face_matches`);
        by default `gallery` is searched here.
    Two faces in one frame never get the same ID; `strangers` is updated in place.
    """
    embeddings = l2_normalize(np.atleast_2d(embeddings)) if len(embeddings) else embeddings
    if len(embeddings) == 0:
        return []
    stranger_threshold = threshold if stranger_threshold is None else stranger_threshold
    matches = gallery.search(embeddings) if matches is None else list(matches)
    known = [m.is_known(threshold=threshold, margin=margin) for m in matches]
    # One person cannot be two faces of the same frame: the closer face keeps the name.
    by_person: dict[int, int] = {}
    for index in sorted(range(len(matches)), key=lambda i: -matches[i].similarity):
        if known[index]:
            if matches[index].person_id in by_person:
                known[index] = False
            else:
                by_person[matches[index].person_id] = index

    unknown = [i for i, is_known in enumerate(known) if not is_known]
    joined: dict[int, tuple[str, float]] = {}
    if unknown and len(strangers):
        scores = strangers.scores(embeddings[unknown])
        for row, col, score in _greedy_pairs(scores, stranger_threshold):
            joined[unknown[row]] = (strangers.labels[col], score)

    assignments = []
    for index, match in enumerate(matches):
        if known[index]:
            assignments.append(Assignment(index, match, True, match.person_id, None, None, False))
            continue
        if index in joined:
            label, score = joined[index]
            strangers.remember(label, embeddings[index])
            assignments.append(Assignment(index, match, False, None, label, score, False))
        else:
            label = new_label()
            strangers.add(label, embeddings[index])
            assignments.append(Assignment(index, match, False, None, label, None, True))
    return assignments
