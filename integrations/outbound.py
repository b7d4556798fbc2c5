"""Outbound HTTP for webhooks, guarded against server-side request forgery.

requests (with urllib3 underneath) rather than httpx: it is already pinned for the tests and
benches, it is synchronous like the Celery tasks that send, and urllib3's connection class is
the one place where the address actually connected can be chosen and checked. Every request:
connect and read timeouts, redirects never followed (a 3xx is the answer), no proxies from
the environment, and the host resolved once, every address it resolves to checked, the socket
connected to one of those addresses (no second lookup a rebinding DNS server could answer
differently) and the peer address checked again once connected. Loopback, private,
link-local, shared, multicast, reserved and unspecified addresses are refused unless the
destination allows private addresses.
"""

import functools
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from identity.live.addresses import AddressError, UnknownHost, address_problem, resolve

USER_AGENT = "faceapp-webhooks/1"
SCHEMES = ("http", "https")
MAX_ERROR_BYTES = 2000


class Refused(Exception):
    """The request was not sent: its address or URL is not allowed."""


class _NoSuchHost(OSError):
    """The URL's host name resolves to nothing (an OSError: urllib3 wraps it like a failed connect)."""


# What an error on the way to the receiver means and what to check, in a user's words (the
# exception's own text, "[Errno 111] Connection refused", is an engineer's).
UNKNOWN_HOST = "no server has that name: check the spelling of the address in the URL"
REFUSED = "nothing answers at that address and port: check the URL, and that the receiver is running"
TIMED_OUT = "the receiver did not answer in time: check that it is running and not overloaded"
TLS = "the secure connection (https) failed: check the receiver's certificate, or whether its URL starts with http"
HUNG_UP = "the receiver hung up without answering: check that the URL is the receiver's"
UNREACHABLE = "the receiver cannot be reached: check the URL, and that the receiver is on the network"


@dataclass(frozen=True)
class Answer:
    status_code: int | None  # None: no answer (the error says why)
    error: str  # "" when the receiver answered 2xx
    latency_ms: float
    retry: bool  # worth another attempt later


def _resolve(host: str, port: int, allow_private: bool) -> list[tuple]:
    try:
        found = resolve(host, port)
    except UnknownHost as exc:
        raise _NoSuchHost(str(exc)) from None
    except AddressError as exc:
        raise OSError(str(exc)) from None
    if not allow_private:
        for *_, sockaddr in found:
            if problem := address_problem(sockaddr[0]):
                raise Refused(f"not sent: {host} is on a private network ({problem}); tick \"allow private "
                              "addresses\" on this webhook to send there")
    return found


def _guarded_new_conn(self) -> socket.socket:
    """urllib3's connect, to an address resolved and checked here (see the module docstring)."""
    last_error: OSError | None = None
    for family, kind, proto, _, sockaddr in _resolve(self._dns_host, self.port, self.allow_private):
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(self.timeout if isinstance(self.timeout, (int, float)) else None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            last_error = exc
            continue
        peer = sock.getpeername()[0]
        if not self.allow_private and (problem := address_problem(peer)):
            sock.close()
            raise Refused(f"not sent: the connection led to a private network ({problem}); tick \"allow "
                          "private addresses\" on this webhook to send there")
        return sock
    raise last_error or OSError(f"no address to connect to for {self._dns_host}")


@functools.cache
def _pool_classes(allow_private: bool) -> dict:
    methods = {"allow_private": allow_private, "_new_conn": _guarded_new_conn}
    http = type("GuardedHTTPConnection", (HTTPConnection,), methods)
    https = type("GuardedHTTPSConnection", (HTTPSConnection,), methods)
    return {"http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https})}


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, *, allow_private: bool):
        self.allow_private = allow_private
        super().__init__(max_retries=0)  # retries are the delivery's, with backoff

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.allow_private)


def _session(allow_private: bool) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # an HTTP(S)_PROXY from the environment would connect for us, unchecked
    adapter = _GuardedAdapter(allow_private=allow_private)
    for scheme in SCHEMES:
        session.mount(f"{scheme}://", adapter)
    return session


def _retryable(status: int) -> bool:
    return status >= 500 or status in (408, 425, 429)


def post(*, url: str, body: bytes, headers: dict, allow_private: bool, connect_timeout: float,
         read_timeout: float) -> Answer:
    """POST `body` once; what came of it (never raises for the network's or the receiver's faults)."""
    started = time.monotonic()

    def answer(status, error, retry) -> Answer:
        return Answer(status, error, round((time.monotonic() - started) * 1000, 1), retry)

    if urlsplit(url).scheme.lower() not in SCHEMES:
        return answer(None, "not sent: the URL must start with http:// or https://", False)
    try:
        with _session(allow_private) as session:
            response = session.post(url, data=body, timeout=(connect_timeout, read_timeout), allow_redirects=False,
                                    stream=True,  # of a body, only the first bytes are read
                                    headers={"User-Agent": USER_AGENT, "Content-Type": "application/json", **headers})
            with response:
                text = response.raw.read(MAX_ERROR_BYTES, decode_content=True).decode("utf-8", "replace")
    except Refused as exc:
        return answer(None, str(exc), False)
    except (requests.Timeout, urllib3.exceptions.TimeoutError):
        return answer(None, TIMED_OUT, True)
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        return answer(None, _network_words(exc), True)
    status = response.status_code
    if 200 <= status < 300:
        return answer(status, "", False)
    if 300 <= status < 400:
        location = response.headers.get("Location", "")
        return answer(status, f"the receiver sends elsewhere ({location[:300] or 'nowhere'}, HTTP {status}), "
                              "which is not followed: give the webhook the address it sends to", False)
    said = f": {text[:200].strip()}" if text.strip() else ""
    return answer(status, f"the receiver answered with an error (HTTP {status}{said})", _retryable(status))


def _network_words(exc: BaseException) -> str:
    """What an error on the way to the receiver means (its causes looked through, innermost last)."""
    causes = []
    while exc is not None and exc not in causes:
        causes.append(exc)
        exc = exc.__cause__ or exc.__context__
    for cause in reversed(causes):  # the innermost names what happened
        if isinstance(cause, _NoSuchHost):
            return UNKNOWN_HOST
        if isinstance(cause, ConnectionRefusedError):
            return REFUSED
        if isinstance(cause, (ssl.SSLError, requests.exceptions.SSLError)):
            return TLS
        if isinstance(cause, (ConnectionResetError, BrokenPipeError, urllib3.exceptions.ProtocolError)):
            return HUNG_UP
    return UNREACHABLE
