"""Faces at a distance: a photo's detection passes chosen from its size and the smallest face to
find, so that a 30 px face in a 1920 px class photo is not 10 px to the detector. Plain numpy.

The first pass is the whole image at the detector's usual input (its long side at most
`max_size`): it finds the large faces, and is the only pass where that input already shows
`min_face_px` faces at DETECTABLE_PX or more (a doorway camera's 640x480 frame). Otherwise
tiles of TILE_INPUT pixels at the scale that does, overlapping by the largest face the tiles
are answerable for (the whole pass finds the larger ones), so each such face lies whole in one
tile; a face a tile cuts at an inner edge is left to the tile that holds it whole, and what two
passes both found is merged by NMS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# SCRFD-500M finds faces this wide at its input: 94 % of 150 LFW faces at 16 px, 100 % at 20, 48 % at 12
DETECTABLE_PX = 16
INPUT_MULTIPLE = 32  # the detector's coarsest stride: its input sides are multiples of it
TILE_INPUT = 640  # a tile's long side at the detector's input: the usual input, its usual cost
OVERLAP_MARGIN = 1.25  # the overlap holds a face this much wider than the largest one tiles must find


@dataclass(frozen=True)
class Pass:
    """One detector run: the region x0:x1, y0:y1 of the image, at `scale` input pixels an image pixel."""

    x0: int
    y0: int
    x1: int
    y1: int
    scale: float

    @property
    def input_long_side(self) -> int:
        return max(1, round(max(self.x1 - self.x0, self.y1 - self.y0) * self.scale))

    def inner_edges(self, width: int, height: int) -> tuple[bool, bool, bool, bool]:
        """Which of its left, top, right and bottom edges lie inside the image (another tile beyond)."""
        return self.x0 > 0, self.y0 > 0, self.x1 < width, self.y1 < height


def _starts(length: int, tile: int, overlap: int) -> list[int]:
    """Tile starts covering 0..length with `tile`-long tiles overlapping by at least `overlap`."""
    if tile >= length:
        return [0]
    count = math.ceil((length - overlap) / (tile - overlap))
    step = (length - tile) / (count - 1)
    return [round(i * step) for i in range(count)]


def frame_input_side(width: int, height: int, *, min_face_px: int, max_size: int, min_size: int) -> int:
    """The detector input's long side for a camera frame's one pass that must find faces down to
    `min_face_px` (frame pixels): just large enough to show such a face DETECTABLE_PX wide, within
    [min_size, max_size]; 0: max_size, the usual pass."""
    if min_face_px <= 0:
        return max_size
    wanted = math.ceil(max(width, height) * DETECTABLE_PX / min_face_px / INPUT_MULTIPLE) * INPUT_MULTIPLE
    return max(min_size, min(max_size, wanted))


def detection_passes(width: int, height: int, *, max_size: int, min_face_px: int) -> list[Pass]:
    """The whole image at the usual input, then (min_face_px > 0 and the usual input too coarse
    for it) tiles at the scale that shows a min_face_px face DETECTABLE_PX wide."""
    long_side = max(width, height)
    whole = Pass(0, 0, width, height, min(1.0, max_size / long_side))
    if min_face_px <= 0 or whole.scale * min_face_px >= DETECTABLE_PX:
        return [whole]
    scale = min(1.0, DETECTABLE_PX / min_face_px)
    tile = math.ceil(TILE_INPUT / scale)  # image pixels
    overlap = math.ceil(OVERLAP_MARGIN * DETECTABLE_PX / whole.scale)  # faces the whole pass may miss
    tile = max(tile, 2 * overlap)
    return [whole] + [Pass(x, y, min(x + tile, width), min(y + tile, height), scale)
                      for y in _starts(height, tile, overlap) for x in _starts(width, tile, overlap)]


def cut_by_inner_edge(box, region: Pass, width: int, height: int, *, slack: float = 2.0) -> bool:
    """Whether a face `box` (image coordinates) found in a tile touches one of its inner edges:
    the tile cut it, and the neighbour holding it whole reports it."""
    left, top, right, bottom = region.inner_edges(width, height)
    return ((left and box[0] <= region.x0 + slack) or (top and box[1] <= region.y0 + slack)
            or (right and box[2] >= region.x1 - slack) or (bottom and box[3] >= region.y1 - slack))
