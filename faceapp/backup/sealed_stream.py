"""An archive's optional encryption (plain Python): AES-256-GCM over the tar stream in 1 MiB chunks,
so a large gallery never sits in memory. The key comes from a passphrase (FACEAPP_BACKUP_KEY) through
HKDF-SHA256 with a random salt of the archive's own; each chunk's nonce is its number, and its
authenticated data the number and whether it is the last, so an edited, reordered or cut archive
fails to open."""

import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"FACEAPP-BACKUP-AESGCM-1\n"
CHUNK = 1 << 20
_HEAD = struct.Struct(">IB")  # ciphertext length, last chunk


class SealedArchiveError(Exception):
    """The key does not open the archive, or it was altered or cut short."""


def _aead(passphrase: str, salt: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"faceapp:backup").derive(passphrase.encode())
    return AESGCM(key)


def _nonce_and_aad(number: int, last: bool) -> tuple[bytes, bytes]:
    return number.to_bytes(12, "big"), number.to_bytes(8, "big") + bytes([last])


def is_sealed(head: bytes) -> bool:
    return head.startswith(MAGIC)


class SealingWriter:
    """A write-only file object: what is written goes to `raw` sealed, chunk by chunk."""

    def __init__(self, raw, passphrase: str):
        salt = os.urandom(16)
        self._raw, self._aead, self._buffer, self._number = raw, _aead(passphrase, salt), bytearray(), 0
        raw.write(MAGIC + salt)

    def _emit(self, data: bytes, *, last: bool) -> None:
        nonce, aad = _nonce_and_aad(self._number, last)
        sealed = self._aead.encrypt(nonce, bytes(data), aad)
        self._raw.write(_HEAD.pack(len(sealed), last) + sealed)
        self._number += 1

    def write(self, data: bytes) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK:
            self._emit(self._buffer[:CHUNK], last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def close(self) -> None:
        self._emit(self._buffer, last=True)
        self._buffer = bytearray()


class OpeningReader:
    """A read-only file object over a sealed archive: raises SealedArchiveError at the first chunk
    that does not open, and when the archive ends before its last chunk."""

    def __init__(self, raw, passphrase: str):
        head = raw.read(len(MAGIC) + 16)
        if not is_sealed(head) or len(head) < len(MAGIC) + 16:
            raise SealedArchiveError("not an encrypted faceapp backup")
        self._raw, self._aead = raw, _aead(passphrase, head[len(MAGIC):])
        self._buffer, self._number, self._ended = bytearray(), 0, False

    def _next(self) -> None:
        head = self._raw.read(_HEAD.size)
        if len(head) < _HEAD.size:
            raise SealedArchiveError("the archive is cut short (its last part is missing)")
        length, last = _HEAD.unpack(head)
        sealed = self._raw.read(length)
        nonce, aad = _nonce_and_aad(self._number, bool(last))
        try:
            self._buffer += self._aead.decrypt(nonce, sealed, aad)
        except InvalidTag:
            raise SealedArchiveError("FACEAPP_BACKUP_KEY does not open this archive, or it was altered") from None
        self._number += 1
        if last:
            if self._raw.read(1):
                raise SealedArchiveError("the archive has data after its end: it was altered")
            self._ended = True

    def read(self, size: int = -1) -> bytes:
        while not self._ended and (size < 0 or len(self._buffer) < size):
            self._next()
        size = len(self._buffer) if size < 0 else min(size, len(self._buffer))
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data
