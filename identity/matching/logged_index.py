"""The logged faces' search: the logged faces (match logs) most like a probe face, by float32
cosine. Plain numpy and the gallery's candidate index (:mod:`identity.matching.search_index`),
no Django.

One version of the logged faces is a :class:`LoggedIndex`: their log ids (sorted), a candidate
index (:func:`~identity.matching.search_index.index_build`: an exact float16 scan up to
BINARY_ABOVE rows, sign bits above) and their float32 rows, saved as one file that every worker
process memory-maps (:meth:`LoggedIndex.open`); a search re-ranks its candidates on their
float32 rows, read with pread (:class:`~identity.matching.search_index.RowReader`). The faces
logged since a version was built are searched exactly by :func:`exact_top`, and
:func:`merged` puts both answers in one order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from identity.matching.search_index import (
    BINARY_ABOVE,
    COMPACT,
    RowReader,
    SearchIndex,
    index_build,
    index_open,
    sections_open,
    sections_save,
)
from identity.vision.embedder import l2_normalize

CANDIDATES = 64  # candidates a compact search asks for at least; more while its top k is in doubt
WIDEN = 4  # a compact search whose k-th score is within the index's tolerance of its last candidate asks 4x more
# Candidates a sign-bit search asks for: more than the gallery's 256, as a probe wants 20 faces, not one person.
# bench/log_search.py at 100k: of the exact top 20 at cosine >= 0.3, 97.1 % found among 256, 99.7 % among 2048
# (3.9 ms a probe on 2 cores, re-rank included; 4096: 99.96 %, 7.7 ms).
SIGN_CANDIDATES = 2048


class LoggedIndex:
    """Logged faces: `ids` (sorted int64 log ids) and their unit float32 rows, searched through
    a candidate index and re-ranked exactly. `meta` travels with the file (what the caller needs
    to know what the version holds)."""

    def __init__(self, ids: np.ndarray, matrix: np.ndarray, index: SearchIndex, *, meta: dict,
                 reader: RowReader | None = None):
        self.ids, self.matrix, self.index, self.meta, self._reader = ids, matrix, index, meta, reader
        self.path: Path | None = None  # the file it is mapped from; None in memory

    @classmethod
    def build(cls, ids: np.ndarray, matrix: np.ndarray, *, meta: dict, binary_above: int = BINARY_ABOVE) -> LoggedIndex:
        """The index of these logged faces (rows in any order; sorted by id here)."""
        ids = np.asarray(ids, np.int64)
        order = np.argsort(ids, kind="stable")
        matrix = l2_normalize(np.asarray(matrix, np.float32).reshape(len(ids), -1)[order])
        return cls(ids[order], matrix, index_build(matrix, matrix, binary_above=binary_above), meta=meta)

    def save(self, path: Path) -> None:
        """Ids, index and float32 rows in one file (atomically replaced)."""
        sections_save(Path(path), {"ids": self.ids, "matrix": self.matrix, **self.index.sections()}, self.meta)

    @classmethod
    def open(cls, path: Path) -> LoggedIndex:
        """A file from :meth:`save`, memory-mapped read-only (shared by the processes that open it);
        its float32 rows are read a search's candidates at a time, never mapped in."""
        meta, sections, offsets = sections_open(Path(path))
        matrix = sections["matrix"]
        opened = cls(sections["ids"], matrix, index_open(sections), meta=meta,
                     reader=RowReader(Path(path), offsets["matrix"], matrix))
        opened.path = Path(path)
        return opened

    def __len__(self) -> int:
        return len(self.ids)

    def _rows(self, rows: np.ndarray) -> np.ndarray:
        if self._reader is None:
            return self.matrix[rows]
        return self._reader.runs(rows, np.ones(len(rows), np.int64))

    def top(self, query: np.ndarray, k: int, *, candidates: int = SIGN_CANDIDATES) -> tuple[np.ndarray, np.ndarray]:
        """(log ids, float32 cosines) of the `k` logged faces most like the unit `query`, most alike
        first. Exact with the compact index (it widens until its k-th float32 score clears what a
        row outside its candidates may score); with the binary one, among its nearest `candidates`
        codes (at least the index's minimum)."""
        k = min(k, len(self))
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        query = np.asarray(query, np.float32).reshape(1, -1)
        count = max(k, CANDIDATES, self.index.min_candidates, candidates if self.index.kind != COMPACT else 0)
        while True:
            count = min(count, len(self))
            found = self.index.top_k(query, count)
            rows = np.sort(found.rows[0][found.rows[0] >= 0])
            scores = self._rows(rows) @ query[0]
            best = np.argsort(-scores, kind="stable")[:k]
            exact = self.index.kind != COMPACT or count >= len(self)
            # A row outside the candidates scores at most the last candidate's float16 score plus the tolerance.
            if exact or scores[best[-1]] >= float(found.scores[0][count - 1]) + self.index.tolerance:
                return self.ids[rows[best]], scores[best].astype(np.float32)
            count *= WIDEN


def exact_top(ids: np.ndarray, matrix: np.ndarray, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids, cosines) of the `k` unit rows of `matrix` most like the unit `query`, every row scored."""
    if not len(ids) or k <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    scores = matrix @ np.asarray(query, np.float32).reshape(-1)
    top = np.argpartition(-scores, min(k, len(ids)) - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return np.asarray(ids, np.int64)[top], scores[top].astype(np.float32)


def merged(*answers: tuple[np.ndarray, np.ndarray], k: int) -> tuple[np.ndarray, np.ndarray]:
    """The `k` most alike of several (ids, scores) answers, most alike first (an id in two keeps its best score)."""
    ids = np.concatenate([a[0] for a in answers]) if answers else np.zeros(0, np.int64)
    scores = np.concatenate([a[1] for a in answers]) if answers else np.zeros(0, np.float32)
    order = np.argsort(-scores, kind="stable")
    ids, scores = ids[order], scores[order]
    _, first = np.unique(ids, return_index=True)
    kept = np.sort(first)[:k]
    return ids[kept], scores[kept]
