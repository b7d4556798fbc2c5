"""Threshold calibration from reviewed decisions (plain numpy, no Django).

Each reviewed face gives one pair: its similarity to the candidate person, and whether the
candidate truly was that person (genuine) or not (impostor). At a threshold t a face is
accepted when similarity >= t, so:
  FAR(t) = impostors accepted / impostors,   FRR(t) = genuines rejected / genuines.

The suggestion minimises FAR + FRR over the grid 0.00..1.00 (step 0.01). When several
thresholds tie, it takes the middle one (the lower of the two middles for an even count): for
well separated data that is the middle of the gap between impostors and genuines rather than
a threshold touching a sample. With fewer than `min_each` genuine or impostor reviews there is
no suggestion, and `reason` says why.
"""

from dataclasses import dataclass

import numpy as np

GRID = np.round(np.arange(0, 101) * 0.01, 2)
MIN_EACH = 10


@dataclass(frozen=True)
class Calibration:
    thresholds: np.ndarray
    far: np.ndarray  # false accept rate at each threshold
    frr: np.ndarray  # false reject rate at each threshold
    genuine_count: int
    impostor_count: int
    suggested: float | None
    reason: str

    def at(self, threshold: float) -> tuple[float, float]:
        """(FAR, FRR) at the grid threshold nearest to `threshold`."""
        index = int(np.argmin(np.abs(self.thresholds - threshold)))
        return float(self.far[index]), float(self.frr[index])


def error_rates(
    similarities: np.ndarray, genuine: np.ndarray, thresholds: np.ndarray = GRID
) -> tuple[np.ndarray, np.ndarray]:
    """FAR and FRR at each threshold (0 where a class is empty)."""
    similarities = np.asarray(similarities, dtype=np.float64)
    genuine = np.asarray(genuine, dtype=bool)
    accepted = similarities[None, :] >= np.asarray(thresholds, dtype=np.float64)[:, None]
    impostors, genuines = int((~genuine).sum()), int(genuine.sum())
    far = (accepted & ~genuine).sum(axis=1) / impostors if impostors else np.zeros(len(thresholds))
    frr = (~accepted & genuine).sum(axis=1) / genuines if genuines else np.zeros(len(thresholds))
    return far.astype(np.float64), frr.astype(np.float64)


def calibrate(similarities, genuine, *, thresholds: np.ndarray = GRID, min_each: int = MIN_EACH) -> Calibration:
    similarities = np.asarray(similarities, dtype=np.float64).reshape(-1)
    genuine = np.asarray(genuine, dtype=bool).reshape(-1)
    if similarities.shape != genuine.shape:
        raise ValueError("similarities and genuine must have the same length")
    far, frr = error_rates(similarities, genuine, thresholds)
    genuine_count, impostor_count = int(genuine.sum()), int((~genuine).sum())
    if genuine_count < min_each or impostor_count < min_each:
        reason = (
            f"Needs at least {min_each} genuine and {min_each} impostor reviews "
            f"(has {genuine_count} genuine, {impostor_count} impostor)."
        )
        return Calibration(thresholds, far, frr, genuine_count, impostor_count, None, reason)
    total = far + frr
    # Rounded so that float noise cannot break a tie.
    tied = np.flatnonzero(np.round(total, 9) == np.round(total.min(), 9))
    index = int(tied[(len(tied) - 1) // 2])
    suggested = float(thresholds[index])
    reason = (
        f"Minimises FAR + FRR ({far[index]:.1%} false accepts, {frr[index]:.1%} false rejects) "
        f"over {genuine_count} genuine and {impostor_count} impostor reviews."
    )
    return Calibration(thresholds, far, frr, genuine_count, impostor_count, suggested, reason)
