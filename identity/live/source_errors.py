"""Why a camera source gives no frame: a reason code and its fixed message. Plain Python, no Django.

The message is all that is ever shown (test connection, the cameras page, the dashboard socket,
the camera.offline webhook, MQTT) or logged: never the text of the exception behind it, which
can carry a foreign service's banner, FFmpeg's or Python's wording of the URL, or its netloc.
"""

from __future__ import annotations

TIMEOUT = "timeout"
REFUSED = "refused"
UNREACHABLE = "unreachable"
UNKNOWN_HOST = "unknown-host"
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

# Each says what went wrong in a user's words and, where the user can do something, what to check.
MESSAGES = {
    TIMEOUT: "the camera did not answer within {seconds:g} s: check that it is switched on and connected",
    REFUSED: "nothing answers at that address and port: check the address and the port, and that the "
             "camera is switched on",
    UNKNOWN_HOST: "no device on the network has that name: check the spelling of the address, or use its IP",
    UNREACHABLE: "the camera cannot be reached: check the address (its name or IP) and that it is connected",
    NOT_CAMERA: "something answers at that address and port, but it is not a camera: check the port and the "
                "kind of camera chosen",
    TLS: "the secure connection (https) failed: check whether the camera's address starts with http or https",
    AUTH: "the camera refused the user name or password: check them in the URL",
    NOT_FOUND: "the camera has no stream or picture at that path: check the part of the URL after the address",
    HTTP_ERROR: "the camera answered with an error: check the URL, or restart the camera",
    TOO_LARGE: "the camera's picture is too large to read",
    NOT_IMAGE: "the camera sent something that is not a picture: check that the URL gives a snapshot (JPEG)",
    NO_VIDEO: "the stream has no video in it: check the stream's path in the URL",
    NOT_VIDEO: "the file is not a video",
    ENDED: "the stream stopped sending pictures",
    BAD_URL: "this is not a camera address: check the URL (for example rtsp://user:password@192.168.1.20/stream)",
    NO_FILE: "the video file is not there",
    UNKNOWN_KIND: "the server cannot read this kind of camera",
    CREDENTIALS: "its stored password cannot be read (the server's secret key changed?): enter its URL again",
    NOT_ALLOWED: "the camera's address is not on a network this server may read cameras from: ask the "
                 "administrator (setting FACEAPP_CAMERA_NETWORKS)",
    FAILED: "the stream cannot be read: check the URL and the kind of camera chosen",
}


class SourceError(Exception):
    """Why a source gives no frames: `reason` (a code of MESSAGES) and its fixed `message`."""

    def __init__(self, reason: str, *, seconds: float = 0.0):
        self.reason = reason if reason in MESSAGES else FAILED
        self.message = MESSAGES[self.reason].format(seconds=seconds)
        super().__init__(self.message)
