"""The recognizer: the enrolled gallery, the strangers' registry and the thresholds, kept in
memory by the process that uses them. Plain Python, no Django: workers, `identify_video`
and the benchmarks build one and call it for every frame (one gallery search a frame).

New strangers get their label from `new_stranger()`, which the caller supplies
(the worker creates a database row, whose primary key keeps labels unique across processes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from identity.matching import Assignment, Gallery, PersonMatch, StrangerRegistry, assign_identities
from identity.vision.embedder import l2_normalize
from identity.vision.profiles import DEFAULT_PROFILE, PROFILES

# 1:N naming threshold: stricter than 1:1 verification's, since a stranger searched against
# many people gets many chances to pass one (bench/identify.py measures it). The default
# profile's, as are the others below (identity/vision/profiles.py).
DEFAULT_PROFILE_VALUES = PROFILES[DEFAULT_PROFILE]
DEFAULT_NAME_THRESHOLD = DEFAULT_PROFILE_VALUES.match_threshold
DEFAULT_MARGIN = 0.05

T = TypeVar("T")


@dataclass(frozen=True)
class Thresholds:
    """name: cosine to an enrolled person needed to name a face; margin: its lead over the
    runner-up; unknown: a face scoring below this is evidence of a stranger (between the two
    it is evidence of nothing); stranger: cosine to join an existing provisional identity;
    strong: one frame this close names a track at once."""

    name: float = DEFAULT_NAME_THRESHOLD
    margin: float = DEFAULT_MARGIN
    unknown: float = DEFAULT_PROFILE_VALUES.unknown_threshold
    stranger: float = DEFAULT_NAME_THRESHOLD
    strong: float = DEFAULT_PROFILE_VALUES.strong_threshold

    def names(self, match: PersonMatch, *, name: float | None = None) -> bool:
        return match.is_known(threshold=self.name if name is None else name, margin=self.margin)

    @classmethod
    def of_profile(cls, name: str) -> "Thresholds":
        """A model profile's own (identity.vision.profiles), as its settings default to."""
        profile = PROFILES[name]
        return cls(name=profile.match_threshold, unknown=profile.unknown_threshold,
                   stranger=profile.match_threshold, strong=profile.strong_threshold)


@dataclass(frozen=True)
class StrangerMatch:
    label: str
    similarity: float | None  # to the provisional identity joined; None when it is new
    new: bool


class Recognizer:
    """Thread-safe: a worker's threads share one recognizer."""

    def __init__(
        self,
        *,
        gallery: Gallery,
        new_stranger: Callable[[], str],
        thresholds: Thresholds | None = None,
        strangers: StrangerRegistry | None = None,
    ):
        self.gallery = gallery
        self.thresholds = thresholds or Thresholds()
        self.strangers = strangers if strangers is not None else StrangerRegistry()
        self._new_stranger = new_stranger
        self._lock = threading.Lock()

    def set_gallery(self, gallery: Gallery) -> None:
        self.gallery = gallery

    def set_strangers(self, strangers: StrangerRegistry) -> None:
        with self._lock:
            self.strangers = strangers

    def strangers_update(self, change: Callable[[StrangerRegistry], T]) -> T:
        """Run `change` on the strangers' registry while no face is being decided."""
        with self._lock:
            return change(self.strangers)

    def search(self, embeddings: np.ndarray) -> list[PersonMatch]:
        """Best and runner-up enrolled person for each embedding (one matrix product)."""
        if len(embeddings) == 0:
            return []
        return self.gallery.search(embeddings)

    def assign(self, embeddings: np.ndarray, *, name_threshold: float | None = None,
               matches: list[PersonMatch] | None = None) -> list[Assignment]:
        """One frame decided on its own (an uploaded photo): every face named or given a
        stranger's label, never two faces of the frame on one ID. `matches`: this frame's
        gallery matches when the caller has them already (refined by the adaptive flip)."""
        with self._lock:
            return assign_identities(
                embeddings, gallery=self.gallery, strangers=self.strangers,
                new_label=self._new_stranger,
                threshold=self.thresholds.name if name_threshold is None else name_threshold,
                margin=self.thresholds.margin, stranger_threshold=self.thresholds.stranger, matches=matches,
            ) if len(embeddings) else []

    def stranger_for(self, embedding: np.ndarray, *, exclude: set[str] = frozenset()) -> StrangerMatch:
        """The provisional identity of a face decided unknown: the closest stranger at or above
        the stranger threshold, else a new one (labels in `exclude` are taken by other faces)."""
        vector = l2_normalize(np.atleast_2d(embedding))
        with self._lock:
            if len(self.strangers):
                scores = self.strangers.scores(vector)[0]
                for column in np.argsort(-scores):
                    score = float(scores[column])
                    if score < self.thresholds.stranger:
                        break
                    label = self.strangers.labels[column]
                    if label not in exclude:
                        self.strangers.remember(label, vector[0])
                        return StrangerMatch(label, score, False)
            label = self._new_stranger()
            self.strangers.add(label, vector)
            return StrangerMatch(label, None, True)
