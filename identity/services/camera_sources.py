"""A stream camera's source as stored: its address in the clear (what is shown, logged, pushed
and sent) and its credentials apart, sealed with a key from SECRET_KEY (faceapp.sealing). The
URL is split at save by the one gate (identity.live.source_url) and joined again only by the
reader that opens it (identity.live.sources)."""

from django.conf import settings

from faceapp.sealing import SealError, seal, unseal
from identity.live.addresses import networks_check
from identity.live.source_url import SourceAddress, SourceSecret, address_shown, source_join, source_split

SEAL_PURPOSE = "camera-source"
FILE_KIND = "file"  # its source is a path in the videos folder (identity.forms checks it), no URL


def camera_source_check(*, kind: str, url: str) -> tuple[SourceAddress, SourceSecret]:
    """The gate, then the camera networks; SourceUrlError or AddressError (identity.live.addresses)."""
    address, secret = source_split(url, kind=kind)
    networks_check(address.host, address.port or 0, settings.FACEAPP_CAMERA_NETWORKS)
    return address, secret


def camera_source_set(*, camera, url: str) -> None:
    """Put `url` in the (unsaved) camera: its address, and its credentials sealed. SourceUrlError
    when the gate refuses it. The caller saves."""
    if camera.kind == FILE_KIND or not url:
        camera.source_address, camera.source_secret = url, ""
        return
    address, secret = source_split(url, kind=camera.kind)
    camera.source_address, camera.source_secret = address.text, seal(secret.dumps(), purpose=SEAL_PURPOSE)


def camera_source_shown(*, camera) -> str:
    """The camera's source on a page: its address as the gate reads it (a row written directly holding a
    line break shows as refused), or its file's path."""
    return address_shown(camera.source_address, kind=camera.kind)


def camera_source_secret(*, camera) -> SourceSecret | None:
    """The camera's credentials; None when they were sealed under a SECRET_KEY no longer configured."""
    try:
        return SourceSecret.loads(unseal(camera.source_secret, purpose=SEAL_PURPOSE))
    except SealError:
        return None


def camera_source_url(*, camera) -> str:
    """The whole URL, credentials joined (for the migration back only: nothing else needs it)."""
    if camera.kind == FILE_KIND or not camera.source_address:
        return camera.source_address
    address, inline = source_split(camera.source_address, kind=camera.kind)
    return source_join(address, camera_source_secret(camera=camera) or inline)
