"""Uploaded images: read and checked cheaply before any decoding."""

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from faceapp.sizes import size_text
from identity.vision import ImageError
from identity.vision.image import image_header_check

ImageInput = UploadedFile | tuple[str, bytes]  # an upload, or (filename, bytes)


class ImageTooLarge(ImageError):
    """The file is over the byte cap (the API answers 413, not 400)."""


CONTENT_TYPES = {
    "jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "bmp": "image/bmp",
    "tif": "image/tiff", "webp": "image/webp",
}


def max_upload_bytes() -> int:
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def max_image_pixels() -> int:
    return settings.FACEAPP_ENGINE.max_pixels


def image_read(image: ImageInput) -> bytes:
    """The bytes of an upload or a (filename, bytes) pair; ImageError over the size cap."""
    limit = max_upload_bytes()
    if isinstance(image, tuple):
        data = bytes(image[1])
    else:
        if image.size is not None and image.size > limit:
            raise too_large(image.size, limit)
        image.seek(0)
        data = image.read(limit + 1)
    if len(data) > limit:
        raise too_large(len(data), limit)
    return data


def too_large(size: int, limit: int | None = None) -> ImageTooLarge:
    """The refusal of a file of `size` bytes over the upload cap (or `limit`)."""
    limit = max_upload_bytes() if limit is None else limit
    return ImageTooLarge(f"file is too large ({size_text(size)}), the limit is {size_text(limit)}")


def image_check(data: bytes) -> tuple[str, int, int]:
    """(extension, width, height) from the header alone: no pixel is decoded.

    Raises ImageError naming the problem: empty, too large, not an image, too many pixels.
    """
    if len(data) > max_upload_bytes():
        raise too_large(len(data))
    return image_header_check(data, max_pixels=max_image_pixels())
