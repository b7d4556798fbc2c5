"""Face boxes matched across frames: their overlap, and the best one-to-one pairs. Plain numpy."""

from __future__ import annotations

import numpy as np


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) intersection over union of x1, y1, x2, y2 boxes."""
    a, b = np.asarray(a, np.float32).reshape(-1, 4), np.asarray(b, np.float32).reshape(-1, 4)
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = lambda boxes: (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])  # noqa: E731
    union = area(a)[:, None] + area(b)[None, :] - inter
    return inter / np.maximum(union, 1e-6)


def greedy_pairs(scores: np.ndarray, minimum: float) -> list[tuple[int, int]]:
    """Highest-scoring (row, column) pairs first, each row and column used once."""
    pairs, rows, cols = [], set(), set()
    for flat in np.argsort(-scores, axis=None):
        row, col = (int(v) for v in np.unravel_index(flat, scores.shape))
        if scores[row, col] < minimum:
            break
        if row not in rows and col not in cols:
            rows.add(row)
            cols.add(col)
            pairs.append((row, col))
    return pairs
