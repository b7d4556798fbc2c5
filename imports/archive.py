"""Reading one member of an import's ZIP (plain Python, no Django): whatever the ZIP reader or
its decompressors raise for a member (encrypted, damaged, a compression method it lacks) is an
UnreadableMember with the reason in plain words, so the import rejects that photo and goes on."""

from __future__ import annotations

import lzma
import zipfile
import zlib

ENCRYPTED_FLAG = 0x1  # general purpose bit 0: the member is encrypted
READABLE_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
# What zipfile, zlib, bz2 and lzma raise for a member's bytes they cannot give back.
MEMBER_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, RuntimeError, NotImplementedError, EOFError,
                 OSError, ValueError)


class UnreadableMember(ValueError):
    """A member of the ZIP that cannot be read; its text is the reason for the report."""


def member_problem(info: zipfile.ZipInfo, error: BaseException | None = None) -> str | None:
    """Why `info` cannot be read (before reading it, or after `error`), in plain words."""
    if info.flag_bits & ENCRYPTED_FLAG:
        return "encrypted (password-protected): not read"
    if info.compress_type not in READABLE_METHODS:
        return "unsupported compression: not read"
    if error is None:
        return None
    if "CRC" in str(error):
        return "damaged (bad CRC): not read"
    return "damaged: not read"


def member_read(opened: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The member's bytes; UnreadableMember with the reason when it cannot be read."""
    problem = member_problem(info)
    if problem:
        raise UnreadableMember(problem)
    try:
        return opened.read(info)
    except MEMBER_ERRORS as error:
        raise UnreadableMember(member_problem(info, error)) from error
