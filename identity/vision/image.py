"""Image loading: bytes, path, PIL image or array -> BGR uint8 array.

The header is read first (Pillow's ``Image.open`` is lazy) so an image that
declares more pixels than the cap is refused before any pixel is decoded.
EXIF orientation is applied; grayscale, palette, CMYK, alpha and 16-bit images
are converted. Every refusal is an :class:`ImageError` with a human message.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Union

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_MAX_DECODED_BYTES = 512 * 1024 * 1024  # what decoding may hold at once, the BGR result included
MIN_SIDE = 16  # below this no face can be found or aligned
# Bytes a pixel takes in Pillow's decoded buffer, by mode (RGB is stored 4 bytes wide).
_MODE_BYTES = {"1": 1, "L": 1, "P": 1, "LA": 2, "PA": 2, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2,
               "RGB": 4, "RGBA": 4, "RGBa": 4, "CMYK": 4, "YCbCr": 4, "LAB": 4, "HSV": 4, "I": 4, "F": 4}

# Pillow's own bomb fence (warning above the limit, error above twice it) stays on as a
# backstop: our explicit check below is stricter for the default cap.
if Image.MAX_IMAGE_PIXELS is None or Image.MAX_IMAGE_PIXELS > 2 * DEFAULT_MAX_PIXELS:
    Image.MAX_IMAGE_PIXELS = 2 * DEFAULT_MAX_PIXELS

ImageSource = Union[bytes, bytearray, memoryview, str, os.PathLike, Image.Image, np.ndarray]


class ImageError(ValueError):
    """The input cannot be used as a photo; the message says why, for a human."""


class ImageTooManyPixels(ImageError):
    """Over the pixel cap, or would take more than the decoded-bytes cap to decode."""


# First bytes of the image formats we accept -> the extension files are stored under.
_SIGNATURES: list[tuple[bytes, str]] = [
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
    (b"II*\x00", "tif"),
    (b"MM\x00*", "tif"),
]


def _read_bytes(source: ImageSource) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), "image"
    path = Path(source)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImageError(f"file not found: {path}") from None
    except IsADirectoryError:
        raise ImageError(f"not a file: {path}") from None
    except OSError as exc:
        raise ImageError(f"cannot read {path}: {exc.strerror or exc}") from None
    return data, str(path)


def _check_size(width: int, height: int, what: str, max_pixels: int, min_side: int) -> None:
    if width * height > max_pixels:
        raise ImageTooManyPixels(
            f"{what} is too large: {width}x{height} = {width * height / 1e6:.1f} megapixels, "
            f"the limit is {max_pixels / 1e6:.1f} megapixels"
        )
    if min(width, height) < min_side:
        raise ImageError(f"{what} is too small ({width}x{height}); need at least {min_side} pixels per side")


def _bomb_message(what: str, exc: Exception, max_pixels: int) -> str:
    found = re.search(r"\((\d+) pixels\)", str(exc))
    declared = f"{int(found.group(1)) / 1e6:.1f} megapixels" if found else "more pixels than Pillow allows"
    return f"{what} is too large: its header declares {declared}, the limit is {max_pixels / 1e6:.1f} megapixels"


def _decoded_bytes(width: int, height: int, mode: str) -> int:
    """The most decoding holds at once: Pillow's buffer, an array copy of it, the BGR result."""
    return width * height * (2 * _MODE_BYTES.get(mode, 8) + 4)


def _gray8(img: Image.Image) -> np.ndarray | None:
    """16-bit, 32-bit and float grays -> HxW uint8, in integer steps the size of the input (no
    float64 copy eight bytes a pixel); None for other modes."""
    mode = img.mode
    if not (mode.startswith("I;16") or mode in ("I", "F")):
        return None
    gray = np.array(img)  # one writable copy, worked on in place
    if mode.startswith("I;16"):
        np.right_shift(gray, 8, out=gray)
    elif mode == "I":
        shift = max(int(gray.max(initial=0)).bit_length() - 8, 0)  # 8-bit data in a 32-bit file stays as is
        np.right_shift(gray, shift, out=gray)
    np.clip(gray, 0, 255, out=gray)
    return gray.astype(np.uint8)


def _to_bgr_array(img: Image.Image) -> np.ndarray:
    """Any Pillow mode -> HxWx3 uint8 BGR."""
    gray = _gray8(img)
    if gray is not None:
        return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    mode = img.mode
    if mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        # transparent areas become white, as a viewer would show them on a page
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, rgba)
    if img.mode == "L":
        return cv2.cvtColor(np.asarray(img), cv2.COLOR_GRAY2BGR)
    if img.mode != "RGB":
        img = img.convert("RGB")  # 1, CMYK, YCbCr, LAB, HSV
    return cv2.cvtColor(np.asarray(img, dtype=np.uint8), cv2.COLOR_RGB2BGR)


def _open_header(data: bytes, what: str, max_pixels: int) -> Image.Image:
    if not data:
        raise ImageError(f"{what} is empty (0 bytes)")
    try:
        return Image.open(io.BytesIO(data))  # lazy: reads the header only
    except UnidentifiedImageError:
        raise ImageError(f"{what} is not an image (unrecognised file format)") from None
    except Image.DecompressionBombError as exc:  # Pillow's own fence, raised from the header alone
        raise ImageTooManyPixels(_bomb_message(what, exc, max_pixels)) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"{what} is not a readable image: {exc}") from None


def probe_image(
    data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, min_side: int = MIN_SIDE, what: str = "image"
) -> tuple[str, int, int]:
    """(Pillow format name, width, height) from the header alone, no pixel decoded; raises
    :class:`ImageError` as :func:`decode_image` would for empty, non-image, too large or too
    small input (a truncated body is only found by decoding)."""
    with _open_header(bytes(data), what, max_pixels) as img:
        width, height = img.size
        _check_size(width, height, what, max_pixels, min_side)
        return img.format or "", width, height


def image_kind(data: bytes) -> str | None:
    """The extension of the image format the first bytes announce, or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    for signature, extension in _SIGNATURES:
        if data.startswith(signature):
            return extension
    return None


def image_header_check(data: bytes, *, max_pixels: int, min_side: int = MIN_SIDE) -> tuple[str, int, int]:
    """(extension, width, height) of an upload, a snapshot or a camera frame from its header
    alone, no pixel decoded; ImageError for empty, not an image of a format we take, too many
    pixels (ImageTooManyPixels) or too small. The byte cap is the reader's: it stops reading."""
    if not data:
        raise ImageError("file is empty (0 bytes)")
    extension = image_kind(data)
    if extension is None:
        raise ImageError("not an image: use a JPEG, PNG, WebP, BMP, GIF or TIFF file")
    _, width, height = probe_image(data, max_pixels=max_pixels, min_side=min_side)
    return extension, width, height


def decode_image(
    source: ImageSource, *, max_pixels: int = DEFAULT_MAX_PIXELS, min_side: int = MIN_SIDE,
    max_decoded_bytes: int = DEFAULT_MAX_DECODED_BYTES,
) -> np.ndarray:
    """Load a photo as a contiguous HxWx3 BGR uint8 array (EXIF orientation applied).

    ``source`` may be encoded bytes, a filesystem path, a PIL image or an array
    (HxW gray, HxWx3 BGR or HxWx4 BGRA, uint8). Raises :class:`ImageError` for
    empty, non-image, truncated, too large (pixels and decoded bytes, checked
    before decoding) or too small inputs.
    """
    if isinstance(source, np.ndarray):
        return _from_array(source, max_pixels=max_pixels, min_side=min_side)
    if isinstance(source, Image.Image):
        img, what = source, "image"
    else:
        data, what = _read_bytes(source)
        img = _open_header(data, what, max_pixels)
    width, height = img.size
    _check_size(width, height, what, max_pixels, min_side)
    needed = _decoded_bytes(width, height, img.mode)
    if needed > max_decoded_bytes:
        raise ImageTooManyPixels(
            f"{what} would take {needed / 2**20:.0f} MiB to decode ({width}x{height}, {img.mode}), "
            f"the limit is {max_decoded_bytes / 2**20:.0f} MiB"
        )
    try:
        img.load()  # decodes; raises on truncated data (LOAD_TRUNCATED_IMAGES stays False)
    except Image.DecompressionBombError as exc:
        raise ImageTooManyPixels(_bomb_message(what, exc, max_pixels)) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(f"{what} is truncated or corrupt ({exc})") from None
    try:
        img = ImageOps.exif_transpose(img)
    except Exception:  # a malformed EXIF block must not make the photo unusable
        pass
    return _to_bgr_array(img)


def encode_jpeg(image: np.ndarray, *, quality: int = 90) -> bytes:
    """A BGR (or gray) uint8 array as JPEG bytes: crops, evidence frames, live frames."""
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ImageError(f"cannot encode an image of shape {image.shape} as JPEG")
    return encoded.tobytes()


def _from_array(array: np.ndarray, *, max_pixels: int, min_side: int) -> np.ndarray:
    if array.dtype != np.uint8:
        raise ImageError(f"image array must be uint8, got {array.dtype}")
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    elif array.ndim == 3 and array.shape[2] == 4:
        array = array[:, :, :3]
    elif array.ndim != 3 or array.shape[2] != 3:
        raise ImageError(f"image array must be HxW, HxWx3 or HxWx4, got shape {array.shape}")
    _check_size(array.shape[1], array.shape[0], "image", max_pixels, min_side)
    return np.ascontiguousarray(array)
