"""The enrolled gallery and its search: best and runner-up person per face. Plain numpy and
the candidate index (:mod:`identity.matching.search_index`), no Django.

All embeddings are L2-normalised float32 rows, so a dot product is the cosine similarity.
A gallery is immutable; :meth:`Gallery.without` gives a copy (sharing its rows, index and
file) that never names some samples or people: how a memory-mapped base forgets what was
deleted since it was built (:mod:`identity.matching.live_gallery`).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from identity.matching.search_index import (
    BINARY_ABOVE,
    RowReader,
    SearchIndex,
    index_build,
    index_open,
    sections_open,
    sections_save,
)
from identity.vision.embedder import l2_normalize


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


def _rejections_of_people(rejections: np.ndarray | None, rejected_ids: Sequence[int], people: np.ndarray) -> dict:
    """The rejected faces (unit rows) and their people's ids, of `people` only: only those count."""
    rejected_ids = np.asarray(rejected_ids, dtype=np.int64)
    kept = np.isin(rejected_ids, people) if rejections is not None else np.zeros(0, bool)
    return {"rejections": l2_normalize(np.asarray(rejections, np.float32)[kept]) if kept.any() else None,
            "rejected_ids": rejected_ids[kept]}


MIN_CANDIDATES = 64  # samples a query asks the index for, at least: below this many, all are scored
WIDEN = 16  # a query whose candidates leave its runner-up in doubt asks this many times more, then all


def _sorted_unit(rows: np.ndarray, order: np.ndarray) -> np.ndarray:
    """`rows` in `order`, scaled to unit length; `rows` itself when that changes nothing."""
    if np.any(order[1:] < order[:-1]):
        rows = rows[order]
    lengths = np.einsum("ij,ij->i", rows, rows)
    return rows if np.allclose(lengths, 1.0, atol=1e-5) else l2_normalize(rows)


class Gallery:
    """The enrolled samples as one normalised float32 matrix, rows sorted by person; a person
    scores their best sample. A search asks an index (:mod:`identity.matching.search_index`, built on
    first use) for each query's candidate samples, then scores all samples of the candidates'
    people exactly, so a person's score is always their best sample's float32 cosine.

    ``flip_embeddings`` (same rows as ``embeddings``) are the samples' flip embeddings, which
    adaptive mode searches for faces close to a decision (``search(..., flip=True)``);
    without them that search uses ``embeddings``. ``rejections`` (with ``rejected_ids``) are
    faces reviewers said are not that person: look-alikes of them score that person lower.
    ``sample_ids`` (optional, same rows) name each row's sample, for :meth:`without`.
    :meth:`save` writes it all to one file that :meth:`open` memory-maps."""

    def __init__(self, embeddings: np.ndarray, person_ids: Sequence[int], *,
                 flip_embeddings: np.ndarray | None = None, version: str = "",
                 rejections: np.ndarray | None = None, rejected_ids: Sequence[int] = (),
                 binary_above: int = BINARY_ABOVE, sample_ids: Sequence[int] | None = None):
        person_ids = np.asarray(person_ids, dtype=np.int64)
        embeddings = np.asarray(embeddings, dtype=np.float32)
        embeddings = embeddings.reshape(len(person_ids), embeddings.shape[-1])
        # Samples sorted by person so that each person's rows are one contiguous run; rows
        # already sorted and unit are kept as given (no copy: a 1M-sample gallery is 2 GB).
        order = np.argsort(person_ids, kind="stable")
        matrix = _sorted_unit(embeddings, order)
        flips = None if flip_embeddings is None else np.asarray(flip_embeddings, np.float32).reshape(
            embeddings.shape)
        flip_matrix = matrix if flips is None or not len(order) else _sorted_unit(flips, order)
        sorted_ids = person_ids[order]
        starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]]) if len(order) else order
        people = sorted_ids[starts]
        self._setup(matrix, flip_matrix, people, starts, version=version, binary_above=binary_above,
                    **_rejections_of_people(rejections, rejected_ids, people),
                    sample_ids=None if sample_ids is None else np.asarray(sample_ids, np.int64)[order])

    def _setup(self, matrix: np.ndarray, flip_matrix: np.ndarray, person_ids: np.ndarray, run_starts: np.ndarray, *,
               version: str, rejections: np.ndarray | None, rejected_ids: np.ndarray, binary_above: int = BINARY_ABOVE,
               index: SearchIndex | None = None, row_columns: np.ndarray | None = None,
               sample_ids: np.ndarray | None = None, sample_order: np.ndarray | None = None,
               sample_sorted: np.ndarray | None = None) -> None:
        self.matrix, self.flip_matrix, self.person_ids, self.version = matrix, flip_matrix, person_ids, version
        self._run_starts = np.asarray(run_starts, dtype=np.int64)
        self._run_ends = np.r_[self._run_starts[1:], len(matrix)].astype(np.int64)
        lengths = self._run_ends - self._run_starts
        self._longest_run = int(lengths.max()) if len(lengths) else 0
        # Each row's person, as a column of the score matrices.
        self._row_columns = (np.repeat(np.arange(len(person_ids), dtype=np.int32), lengths)
                             if row_columns is None else row_columns)
        self._rejections_set(rejections=rejections, rejected_ids=rejected_ids)
        self._binary_above, self._index, self._index_lock = binary_above, index, threading.Lock()
        self.path: Path | None = None  # the file it is mapped from (Gallery.open); None in memory
        self._readers: dict[bool, RowReader] = {}  # by flip: a mapped gallery's candidate rows, read
        self.sample_ids = sample_ids  # each row's sample id, or None (unknown: without() cannot drop samples)
        self._sample_order = (None if sample_ids is None else np.argsort(sample_ids, kind="stable")
                              if sample_order is None else sample_order)
        # The ids in order, for rows_of (saved too: at 1M samples a sort per process would cost ~0.1 s).
        self._sample_sorted = (sample_sorted if sample_sorted is not None or sample_ids is None
                               else sample_ids[self._sample_order])
        # Rows and people a search never names (without()); None: all alive.
        self._row_alive: np.ndarray | None = None
        self._column_alive: np.ndarray | None = None
        self._alive_rows, self._alive_people = len(matrix), len(person_ids)

    def with_rejections(self, rejections: np.ndarray | None, rejected_ids: Sequence[int]) -> Gallery:
        """This gallery with the rejected faces replaced by these (a copy sharing rows, index and file)."""
        gallery = copy.copy(self)
        gallery._rejections_set(**_rejections_of_people(rejections, rejected_ids, self.person_ids))
        return gallery

    def _rejections_set(self, *, rejections: np.ndarray | None, rejected_ids: Sequence[int]) -> None:
        self.rejections = rejections if rejections is not None and len(rejections) else None
        self._rejected_ids = np.asarray(rejected_ids, dtype=np.int64)
        self._rejected_columns = (None if self.rejections is None
                                  else np.searchsorted(self.person_ids, self._rejected_ids))

    @classmethod
    def empty(cls, dim: int = 512, *, version: str = "") -> Gallery:
        return cls(np.zeros((0, dim), np.float32), [], version=version)

    @property
    def sample_count(self) -> int:
        """Rows a search may name (those left out by :meth:`without` not counted)."""
        return self._alive_rows

    @property
    def person_count(self) -> int:
        """People a search may name."""
        return self._alive_people

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])

    @property
    def people(self) -> np.ndarray:
        """The ids of the people a search may name, sorted."""
        return self.person_ids if self._column_alive is None else self.person_ids[self._column_alive]

    def rows_of(self, sample_ids: Sequence[int]) -> np.ndarray:
        """The rows of those of `sample_ids` that are in this gallery (any order)."""
        wanted = np.asarray(sample_ids, np.int64)
        if self.sample_ids is None or not len(wanted) or not len(self.sample_ids):
            return np.zeros(0, np.int64)
        ordered = self._sample_sorted
        positions = np.searchsorted(ordered, wanted).clip(max=len(ordered) - 1)
        return self._sample_order[positions[ordered[positions] == wanted]].astype(np.int64)

    def without(self, *, sample_ids: Sequence[int] = (), person_ids: Sequence[int] = ()) -> Gallery:
        """This gallery less some samples and people: a copy sharing rows, index and file
        (nothing is rewritten), whose searches, scores and counts never name them. A person
        all of whose samples are gone is gone too. ValueError when samples are named but
        this gallery does not know its rows' sample ids."""
        rows = self.rows_of(sample_ids)
        if len(sample_ids) and self.sample_ids is None and self.sample_count:
            raise ValueError("this gallery does not know its samples' ids")
        columns = np.array([c for c in map(self._column, person_ids) if c is not None], np.int64)
        if not len(rows) and not len(columns):
            return self
        self.index  # noqa: B018 -- built once here, shared by every copy
        alive = np.ones(len(self.matrix), bool) if self._row_alive is None else self._row_alive.copy()
        alive[rows] = False
        for column in columns.tolist():
            alive[self._run_starts[column] : self._run_ends[column]] = False
        gallery = copy.copy(self)
        gallery._row_alive = alive
        gallery._column_alive = (np.logical_or.reduceat(alive, self._run_starts) if len(self._run_starts)
                                 else np.zeros(0, bool))
        gallery._alive_rows, gallery._alive_people = int(alive.sum()), int(gallery._column_alive.sum())
        return gallery

    @property
    def index(self) -> SearchIndex | None:
        """The candidate index, built on first use; None while every sample is scored anyway."""
        if self._index is None and len(self.matrix) > MIN_CANDIDATES:
            with self._index_lock:
                if self._index is None:
                    self._index = index_build(self.matrix, self.flip_matrix, binary_above=self._binary_above)
        return self._index

    def save(self, path: Path) -> None:
        """Everything a search needs, index included, in one file (atomically replaced)."""
        separate_flips = self.flip_matrix is not self.matrix
        sections = {"person_ids": self.person_ids, "run_starts": self._run_starts, "row_columns": self._row_columns,
                    "matrix": self.matrix, **({"flip_matrix": self.flip_matrix} if separate_flips else {})}
        if self.rejections is not None:
            sections |= {"rejections": self.rejections, "rejected_ids": self._rejected_ids}
        if self.sample_ids is not None:
            sections |= {"sample_ids": self.sample_ids, "sample_order": self._sample_order,
                         "sample_sorted": self._sample_sorted}
        if self.index is not None:
            sections |= self.index.sections()
        sections_save(Path(path), sections, {"version": self.version, "binary_above": self._binary_above})

    @classmethod
    def open(cls, path: Path) -> Gallery:
        """A gallery saved by :meth:`save`, memory-mapped read-only: processes that open the same
        file share one copy of it in memory."""
        meta, sections, offsets = sections_open(Path(path))
        gallery = cls.__new__(cls)
        matrix = sections["matrix"]
        gallery._setup(matrix, sections.get("flip_matrix", matrix), sections["person_ids"], sections["run_starts"],
                       version=meta["version"], binary_above=meta["binary_above"], rejections=sections.get("rejections"),
                       rejected_ids=sections.get("rejected_ids", np.zeros(0, np.int64)),
                       index=index_open(sections), row_columns=sections["row_columns"],
                       sample_ids=sections.get("sample_ids"), sample_order=sections.get("sample_order"),
                       sample_sorted=sections.get("sample_sorted"))
        gallery.path = Path(path)
        flips = "flip_matrix" if "flip_matrix" in sections else "matrix"
        gallery._readers = {False: RowReader(gallery.path, offsets["matrix"], matrix),
                            True: RowReader(gallery.path, offsets[flips], sections[flips])}
        return gallery

    def person_scores(self, queries: np.ndarray, *, flip: bool = False) -> np.ndarray:
        """(faces, people) cosine of each face to each person's closest sample, every sample
        scored (flip: the queries are flip embeddings, scored against the samples' flip embeddings)."""
        queries = l2_normalize(np.atleast_2d(queries))
        similarities = queries @ (self.flip_matrix if flip else self.matrix).T
        if self._row_alive is not None:
            similarities[:, ~self._row_alive] = -np.inf
        if len(self._run_starts) != len(self.matrix):  # else one sample per person: nothing to reduce
            similarities = np.maximum.reduceat(similarities, self._run_starts, axis=1)
        return self._rejections_applied(queries, similarities)

    def _column_scores(self, queries: np.ndarray, columns: np.ndarray, *, flip: bool) -> np.ndarray:
        """(faces, people `columns`) cosine to each person's closest sample, all their samples
        scored; no rejection applied."""
        starts, lengths = self._run_starts[columns], self._run_ends[columns] - self._run_starts[columns]
        offsets = np.r_[0, np.cumsum(lengths)[:-1]].astype(np.int64)
        taken = np.arange(int(lengths.sum())) + np.repeat(starts - offsets, lengths)
        if flip in self._readers:
            rows = self._readers[flip].runs(starts, lengths)
        else:
            rows = (self.flip_matrix if flip else self.matrix)[taken]
        similarities = queries @ rows.T
        if self._row_alive is not None:  # the columns asked for have an alive row each
            similarities[:, ~self._row_alive[taken]] = -np.inf
        return np.maximum.reduceat(similarities, offsets, axis=1)

    def _rejections_applied(self, queries: np.ndarray, scores: np.ndarray,
                            columns: np.ndarray | None = None) -> np.ndarray:
        """`scores` (faces, people `columns`, sorted; all by default), each lowered by
        REJECTION_PENALTY where the face is a look-alike of a face rejected as that person."""
        if self.rejections is None:
            return scores
        positions, present = self._rejected_columns, slice(None)
        if columns is not None:
            positions = np.searchsorted(columns, self._rejected_columns).clip(max=len(columns) - 1)
            present = columns[positions] == self._rejected_columns
            if not present.any():
                return scores
            positions = positions[present]
        alike = queries @ self.rejections[present].T  # (faces, rejections)
        hit = (alike >= REJECTION_LOOKALIKE) & (alike > scores[:, positions])
        if not hit.any():
            return scores
        penalties = np.zeros_like(scores)
        faces, which = np.nonzero(hit)
        np.maximum.at(penalties, (faces, positions[which]), REJECTION_PENALTY)
        return scores - penalties

    def search(self, queries: np.ndarray, *, flip: bool = False, exclude: int | None = None,
               exact: bool = False) -> list[PersonMatch]:
        """Best and runner-up person for each query row (flip: see :meth:`person_scores`);
        ``exclude``: a person left out of the search. The index's candidates name the people
        to score; a query whose candidates cannot settle its runner-up asks for more of them,
        then scores every sample, as ``exact`` does for every query (one full matrix product)."""
        queries = l2_normalize(np.atleast_2d(queries))
        left_out = self._column(exclude)
        if left_out is not None and self._column_alive is not None and not self._column_alive[left_out]:
            left_out = None  # gone already
        eligible = self.person_count - (left_out is not None)
        if eligible == 0:
            return [PersonMatch(None, -1.0, -1.0) for _ in range(len(queries))]
        # Enough candidates for a runner-up besides anyone's samples, the left-out person's too.
        count = max(MIN_CANDIDATES, 4 * self._longest_run)
        count += 0 if left_out is None else int(self._run_ends[left_out] - self._run_starts[left_out])
        matches: list[PersonMatch | None] = [None] * len(queries)
        pending = np.arange(len(queries))
        while len(pending) and count < len(self.matrix) and not exact:
            count = max(count, self.index.min_candidates)
            found = self.index.top_k(queries[pending], count, flip=flip)
            for query, rows in zip(pending, found.rows):
                matches[query] = self._candidate_match(queries[query], rows, flip=flip, left_out=left_out,
                                                       eligible=eligible, tolerance=self.index.tolerance)
            pending = np.array([query for query in pending if matches[query] is None], dtype=np.int64)
            count *= WIDEN
        if len(pending):
            scores = self.person_scores(queries[pending], flip=flip)
            if left_out is not None:
                scores[:, left_out] = -np.inf
            for query, match in zip(pending, self._best_two(scores, np.arange(len(self.person_ids)))):
                matches[query] = match
        return matches

    def _column(self, person_id: int | None) -> int | None:
        """The person's column (a binary search: person_ids are sorted), None when absent."""
        if person_id is None:
            return None
        column = int(np.searchsorted(self.person_ids, person_id))
        return column if column < len(self.person_ids) and self.person_ids[column] == person_id else None

    def _candidate_match(self, query: np.ndarray, rows: np.ndarray, *, flip: bool, left_out: int | None,
                         eligible: int, tolerance: float) -> PersonMatch | None:
        """The match from one query's candidate rows, or None when they cannot settle it: fewer
        than two people among them, or a runner-up (rejections applied) below what a person
        without a candidate may score: the lowest candidate person's score plus the tolerance."""
        rows = rows[rows >= 0]
        if self._row_alive is not None:
            rows = rows[self._row_alive[rows]]
        columns = np.unique(self._row_columns[rows])
        if left_out is not None:
            columns = columns[columns != left_out]
        if len(columns) < min(2, eligible):
            return None
        scores = self._column_scores(query[None], columns, flip=flip)
        floor = float(scores.min()) + tolerance
        [match] = self._best_two(self._rejections_applied(query[None], scores, columns), columns)
        if len(columns) < eligible and match.second_similarity < floor:
            return None
        return match

    def _best_two(self, scores: np.ndarray, columns: np.ndarray) -> list[PersonMatch]:
        """Best and runner-up of (faces, people `columns`) scores (-inf: left out); -1.0 for none."""
        rows = np.arange(len(scores))
        # Two linear argmax passes beat a partial sort on wide (100k-person) score rows.
        best = scores.argmax(axis=1)
        best_scores = scores[rows, best].copy()
        scores[rows, best] = -np.inf
        second_scores = scores.max(axis=1) if scores.shape[1] > 1 else np.full(len(scores), -np.inf)
        return [
            PersonMatch(int(self.person_ids[columns[b]]), float(b_score), float(s_score) if s_score > -np.inf else -1.0)
            for b, b_score, s_score in zip(best, best_scores, second_scores)
        ]
