"""Flip modes: plain, flip (every face also mirrored) and adaptive (mirrored only where it can
change a decision).

Embedding spaces. A *plain* embedding is the network's output for the aligned crop; a *flip*
embedding is :func:`identity.vision.embedder.flip_mean` of the plain embedding and the
mirrored crop's. Plain embeddings carry the embedder's model id (``w600k_mbf``), flip ones the
model id with ``+flip``; a plain embedding is never compared with a flip one.

- plain: every face gets a plain embedding (model id ``w600k_mbf``).
- flip: every face gets a flip embedding only (``w600k_mbf+flip``): twice the network's work.
- adaptive: every face gets a plain embedding and the model id stays ``w600k_mbf`` (what is
  stored, tracked and logged is plain, exactly as in plain mode). Where a decision lies
  within ``band`` of its threshold, the faces involved are mirrored and the decision is taken
  again on flip embeddings compared with flip embeddings; enrolled samples keep both, so the
  gallery side costs nothing at match time.

The same band makes a 1:1 answer "too close to call" (``FaceEngine.verify``): a similarity
within it of the threshold is one mirroring could move across it, and where LFW's wrong answers
lie (bench/README.md). It is written here once, as ``EngineConfig.flip_band``.

The band was chosen on LFW View 1 (``bench/lfw.py --tune``): the largest change the mirror
made to a pair's similarity (0.044) plus how far the best threshold moved between View 1's
two halves (0.019), rounded up.
"""

from __future__ import annotations

import numpy as np

PLAIN, FLIP, ADAPTIVE = "plain", "flip", "adaptive"
FLIP_MODES = (PLAIN, FLIP, ADAPTIVE)
DEFAULT_FLIP_BAND = 0.07  # bench/lfw.py --tune on View 1; see the module docstring

_OLD_VALUES = {"1": FLIP, "true": FLIP, "yes": FLIP, "on": FLIP, "0": PLAIN, "false": PLAIN, "no": PLAIN,
               "off": PLAIN, "": PLAIN}  # FACEAPP_FLIP was a boolean before adaptive mode


def flip_mode(value: str | bool) -> str:
    """"plain", "flip" or "adaptive" from a mode name, an old boolean setting value, or a bool."""
    if isinstance(value, bool):
        return FLIP if value else PLAIN
    lowered = str(value).strip().lower()
    if lowered in FLIP_MODES:
        return lowered
    if lowered in _OLD_VALUES:
        return _OLD_VALUES[lowered]
    raise ValueError(f"must be plain, flip or adaptive (or the old 1/0, true/false, yes/no, on/off), got {value!r}")


def near(value: float | np.ndarray, *, threshold: float, band: float) -> bool | np.ndarray:
    """Is `value` (a similarity, or an array of them) within `band` of `threshold`, where
    mirroring the faces may change the decision?"""
    return abs(value - threshold) <= band
