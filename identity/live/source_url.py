"""The one gate for a camera source's URL (the camera form, the readers, test connection), and
its split into an address and credentials. Plain Python, no Django.

A URL passes only when it is RFC 3986 text through and through, with nothing two parsers could
read differently: ASCII letters, digits and -._~:/?[]@!$&'()*+,;=% (a % always starting a %XX
escape), no control character even escaped, no space, no fragment; a scheme of its kind; a
host that is a DNS name or an IP literal; a port of digits. FFmpeg sends the path as it is in
its request line, so a raw CR/LF there would be a second command to whatever listens.

The address (scheme, host, port, path and query without secrets) is what the app shows, logs
and sends; the credentials (the userinfo, and the path and query as typed when they held a
secret) are kept apart and joined back only to open the source. Errors never quote the URL.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from urllib.parse import unquote

KIND_SCHEMES = {"rtsp": ("rtsp", "rtsps"), "mjpeg": ("http", "https"), "snapshot": ("http", "https")}
MAX_URL_LENGTH = 2000
# FFmpeg's RTSP client keeps these in fixed buffers (auth[128], path[1024]) and cuts what is longer.
MAX_USERINFO_LENGTH = 127
MAX_TARGET_LENGTH = 1000
# Parameter names whose value is a secret, in a query (?token=...) or a DVR's path (/user=..._password=...).
SECRET_NAMES = frozenset({
    "user", "username", "usr", "login", "password", "passwd", "pass", "pwd", "psw", "token", "access_token",
    "auth", "auth_token", "authorization", "api_key", "apikey", "key", "secret", "signature", "sig",
})

_URL_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})|%(?:[01][0-9A-Fa-f]|7[Ff])")  # a bad escape, or an escaped control
_SHAPE = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?]*)(?P<path>/[^?]*)?(?P<query>\?.*)?",
                    re.DOTALL)
_USERINFO = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:%]*")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_PORT = re.compile(r"[0-9]{1,5}")
# Inside a path segment, a DVR's items are separated by ; & or by _ before the next name=.
_PATH_ITEMS = re.compile(r"([;&]|_(?=[A-Za-z][A-Za-z0-9]*=))")


class SourceUrlError(ValueError):
    """Why a URL is refused, in words that never quote it (it may hold a password)."""


@dataclass(frozen=True)
class SourceAddress:
    """Where a source is, without its secrets: what the app shows, logs and sends."""

    scheme: str  # lower case
    host: str  # lower case; an IPv6 address without its brackets
    port: int | None
    target: str  # the path and query, secret parameters left out; at least "/"

    @property
    def text(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.scheme}://{host}{port}{self.target}"


@dataclass(frozen=True)
class SourceSecret:
    """A source's credentials, as typed (percent-escapes kept): joined back only to open it."""

    userinfo: str = ""  # "user:password", or ""
    target: str = ""  # the path and query with their secrets, when they held any; "" otherwise

    def __bool__(self) -> bool:
        return bool(self.userinfo or self.target)

    def dumps(self) -> str:
        return json.dumps({"userinfo": self.userinfo, "target": self.target}) if self else ""

    @classmethod
    def loads(cls, text: str) -> SourceSecret:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(userinfo=str(data.get("userinfo", "")), target=str(data.get("target", "")))


def _characters_check(url: str) -> None:
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in url):
        raise SourceUrlError("the URL holds a control character (a line break, a tab…): it cannot be used")
    if any(c.isspace() for c in url):
        raise SourceUrlError("the URL holds a space: write a space in a user name or password as %20")
    if not _URL_CHARACTERS.fullmatch(url):
        raise SourceUrlError("the URL holds a character a URL cannot carry as it is: percent-encode it "
                             "(a quote is %22, a space %20)")
    if _ESCAPE.search(url):
        raise SourceUrlError("the URL holds a % that is not a %XX escape (write % itself as %25), "
                             "or an escaped control character")
    if "#" in url:
        raise SourceUrlError("the URL holds a # (a fragment): a camera URL has none (write # as %23)")


def _host_parse(text: str) -> str:
    text = text.lower()
    if text.startswith("["):
        if "%" in text or not text.endswith("]"):  # a zone id (%25eth0) names a link, not a host
            raise SourceUrlError("the URL's host is not a valid IPv6 address")
        try:
            return str(ipaddress.IPv6Address(text[1:-1]))
        except ValueError:
            raise SourceUrlError("the URL's host is not a valid IPv6 address") from None
    if len(text) > 253 or not all(_LABEL.fullmatch(label) for label in text.split(".")):
        raise SourceUrlError("the URL's host must be a host name or an IP address")
    return text


def _authority_parse(authority: str) -> tuple[str, str, int | None]:
    userinfo, at, hostport = authority.rpartition("@")
    if at and not _USERINFO.fullmatch(userinfo):
        raise SourceUrlError("the user name or password holds @, [ or ]: write @ as %40")
    end = (hostport.find("]") + 1 or len(hostport)) if hostport.startswith("[") else 0  # IPv6 holds colons
    host, colon, port = hostport[:end] + hostport[end:].partition(":")[0], *hostport[end:].partition(":")[1:]
    if not host:
        raise SourceUrlError("the URL has no host")
    if colon and not (_PORT.fullmatch(port) and 0 < int(port) < 65536):
        raise SourceUrlError("the URL's port must be a number from 1 to 65535")
    return userinfo, _host_parse(host), int(port) if colon else None


def _secret_name(item: str) -> bool:
    name, equals, _ = item.partition("=")
    return bool(equals) and unquote(name).lower() in SECRET_NAMES


def _without_secrets(parts: list[str]) -> list[str]:
    """Items and their separators ([item, sep, item, …]) less the secret items (and one separator each)."""
    kept: list[str] = []
    for index in range(0, len(parts), 2):
        if _secret_name(parts[index]):
            continue
        if kept:
            kept.append(parts[index - 1])  # the separator before the item kept
        kept.append(parts[index])
    return kept


def _target_split(path: str, query: str) -> tuple[str, bool]:
    """(the path and query without their secret items, whether there were any)."""
    segments = ["".join(_without_secrets(_PATH_ITEMS.split(segment))) for segment in path.split("/")]
    items = [item for item in query[1:].split("&")] if query else []
    kept = [item for item in items if not _secret_name(item)]
    address = "/".join(segments) or "/"
    if kept:
        address += "?" + "&".join(kept)
    return address, address != (path or "/") + query


def source_split(url: str, *, kind: str) -> tuple[SourceAddress, SourceSecret]:
    """The address and the credentials of a `kind` source's URL; SourceUrlError when refused."""
    schemes = KIND_SCHEMES.get(kind)
    if schemes is None:
        raise SourceUrlError(f"a {kind} source has no URL")
    if not isinstance(url, str) or not url:
        raise SourceUrlError("the URL is empty")
    if len(url) > MAX_URL_LENGTH:
        raise SourceUrlError(f"the URL is longer than {MAX_URL_LENGTH} characters")
    _characters_check(url)
    shape = _SHAPE.fullmatch(url)
    if shape is None:
        raise SourceUrlError(f"the URL must look like {schemes[0]}://host[:port]/path")
    scheme = shape["scheme"].lower()
    if scheme not in schemes:
        raise SourceUrlError(f"a {kind} URL starts with " + " or ".join(f"{s}://" for s in schemes))
    userinfo, host, port = _authority_parse(shape["authority"])
    path, query = shape["path"] or "", shape["query"] or ""
    if len(userinfo) > MAX_USERINFO_LENGTH:
        raise SourceUrlError(f"the user name and password are longer than {MAX_USERINFO_LENGTH} characters together")
    if len(path + query) > MAX_TARGET_LENGTH:
        raise SourceUrlError(f"the URL's path and query are longer than {MAX_TARGET_LENGTH} characters")
    if "[" in path + query or "]" in path + query:
        raise SourceUrlError("the URL's path holds [ or ]: write them as %5B and %5D")
    target, had_secrets = _target_split(path, query)
    secret = SourceSecret(userinfo=userinfo, target=(path or "/") + query if had_secrets else "")
    return SourceAddress(scheme=scheme, host=host, port=port, target=target), secret


def address_shown(url: str, *, kind: str) -> str:
    """What the app shows of a stored source: its address through the gate (a file: its path)."""
    if kind not in KIND_SCHEMES:
        return url
    try:
        return source_split(url, kind=kind)[0].text
    except SourceUrlError:
        return "(a refused URL: enter it again)"


def source_join(address: SourceAddress, secret: SourceSecret) -> str:
    """The URL to open: the address with its credentials put back."""
    host = f"[{address.host}]" if ":" in address.host else address.host
    port = f":{address.port}" if address.port is not None else ""
    userinfo = f"{secret.userinfo}@" if secret.userinfo else ""
    return f"{address.scheme}://{userinfo}{host}{port}{secret.target or address.target}"
