"""ZIPs of real photos with one member the ZIP reader cannot give back: encrypted (the `zip`
tool's `-P`, else the encrypted flag set by hand), a bad CRC (a byte of its stored data flipped),
a compression method no reader has (99 in its local and central headers), or deflate data that
is no deflate stream. The broken member comes first in its person's folder: the import must go on
past it."""

import shutil
import struct
import subprocess
import zipfile
from pathlib import Path

from tests import faces_data

E2E = faces_data.FIXTURES / "e2e"
BROKEN = "Colin Powell/0-broken.jpg"
GOOD = {
    "Colin Powell/Colin_Powell_0002.jpg": E2E / "Colin_Powell_0002.jpg",
    "Tony Blair/Tony_Blair_0001.jpg": E2E / "Tony_Blair_0001.jpg",
}
PHOTO = E2E / "Colin_Powell_0001.jpg"  # the broken member's photo
LOCAL, CENTRAL = b"PK\x03\x04", b"PK\x01\x02"
LOCAL_FLAGS, LOCAL_METHOD, CENTRAL_FLAGS, CENTRAL_METHOD = 6, 8, 8, 10


def _good_zip(path: Path, member: str, method: int | None) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        if method is not None:
            archive.writestr(member, PHOTO.read_bytes(), compress_type=method)
        for name, source in GOOD.items():
            archive.writestr(name, source.read_bytes())


def _patch(path: Path, member: str, *, local: dict[int, int] = {}, central: dict[int, int] = {},
           data_byte: int | None = None, data_at: int = 0) -> None:
    """Set 2-byte fields of the member's local and central headers, or one byte of its data."""
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        start = archive.getinfo(member).header_offset
    assert raw[start:start + 4] == LOCAL
    for offset, value in local.items():
        struct.pack_into("<H", raw, start + offset, value)
    name_length, extra_length = struct.unpack_from("<HH", raw, start + 26)
    if data_byte is not None:
        raw[start + 30 + name_length + extra_length + data_at] = data_byte
    entry = raw.find(CENTRAL)
    while entry != -1:
        length = struct.unpack_from("<H", raw, entry + 28)[0]
        if raw[entry + 46:entry + 46 + length] == member.encode():
            for offset, value in central.items():
                struct.pack_into("<H", raw, entry + offset, value)
        entry = raw.find(CENTRAL, entry + 4)
    path.write_bytes(bytes(raw))


def encrypted(path: Path, member: str = BROKEN) -> Path:
    if shutil.which("zip"):
        _good_zip(path, member, None)
        folder = path.parent / "to-encrypt"
        (folder / member).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(PHOTO, folder / member)
        subprocess.run(["zip", "-q", "-P", "pw", str(path), member], cwd=folder, check=True)
    else:
        _good_zip(path, member, zipfile.ZIP_STORED)
        _patch(path, member, local={LOCAL_FLAGS: 1}, central={CENTRAL_FLAGS: 1})
    return path


def bad_crc(path: Path, member: str = BROKEN) -> Path:
    _good_zip(path, member, zipfile.ZIP_STORED)
    middle = PHOTO.stat().st_size // 2
    _patch(path, member, data_byte=PHOTO.read_bytes()[middle] ^ 0xFF, data_at=middle)
    return path


def unknown_method(path: Path, member: str = BROKEN) -> Path:
    _good_zip(path, member, zipfile.ZIP_STORED)
    _patch(path, member, local={LOCAL_METHOD: 99}, central={CENTRAL_METHOD: 99})
    return path


def damaged_deflate(path: Path, member: str = BROKEN) -> Path:
    _good_zip(path, member, zipfile.ZIP_DEFLATED)
    _patch(path, member, data_byte=0xFF)  # block type 3: reserved, "invalid block type"
    return path
