"""Why a camera gives no picture, in the words a user reads (identity.live.source_errors), each
against a real server on 127.0.0.1 (tests/streams.py) or a name no DNS knows: what went wrong and
what to check. No mocks."""

import pytest

from identity.live.addresses import networks_parse
from identity.live.sources import SourceConfig, SourceError, grab_frame
from tests import foreign_servers, live_data, streams

UNKNOWN_HOST = "no device on the network has that name: check the spelling of the address, or use its IP"


@pytest.fixture(scope="module")
def camera():
    with streams.MjpegServer([live_data.scene(None)] * 3, basic_auth="admin:right") as server:
        yield server


def _error(kind: str, url: str, **options) -> SourceError:
    with pytest.raises(SourceError) as error:
        grab_frame(SourceConfig(kind=kind, url=url, timeout=5, **options))
    return error.value


@pytest.mark.parametrize("kind, scheme", [("snapshot", "http"), ("mjpeg", "http"), ("rtsp", "rtsp")])
def test_it_says_nothing_answers_at_that_address_and_port(kind, scheme):
    error = _error(kind, f"{scheme}://127.0.0.1:{foreign_servers.closed_port()}/cam")
    assert (error.reason, error.message) == ("refused", "nothing answers at that address and port: check the "
                                             "address and the port, and that the camera is switched on")


def test_it_says_the_camera_refused_the_user_name_or_password(camera):
    error = _error("mjpeg", camera.stream_url)
    assert (error.reason, error.message) == ("auth", "the camera refused the user name or password: check them in the URL")


@pytest.mark.parametrize("kind", ["snapshot", "mjpeg"])
def test_it_says_the_camera_has_nothing_at_that_path(camera, kind):
    error = _error(kind, camera.page_url + "no-such-path")
    assert (error.reason, error.message) == (
        "not-found", "the camera has no stream or picture at that path: check the part of the URL after the address")


def test_it_says_a_snapshot_url_gives_something_that_is_not_a_picture(camera):
    error = _error("snapshot", camera.page_url)
    assert (error.reason, error.message) == (
        "not-image", "the camera sent something that is not a picture: check that the URL gives a snapshot (JPEG)")


@pytest.mark.parametrize("kind", ["snapshot", "mjpeg"])
def test_it_says_the_secure_connection_failed_for_https_to_a_plain_http_camera(camera, kind):
    error = _error(kind, camera.snapshot_url.replace("http://", "https://"))
    assert (error.reason, error.message) == (
        "tls", "the secure connection (https) failed: check whether the camera's address starts with http or https")


@pytest.mark.parametrize("kind, scheme", [("snapshot", "http"), ("mjpeg", "http"), ("rtsp", "rtsp")])
def test_it_says_no_device_has_a_name_no_dns_knows(kind, scheme):
    error = _error(kind, f"{scheme}://no-such-camera.invalid/cam")
    assert (error.reason, error.message) == ("unknown-host", UNKNOWN_HOST)


def test_it_says_no_device_has_that_name_also_where_camera_networks_are_set():
    networks = networks_parse("192.168.0.0/16", name="FACEAPP_CAMERA_NETWORKS")
    error = _error("rtsp", "rtsp://no-such-camera.invalid/cam", networks=networks)
    assert (error.reason, error.message) == ("unknown-host", UNKNOWN_HOST)
