"""Image loading: formats, orientation, and clear refusals (identity.vision.image)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from identity.vision.image import ImageError, decode_image

FIXTURES = Path(__file__).parent / "fixtures"
PHOTO = FIXTURES / "lfw_person_a_1.jpg"


def encode(img: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose IHDR (valid CRC) declares width x height but which holds almost no data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    idat = zlib.compress(b"\x00" * 16)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def test_it_decodes_a_path_and_its_bytes_alike():
    from_path = decode_image(PHOTO)
    from_bytes = decode_image(PHOTO.read_bytes())
    assert from_path.shape == (250, 250, 3) and from_path.dtype == np.uint8
    assert from_path.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(from_path, from_bytes)


def test_it_gives_bgr_channels():
    red = Image.new("RGB", (64, 64), (255, 0, 0))
    bgr = decode_image(encode(red, "PNG"))
    assert tuple(bgr[0, 0]) == (0, 0, 255)


@pytest.mark.parametrize("orientation, stored", [(3, Image.Transpose.ROTATE_180), (6, Image.Transpose.ROTATE_90),
                                                 (8, Image.Transpose.ROTATE_270)])
def test_it_applies_the_exif_orientation(orientation, stored):
    upright = Image.open(PHOTO).convert("RGB").crop((0, 0, 250, 200))  # not square, to see the rotation
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(upright.transpose(stored), "PNG", exif=exif.tobytes())
    loaded = decode_image(data)
    expected = np.asarray(upright)[:, :, ::-1]
    assert loaded.shape == expected.shape
    np.testing.assert_array_equal(loaded, expected)


def test_it_loads_grayscale_as_three_equal_channels():
    gray = Image.open(PHOTO).convert("L")
    bgr = decode_image(encode(gray, "JPEG"))
    assert bgr.shape == (250, 250, 3)
    assert np.array_equal(bgr[:, :, 0], bgr[:, :, 1]) and np.array_equal(bgr[:, :, 1], bgr[:, :, 2])


def test_it_loads_a_cmyk_jpeg_with_its_colours():
    rgb = Image.new("RGB", (64, 64), (200, 30, 30))
    bgr = decode_image(encode(rgb.convert("CMYK"), "JPEG", quality=95))
    assert bgr.shape == (64, 64, 3)
    b, g, r = bgr[32, 32].astype(int)
    assert r > 150 and g < 80 and b < 80


def test_it_composites_rgba_on_white():
    rgba = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    rgba.paste((10, 20, 30, 255), (0, 0, 20, 40))
    bgr = decode_image(encode(rgba, "PNG"))
    assert tuple(bgr[5, 5]) == (30, 20, 10)
    assert tuple(bgr[5, 35]) == (255, 255, 255)


def test_it_scales_16_bit_grayscale_to_8_bit():
    ramp = (np.linspace(0, 65535, 64 * 64).reshape(64, 64)).astype(np.uint16)
    data = encode(Image.fromarray(ramp), "PNG")
    assert Image.open(io.BytesIO(data)).mode.startswith("I")
    bgr = decode_image(data)
    assert bgr.dtype == np.uint8 and bgr[0, 0, 0] == 0 and bgr[-1, -1, 0] == 255


def test_it_loads_a_palette_png():
    bgr = decode_image(encode(Image.open(PHOTO).convert("P"), "PNG"))
    assert bgr.shape == (250, 250, 3)


def test_it_passes_an_array_through():
    array = np.zeros((32, 48, 3), dtype=np.uint8)
    assert decode_image(array).shape == (32, 48, 3)
    assert decode_image(np.zeros((32, 48), dtype=np.uint8)).shape == (32, 48, 3)


@pytest.mark.parametrize("data, words", [
    (b"", "empty"),
    (b"this is a text file, not a photo\n" * 10, "not an image"),
    (b"%PDF-1.4\n" + b"\x00" * 200, "not an image"),
])
def test_it_refuses_non_images_clearly(data, words):
    with pytest.raises(ImageError, match=words):
        decode_image(data)


def test_it_refuses_a_truncated_jpeg():
    data = PHOTO.read_bytes()
    with pytest.raises(ImageError, match="truncated"):
        decode_image(data[: len(data) // 2])


def test_it_refuses_a_one_pixel_image():
    with pytest.raises(ImageError, match="too small"):
        decode_image(encode(Image.new("RGB", (1, 1)), "PNG"))


def test_it_refuses_a_png_declaring_a_huge_size_before_decoding():
    data = png_claiming(30000, 30000)
    assert len(data) < 200
    with pytest.raises(ImageError, match="too large.*900.0 megapixels"):
        decode_image(data)
    # below Pillow's own bomb limit, our cap refuses it from the header with the exact size
    with pytest.raises(ImageError, match="too large: 6000x6000 = 36.0 megapixels, the limit is 10.0"):
        decode_image(png_claiming(6000, 6000), max_pixels=10_000_000)


def test_it_takes_a_pixel_cap():
    data = encode(Image.new("RGB", (200, 100)), "PNG")
    with pytest.raises(ImageError, match="too large"):
        decode_image(data, max_pixels=10_000)
    assert decode_image(data, max_pixels=20_000).shape == (100, 200, 3)


def test_it_names_a_missing_or_empty_file(tmp_path):
    with pytest.raises(ImageError, match="file not found: .*nope.jpg"):
        decode_image(tmp_path / "nope.jpg")
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(ImageError, match="empty.jpg is empty"):
        decode_image(empty)


def test_it_raises_image_errors_as_value_errors():
    assert issubclass(ImageError, ValueError)
