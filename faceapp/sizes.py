"""Byte counts in messages, written one way everywhere."""

import math

MiB = 1024 * 1024


def size_text(size: int) -> str:
    """A byte count the way every message writes it: binary units, as FACEAPP_MAX_UPLOAD_MB counts
    (20 MiB, 20.1 MiB, 512 KiB, 900 bytes); rounded up, so a size over a limit never reads as it."""
    for unit, scale in (("MiB", MiB), ("KiB", 1024)):
        if size >= scale:
            return f"{math.ceil(size * 10 / scale) / 10:.1f}".removesuffix(".0") + " " + unit
    return f"{size} bytes"
