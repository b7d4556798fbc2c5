"""What stands in front of Django: request bodies capped while they arrive, websocket origins
compared exactly, login (and password) views throttled, a password someone else set changed
before anything else, and the security headers every page carries.

Request bodies. Daphne (Twisted) receives a whole request body before the ASGI application
runs, then queues all of it in memory at once, so a cap in ASGI alone comes too late there:
`daphne_body_cap_install` refuses an oversized body inside Daphne as it arrives (from its
Content-Length, or once a chunked body passes the cap), and `BodySizeLimit` does the same for
ASGI servers that stream bodies to the application. Both answer 413 and read nothing more.
"""

import functools
import logging
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http.request import split_domain_port, validate_host
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.deprecation import MiddlewareMixin

from faceapp.sizes import size_text
from identity.services.accounts import password_change_due, user_time_zone
from identity.services.login_throttle import login_failure_record, login_retry_after

logger = logging.getLogger(__name__)

# ---------- request bodies ----------


def body_cap_bytes() -> int:
    return int(settings.FACEAPP_MAX_REQUEST_BYTES)


def _too_large_text(limit: int) -> bytes:
    return f"Request body too large: the limit is {size_text(limit)}.\n".encode()


class BodyTooLarge(Exception):
    """The streamed body passed the cap (raised from the application's receive)."""


def _declared_length(headers: list[tuple[bytes, bytes]]) -> int:
    lengths = [value for name, value in headers if name == b"content-length"]
    return max((int(value) for value in lengths if value.strip().isdigit()), default=0)


async def _send_413(send, limit: int) -> None:
    body = _too_large_text(limit)
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]  # fmt: skip
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    """ASGI: 413 for an http request whose body is over the cap: from its Content-Length before
    the application runs, else as soon as the streamed body passes the cap (nothing more is read)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = body_cap_bytes()
        if _declared_length(scope.get("headers", [])) > limit:
            return await _send_413(send, limit)
        received, responded = 0, False

        async def capped_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge
            return message

        async def watched_send(message):
            nonlocal responded
            responded = responded or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, capped_receive, watched_send)
        except BodyTooLarge:
            if not responded:
                await _send_413(send, limit)


def _daphne_refuse(request) -> None:
    """Answer 413 on the raw connection and close it (as Twisted answers a bad request)."""
    limit = body_cap_bytes()
    request.body_refused = True
    peer = request.channel.transport.getPeer()
    logger.warning("refused a request body over %s from %s", size_text(limit), getattr(peer, "host", peer))
    body = _too_large_text(limit)
    head = (b"HTTP/1.1 413 Content Too Large\r\nContent-Type: text/plain; charset=utf-8\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body))  # fmt: skip
    request.channel.transport.write(head + body)
    request.channel.loseConnection()  # stops reading: the rest of the body is never received


def daphne_body_cap_install() -> None:
    """Make Daphne's request refuse an oversized body while it arrives (see the module docstring)."""
    try:
        from daphne.http_protocol import WebRequest  # only under Daphne
    except ImportError:  # another ASGI server: BodySizeLimit covers it
        return
    if getattr(WebRequest, "body_cap_installed", False):
        return
    got_length, content_chunk, request_received = (
        WebRequest.gotLength, WebRequest.handleContentChunk, WebRequest.requestReceived,
    )  # fmt: skip

    def capped_got_length(request, length):
        request.body_received, request.body_refused = 0, False
        if length is None or length <= body_cap_bytes():
            return got_length(request, length)
        got_length(request, 0)  # an empty in-memory body: nothing of it is kept
        request.requestHeaders.removeHeader(b"Expect")  # no "100 Continue" after the 413
        _daphne_refuse(request)

    def capped_content_chunk(request, data):
        if request.body_refused:
            return
        request.body_received += len(data)
        if request.body_received > body_cap_bytes():
            return _daphne_refuse(request)
        content_chunk(request, data)

    def capped_request_received(request, command, path, version):
        if not request.body_refused:  # a refused request never reaches the application
            request_received(request, command, path, version)

    WebRequest.gotLength = capped_got_length
    WebRequest.handleContentChunk = capped_content_chunk
    WebRequest.requestReceived = capped_request_received
    WebRequest.body_cap_installed = True


# ---------- websocket origins ----------

DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) origin, the port filled in; None if it is not one."""
    try:
        parts = urlsplit(url.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _scheme(scope) -> str:
    """The page's scheme as Django's request.is_secure() sees it (behind a proxy: its header)."""
    proxy_header = settings.SECURE_PROXY_SSL_HEADER
    if proxy_header:
        name = proxy_header[0].removeprefix("HTTP_").replace("_", "-").lower().encode()
        forwarded = _header(scope, name)
        if forwarded is not None:
            return "https" if forwarded.split(",")[0].strip() == proxy_header[1] else "http"
    return "https" if scope.get("scheme") in ("wss", "https") else "http"


def _own_origin(scope) -> tuple[str, str, int] | None:
    """This request's own origin: its scheme and Host, if the host is one we serve."""
    host = _header(scope, b"host") or ""
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    return _origin(f"{_scheme(scope)}://{host}")


def _trusted(origin: tuple[str, str, int], pattern: str) -> bool:
    """One CSRF_TRUSTED_ORIGINS entry, read as Django's CSRF check reads it (`*.` a subdomain)."""
    scheme, host, port = origin
    wildcard = "://*." in pattern
    trusted = _origin(pattern.replace("://*.", "://", 1))
    if trusted is None or trusted[0] != scheme or trusted[2] != port:
        return False
    return host == trusted[1] or (wildcard and host.endswith("." + trusted[1]))


def websocket_origin_allowed(scope) -> bool:
    """The browser's Origin is exactly this site's (scheme, host and port) or a trusted one."""
    origin = _origin(_header(scope, b"origin") or "")
    if origin is None:
        return False
    if origin == _own_origin(scope):
        return True
    return any(_trusted(origin, pattern) for pattern in settings.CSRF_TRUSTED_ORIGINS)


class WebsocketOriginCheck:
    """ASGI: a websocket from another origin (another port of the same host included) is refused
    before any consumer runs, so a foreign page cannot ride a signed-in user's cookie."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not websocket_origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.app(scope, receive, send)


# ---------- login ----------


def throttled_like_sign_in(*, account, failed, methods=("POST",)):
    """View decorator: the view's `methods` are refused with 429 (before the view runs, so before any
    password is checked) while the account, `account(request)` (None: none is named), or the client
    address has too many recent failures; a response for which `failed(response)` is true counts one.
    Sign-in, password change and password reset share these counts (identity.services.login_throttle)."""

    def decorator(view):
        @functools.wraps(view)
        def throttled(request, *args, **kwargs):
            if request.method not in methods:
                return view(request, *args, **kwargs)
            attempt = {"username": account(request), "address": request.META.get("REMOTE_ADDR", "")}
            if wait := login_retry_after(**attempt):
                response = render(request, "registration/login_throttled.html", {"minutes": -(-wait // 60)}, status=429)
                response["Retry-After"] = str(wait)
                return response
            response = view(request, *args, **kwargs)
            if failed(response):
                login_failure_record(**attempt)
            return response

        return throttled

    return decorator


def _posted_username(request) -> str:
    return request.POST.get("username", "")


def _sign_in_refused(response) -> bool:
    return response.status_code == 200  # a sign-in that does not redirect was refused by the form


# Both sign-in forms: failures counted per account and address, refused (429) past the limits.
login_throttled = throttled_like_sign_in(account=_posted_username, failed=_sign_in_refused)


# ---------- a password someone else set ----------


def _open_while_change_due() -> set[str]:
    return {reverse("password-change"), reverse("logout"), reverse("admin:logout")}


def password_change_due_middleware(get_response):
    """A signed-in user whose password someone else set (an admin creating them or giving them a new
    one) reaches only the password change page and sign-out until they choose their own: pages are
    sent there, the API answers 403. API tokens are not sessions: their calls pass untouched."""

    def middleware(request):
        if not (request.user.is_authenticated and password_change_due(request.user)):
            return get_response(request)
        if request.path in _open_while_change_due():
            return get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": "Choose your own password first (your password was set by an admin)."},
                                status=403)  # fmt: skip
        return redirect("password-change")

    return middleware


# ---------- security headers ----------

PERMISSIONS_POLICY = "camera=(self), microphone=(), geolocation=(), payment=(), usb=(), display-capture=()"


def content_security_policy(request) -> str:
    """Scripts and styles from our own static files only; sockets back to this host."""
    try:
        sockets = "'self' " + ("wss://" if request.is_secure() else "ws://") + request.get_host()
    except DisallowedHost:  # the 400 for a host we do not serve
        sockets = "'self'"
    # DRF's browsable API (its own templates) carries an inline <style>; no page of ours does.
    styles = "'self' 'unsafe-inline'" if request.path.startswith("/api/") else "'self'"
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        f"style-src {styles}",  # no style attribute in our pages: scripts place boxes through the CSSOM
        "img-src 'self' data: blob:",  # webcam captures are data: URLs
        "media-src 'self' blob:",
        f"connect-src {sockets}",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])  # fmt: skip


class SecurityHeadersMiddleware(MiddlewareMixin):
    """Every response Django makes (static files are served before it): CSP, Permissions-Policy,
    and no-store, since pages and media show names and faces."""

    def process_response(self, request, response):
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = content_security_policy(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cache-Control", "private, no-store")
        return response


def user_time_zone_middleware(get_response):
    """Each user's pages in the zone they chose in their profile, else in the site's."""

    def middleware(request):
        zone = user_time_zone(request.user) if request.user.is_authenticated else ""
        if zone:
            timezone.activate(ZoneInfo(zone))
        try:
            return get_response(request)
        finally:
            timezone.deactivate()

    return middleware
