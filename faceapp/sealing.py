"""Secrets the app must read back itself (a camera's stream credentials), stored sealed:
Fernet (AES-CBC with an HMAC-SHA256) under a key derived with HKDF-SHA256 from SECRET_KEY and
the secret's purpose, so that a copy of the database alone gives none of them away. What an
earlier key sealed still opens while that key is in SECRET_KEY_FALLBACKS."""

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class SealError(Exception):
    """A sealed value that no configured key opens (SECRET_KEY changed), or that was altered."""


def _fernet(secret_key: str, purpose: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"faceapp:{purpose}".encode()).derive(
        secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _keys(purpose: str) -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(key, purpose) for key in keys])


def seal(text: str, *, purpose: str) -> str:
    """`text` sealed under the current SECRET_KEY; "" stays "" (nothing to hide)."""
    return _keys(purpose).encrypt(text.encode()).decode() if text else ""


def unseal(token: str, *, purpose: str) -> str:
    """What seal() sealed; SealError when no key opens it."""
    if not token:
        return ""
    try:
        return _keys(purpose).decrypt(token.encode()).decode()
    except (InvalidToken, UnicodeDecodeError):
        raise SealError(f"a sealed {purpose} that no configured SECRET_KEY opens") from None
