"""What is signed: webhook bodies (HMAC-SHA256 over "<timestamp>.<body>" with the destination's
secret) and the short-lived crop URLs a destination may opt in to (django.core.signing)."""

import hashlib
import hmac

from django.conf import settings
from django.core import signing

SIGNATURE_PREFIX = "sha256="
CROP_SALT = "faceapp.integrations.crop"


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """The X-Faceapp-Signature header's value: "sha256=<hex>"."""
    message = str(timestamp).encode() + b"." + body
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def crop_token(*, visit_id: int) -> str:
    return signing.dumps(visit_id, salt=CROP_SALT)


def crop_token_visit(token: str) -> int | None:
    """The visit a crop token names, or None when it is forged or older than FACEAPP_WEBHOOK_CROP_URL_SECONDS."""
    try:
        visit_id = signing.loads(token, salt=CROP_SALT, max_age=settings.FACEAPP_WEBHOOK_CROP_URL_SECONDS)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    return visit_id if isinstance(visit_id, int) else None
