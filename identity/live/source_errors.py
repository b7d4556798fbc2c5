"""Why a camera source gives no frame: a reason code and its fixed message. Plain Python, no Django.

The message is all that is ever shown (test connection, the cameras page, the dashboard socket,
the camera.offline webhook, MQTT) or logged: never the text of the exception behind it, which
can carry a foreign service's banner, FFmpeg's or Python's wording of the URL, or its netloc.
"""

from __future__ import annotations

TIMEOUT = "timeout"
REFUSED = "refused"
UNREACHABLE = "unreachable"
NOT_CAMERA = "not-camera"
TLS = "tls"
AUTH = "auth"
NOT_FOUND = "not-found"
HTTP_ERROR = "http-error"
TOO_LARGE = "too-large"
NOT_IMAGE = "not-image"
NO_VIDEO = "no-video"
NOT_VIDEO = "not-video"
ENDED = "ended"
BAD_URL = "bad-url"
NO_FILE = "no-file"
UNKNOWN_KIND = "unknown-kind"
CREDENTIALS = "credentials"
NOT_ALLOWED = "not-allowed"
FAILED = "failed"

MESSAGES = {
    TIMEOUT: "no answer within {seconds:g} s",
    REFUSED: "connection refused",
    UNREACHABLE: "the camera cannot be reached",
    NOT_CAMERA: "not a camera stream (the server did not answer as HTTP/RTSP)",
    TLS: "the secure connection failed",
    AUTH: "authentication refused",
    NOT_FOUND: "no such stream or image on the camera",
    HTTP_ERROR: "the camera answered with an error",
    TOO_LARGE: "the image is too large",
    NOT_IMAGE: "not an image",
    NO_VIDEO: "no video stream",
    NOT_VIDEO: "the file is not a video",
    ENDED: "the stream ended",
    BAD_URL: "not a valid camera address",
    NO_FILE: "file not found",
    UNKNOWN_KIND: "unknown source kind",
    CREDENTIALS: "its stored credentials cannot be read (the secret key changed?): enter its URL again",
    NOT_ALLOWED: "the camera's address is outside the camera networks (FACEAPP_CAMERA_NETWORKS)",
    FAILED: "the stream cannot be read",
}


class SourceError(Exception):
    """Why a source gives no frames: `reason` (a code of MESSAGES) and its fixed `message`."""

    def __init__(self, reason: str, *, seconds: float = 0.0):
        self.reason = reason if reason in MESSAGES else FAILED
        self.message = MESSAGES[self.reason].format(seconds=seconds)
        super().__init__(self.message)
