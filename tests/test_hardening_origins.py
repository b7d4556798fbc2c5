"""Cross-site websocket hijacking: against a real Daphne, a signed-in admin's cookie opens every
websocket route (walked from faceapp/asgi.py) only from the site's own origin, exactly
scheme://host:port, or from CSRF_TRUSTED_ORIGINS; a page on another port of the same host,
another allowed host name, https instead of http, a rebinding host, or no Origin at all is refused.
"""

import re
import socket

import pytest
import websockets.exceptions
import websockets.sync.client
from django.conf import settings

from faceapp.asgi import websocket_urlpatterns
from tests import review_data
from tests.browser import daphne_server
from tests.streams import free_port

ROUTES = [str(pattern.pattern) for pattern in websocket_urlpatterns]
TRUSTED_PORT = free_port()  # a trusted origin on another port (as behind a proxy)
TIMEOUT = 30  # a deadline for a slow machine, not a timing assertion


@pytest.fixture(scope="module")
def port(django_db_setup, tmp_path_factory) -> int:
    trusted = f"http://127.0.0.1:{TRUSTED_PORT}"
    with daphne_server(tmp_path_factory.mktemp("daphne"), CSRF_TRUSTED_ORIGINS=trusted) as (started, _):
        yield started


@pytest.fixture
def signed_in(transactional_db, admin_user) -> dict:
    """The admin's session cookie and real rows for every route's ids."""
    from django.test import Client

    client = Client()
    client.force_login(admin_user)
    ids = review_data.websocket_route_ids()
    return {"cookie": f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}",
            "ids": ids}  # fmt: skip


def _path(route: str, ids: dict) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), route)


def _opens(port: int, route: str, signed_in: dict, origin: str | None, host: str = "127.0.0.1") -> bool:
    """True when the socket opens and stays open (not refused at the handshake, not closed 4403).
    It always connects to our server; `host` is what its Host header names."""
    headers = {"Cookie": signed_in["cookie"]}
    if origin is not None:
        headers["Origin"] = origin
    url = f"ws://{host}:{port}{_path(route, signed_in['ids'])}"
    try:
        with websockets.sync.client.connect(url, sock=socket.create_connection(("127.0.0.1", port)),
                                            additional_headers=headers, open_timeout=TIMEOUT) as socket_:  # fmt: skip
            try:
                socket_.recv(timeout=1)  # a refused consumer closes at once; an open one stays quiet
            except TimeoutError:
                return True
            except websockets.exceptions.ConnectionClosed:
                return False
            return True  # it spoke first: open
    except websockets.exceptions.InvalidStatus as refused:
        assert refused.response.status_code == 403
        return False


def test_it_walks_every_websocket_route():
    assert len(ROUTES) >= 3, ROUTES


@pytest.mark.parametrize("route", ROUTES)
def test_it_opens_every_route_from_the_sites_own_origin(port, route, signed_in):
    assert _opens(port, route, signed_in, f"http://127.0.0.1:{port}")


@pytest.mark.parametrize("route", ROUTES)
def test_it_refuses_a_page_on_another_port_of_the_same_host(port, route, signed_in):
    assert not _opens(port, route, signed_in, f"http://127.0.0.1:{free_port()}")


@pytest.mark.parametrize("route", ROUTES)
def test_it_refuses_other_schemes_hosts_and_a_missing_origin(port, route, signed_in):
    assert not _opens(port, route, signed_in, f"https://127.0.0.1:{port}")
    assert not _opens(port, route, signed_in, f"http://localhost:{port}")  # allowed host, other origin
    assert not _opens(port, route, signed_in, "null")
    assert not _opens(port, route, signed_in, None)


@pytest.mark.parametrize("route", ROUTES)
def test_it_refuses_a_rebinding_host_that_matches_its_own_origin(port, route, signed_in):
    # evil.example resolved to 127.0.0.1: Origin and Host agree, but that host is not ours.
    assert not _opens(port, route, signed_in, f"http://evil.example:{port}", host="evil.example")


@pytest.mark.parametrize("route", ROUTES)
def test_it_opens_every_route_from_a_csrf_trusted_origin(port, route, signed_in):
    assert _opens(port, route, signed_in, f"http://127.0.0.1:{TRUSTED_PORT}")
