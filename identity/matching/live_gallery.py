"""The gallery as it is now: an immutable *base* (one memory-mapped :class:`Gallery` file of a
generation, built from the database) plus the changes made since, applied in memory. Plain
numpy, no Django: :mod:`identity.services.gallery` reads the changes from Redis and the rows
from the database.

- Samples enrolled since the base are a small in-memory *delta* (:class:`SampleRows`, searched
  exactly as one more :class:`Gallery`: a few thousand rows at most, no index to build).
- Samples deleted since, and people deleted or deactivated since, leave the base through
  :meth:`Gallery.without` (a mask over the shared rows) and the delta by being dropped.
- Faces rejected by reviewers since replace the base's (:meth:`Gallery.with_rejections`) and the delta's.

A search asks both for their best and runner-up person and merges the two answers
(:func:`merged`): a person's score is their best sample's wherever it is, base or delta.
Once the delta (or the masked base rows) grow past :func:`delta_limit`, a new base is built
(:attr:`LiveGallery.outgrown`): a big delta would cost every search, and masked rows are read
for nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from identity.matching.gallery import Gallery, PersonMatch

DELTA_MIN, DELTA_MAX = 1_000, 2_000  # the delta is scanned exactly: 2k rows ~0.2 ms a face, keeping 1M within 5 ms
DELTA_SHARE = 50  # a delta past 1/50th of the base is worth a new base


def delta_limit(base_samples: int) -> int:
    """How many samples may be added (or deleted) since a base of `base_samples` before it is rebuilt."""
    return int(np.clip(base_samples // DELTA_SHARE, DELTA_MIN, DELTA_MAX))


@dataclass(frozen=True)
class SampleRows:
    """Samples as rows: their ids, people, plain and flip embeddings (unit float32)."""

    sample_ids: np.ndarray
    person_ids: np.ndarray
    embeddings: np.ndarray
    flips: np.ndarray

    @classmethod
    def empty(cls, dim: int) -> SampleRows:
        none = np.zeros(0, np.int64)
        return cls(none, none, np.zeros((0, dim), np.float32), np.zeros((0, dim), np.float32))

    def __len__(self) -> int:
        return len(self.sample_ids)

    def plus(self, other: SampleRows) -> SampleRows:
        """These rows and those of `other` not among them (by sample id)."""
        new = ~np.isin(other.sample_ids, self.sample_ids)
        if not new.any():
            return self
        return SampleRows(*(np.concatenate([mine, theirs[new]]) for mine, theirs in zip(
            (self.sample_ids, self.person_ids, self.embeddings, self.flips),
            (other.sample_ids, other.person_ids, other.embeddings, other.flips))))

    def without(self, *, sample_ids: Sequence[int] = (), person_ids: Sequence[int] = ()) -> SampleRows:
        kept = ~(np.isin(self.sample_ids, np.asarray(sample_ids, np.int64))
                 | np.isin(self.person_ids, np.asarray(person_ids, np.int64)))
        if kept.all():
            return self
        return SampleRows(self.sample_ids[kept], self.person_ids[kept], self.embeddings[kept], self.flips[kept])


def merged(first: PersonMatch, second: PersonMatch) -> PersonMatch:
    """The best and runner-up person over two galleries' people, from each one's best and
    runner-up (a person may be in both: their score is the higher of their two). Exact: anyone
    else scores at most a runner-up in both, and the one best person named twice counts once.
    Holds with rejections too: the penalty lowers a person's score by a step that only falls
    as the score rises, so the best of two penalised scores is the penalised best score."""
    if first.person_id is None or second.person_id is None:
        return second if first.person_id is None else first
    if first.person_id == second.person_id:
        return PersonMatch(first.person_id, max(first.similarity, second.similarity),
                           max(first.second_similarity, second.second_similarity))
    best, other = (first, second) if first.similarity >= second.similarity else (second, first)
    # The other's best is someone else; the best's runner-up may be anyone but the best.
    return PersonMatch(best.person_id, best.similarity, max(best.second_similarity, other.similarity))


class LiveGallery:
    """A base gallery less what was deleted since, plus a delta of what was enrolled since:
    what :func:`identity.services.gallery.gallery_current` returns. Immutable: a change gives a
    new one (:meth:`changed`), so a search in another thread keeps the one it started with.
    `version` is where in the shared change log it stands ("generation:sequence")."""

    def __init__(self, base: Gallery, *, version: str = "", delta_rows: SampleRows | None = None,
                 rejections: np.ndarray | None = None, rejected_ids: Sequence[int] = ()):
        self.base, self.version = base, version
        self.delta_rows = SampleRows.empty(base.dim) if delta_rows is None else delta_rows
        self._rejections, self._rejected_ids = rejections, np.asarray(rejected_ids, np.int64)
        # The delta gets the rejections of its people (the base has them for its own).
        rows = self.delta_rows
        self.delta = Gallery(rows.embeddings, rows.person_ids, flip_embeddings=rows.flips, rejections=rejections,
                             rejected_ids=self._rejected_ids, sample_ids=rows.sample_ids) if len(rows) else None

    @property
    def dropped(self) -> int:
        """Base rows masked since it was built."""
        return len(self.base.matrix) - self.base.sample_count

    @property
    def path(self):
        return self.base.path

    @property
    def index(self):
        return self.base.index

    @property
    def dim(self) -> int:
        return self.base.dim

    @property
    def person_ids(self) -> np.ndarray:
        """Everyone a search may name, sorted."""
        return self.base.people if self.delta is None else np.union1d(self.base.people, self.delta.person_ids)

    @property
    def person_count(self) -> int:
        return len(self.person_ids)

    @property
    def sample_count(self) -> int:
        return self.base.sample_count + len(self.delta_rows)

    @property
    def outgrown(self) -> bool:
        """Time for a new base: the delta, or the base's masked rows, are past :func:`delta_limit`."""
        limit = delta_limit(len(self.base.matrix))
        return len(self.delta_rows) > limit or self.dropped > limit

    def changed(self, *, version: str, added: SampleRows | None = None, removed_samples: Sequence[int] = (),
                removed_people: Sequence[int] = (), rejections: np.ndarray | None = None,
                rejected_ids: Sequence[int] = (), base_rejections: bool = False) -> LiveGallery:
        """This gallery with samples added (those it has already are skipped: a change may be
        applied twice), samples and people removed; `rejections` (with `rejected_ids`): the
        rejected faces of the delta's people, all of them (replacing the last ones given);
        `base_rejections`: they are everyone's, and replace the base's too."""
        base = self.base.without(sample_ids=removed_samples, person_ids=removed_people)
        if base_rejections:
            base = base.with_rejections(rejections, rejected_ids)
        rows = self.delta_rows
        if added is not None and len(added):
            # A change logged after the base's build began may be in it already.
            rows = rows.plus(added.without(sample_ids=self.base.sample_ids[self.base.rows_of(added.sample_ids)]
                                           if self.base.sample_ids is not None else ()))
        rows = rows.without(sample_ids=removed_samples, person_ids=removed_people)
        if rejections is None and not base_rejections:
            if base is self.base and rows is self.delta_rows:  # nothing new here (a change seen twice)
                view = copy.copy(self)
                view.version = version
                return view
            rejections, rejected_ids = self._rejections, self._rejected_ids
        return LiveGallery(base, version=version, delta_rows=rows, rejections=rejections, rejected_ids=rejected_ids)

    def search(self, queries: np.ndarray, *, flip: bool = False, exclude: int | None = None,
               exact: bool = False) -> list[PersonMatch]:
        """:meth:`Gallery.search` over base and delta together (:func:`merged`)."""
        found = self.base.search(queries, flip=flip, exclude=exclude, exact=exact)
        if self.delta is None:
            return found
        return [merged(a, b) for a, b in zip(found, self.delta.search(queries, flip=flip, exclude=exclude, exact=True))]
