"""Provisional identities for strangers, and the ID each face of a frame gets. Plain numpy,
no Django."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from identity.matching.gallery import Gallery, PersonMatch
from identity.vision.embedder import l2_normalize

STRANGER_EXAMPLES = 5  # representative embeddings kept per stranger


def similar_pairs(groups: Sequence[np.ndarray], *, threshold: float,
                  block_rows: int = 1024) -> list[tuple[int, int, float]]:
    """(i, j, similarity) for each two groups of embeddings (strangers' examples, people's
    samples) whose closest examples are at least `threshold` alike, most alike first: likely one
    person seen twice. The similarities are taken `block_rows` rows (whole groups) at a time, so
    memory stays bounded however many embeddings there are."""
    groups = [l2_normalize(np.atleast_2d(group)) for group in groups]
    if len(groups) < 2:
        return []
    sizes = np.array([len(group) for group in groups])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    stacked = np.vstack(groups)
    closest = np.empty((len(groups), len(groups)), dtype=stacked.dtype)
    first = 0
    while first < len(groups):
        last = first + 1  # at least one whole group, then as many as fit in the block
        while last < len(groups) and starts[last] + sizes[last] - starts[first] <= block_rows:
            last += 1
        rows = stacked[starts[first]: starts[last - 1] + sizes[last - 1]]
        by_column = np.maximum.reduceat(rows @ stacked.T, starts, axis=1)
        closest[first:last] = np.maximum.reduceat(by_column, starts[first:last] - starts[first], axis=0)
        first = last
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


def person_id_shown(text: str) -> int | None:
    """The id in a P-<id> that person_display_id wrote for someone without a code, else None."""
    digits = text[2:] if text[:2].upper() == "P-" else ""
    return int(digits) if digits.isdigit() and len(digits) < 19 else None


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


def named_once(matches: Sequence[PersonMatch], *, threshold: float, margin: float) -> list[bool]:
    """Which faces of one frame are named (the open-set decision): one person cannot be two
    faces of the same frame, so the closer face keeps the name."""
    known = [m.is_known(threshold=threshold, margin=margin) for m in matches]
    by_person: dict[int, int] = {}
    for index in sorted(range(len(matches)), key=lambda i: -matches[i].similarity):
        if known[index]:
            if matches[index].person_id in by_person:
                known[index] = False
            else:
                by_person[matches[index].person_id] = index
    return known


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
    known = named_once(matches, threshold=threshold, margin=margin)
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
