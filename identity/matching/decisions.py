"""The adaptive step: faces whose open-set decision is close are searched again by their
flip embeddings. Plain numpy, no Django."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from identity.matching.gallery import Gallery, PersonMatch
from identity.vision.adaptive import near

if TYPE_CHECKING:
    from identity.vision import Face, FaceEngine


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
