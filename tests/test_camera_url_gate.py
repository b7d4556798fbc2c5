"""The camera URL gate (identity/live/source_url.py), property-based (hypothesis): URLs with a
control character, a space or any character outside RFC 3986, or an odd scheme, never pass;
userinfo never reaches the address; and what passes is read the same by Python's parser and by
FFmpeg, whose reading is taken from what it actually sends to a listener on 127.0.0.1 (its request
line, Host header and Basic credentials), so that no byte of a URL can become a second line."""

import base64
import socket
import threading
from urllib.parse import quote, unquote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from identity.live.source_url import KIND_SCHEMES, SourceUrlError, source_join, source_split
from identity.live.sources import AV_PROTOCOLS

RFC3986 = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%")
PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
TEXT = st.text(st.one_of(PRINTABLE, st.characters(min_codepoint=0xA0, max_codepoint=0x2FFF)), max_size=12)
USERINFO_TEXT = st.text(st.one_of(PRINTABLE, st.characters(min_codepoint=0xA0, max_codepoint=0x2FFF)), max_size=6)
SUB_DELIMS_PATH = "!$&'()*+,;=:@"

hosts = st.one_of(
    st.sampled_from(["127.0.0.1", "localhost", "10.0.0.7", "[::1]", "[2001:db8::5]", "cam-1.lan"]),
    st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?(?:\.[a-z0-9]{1,8}){0,2}", fullmatch=True),
)
ports = st.one_of(st.none(), st.integers(1, 65535))
userinfos = st.one_of(st.none(), st.tuples(USERINFO_TEXT, st.one_of(st.none(), USERINFO_TEXT)))
paths = st.lists(TEXT.map(lambda t: quote(t, safe=SUB_DELIMS_PATH)), max_size=4).map(lambda s: "/" + "/".join(s))
queries = st.one_of(st.none(), TEXT.map(lambda t: quote(t, safe=SUB_DELIMS_PATH + "/?")))


def _userinfo_text(userinfo) -> str:
    if userinfo is None:
        return ""
    user, password = userinfo
    return quote(user, safe="") + (f":{quote(password, safe='')}" if password is not None else "") + "@"


@st.composite
def good_urls(draw, kinds=tuple(KIND_SCHEMES), host=hosts, port=ports, tls=True):
    kind = draw(st.sampled_from(kinds))
    scheme = draw(st.sampled_from(KIND_SCHEMES[kind] if tls else KIND_SCHEMES[kind][:1]))
    scheme = draw(st.sampled_from([scheme, scheme.upper()]))
    port_text = "" if (p := draw(port)) is None else f":{p}"
    query = draw(queries)
    url = f"{scheme}://{_userinfo_text(draw(userinfos))}{draw(host)}{port_text}{draw(paths)}"
    return kind, url + ("" if query is None else "?" + query)


# Characters no URL may carry as they are: C0, DEL, C1, every kind of space, and what RFC 3986 leaves out.
BAD_CHARACTERS = st.one_of(
    st.characters(max_codepoint=0x1F), st.just("\x7f"), st.characters(min_codepoint=0x80, max_codepoint=0x9F),
    st.sampled_from([" ", "\u00a0", "\u2028", "\u3000", "\ufeff"]), st.sampled_from(list('"<>\\^`{|}')),
    st.characters(min_codepoint=0xA0).filter(lambda c: c not in RFC3986),
)


@given(good_urls(), st.data())
@settings(max_examples=400, deadline=None)
def test_it_never_passes_a_control_character_a_space_or_a_character_outside_rfc_3986(case, data):
    kind, url = case
    at = data.draw(st.integers(0, len(url)))
    bad = url[:at] + data.draw(BAD_CHARACTERS) + url[at:]

    with pytest.raises(SourceUrlError) as error:
        source_split(bad, kind=kind)
    assert url.split("://", 1)[1][:12] not in str(error.value)  # the refusal never quotes the URL


def test_it_refuses_what_ffmpeg_would_cut_short():
    with pytest.raises(SourceUrlError, match="longer than 127"):
        source_split(f"rtsp://admin:{'p' * 122}@127.0.0.1/cam", kind="rtsp")
    with pytest.raises(SourceUrlError, match="longer than 1000"):
        source_split(f"rtsp://127.0.0.1/{'c' * 1000}", kind="rtsp")
    assert source_split(f"rtsp://admin:{'p' * 121}@127.0.0.1/{'c' * 999}", kind="rtsp")


@given(good_urls(), st.from_regex(r"[A-Za-z][A-Za-z0-9+.-]{0,8}", fullmatch=True))
@settings(max_examples=300, deadline=None)
def test_it_never_passes_a_scheme_not_of_the_kind(case, scheme):
    kind, url = case
    if scheme.lower() in KIND_SCHEMES[kind]:
        return
    with pytest.raises(SourceUrlError):
        source_split(scheme + url[url.index("://"):], kind=kind)


@given(good_urls())
@settings(max_examples=500, deadline=None)
def test_it_keeps_userinfo_out_of_the_address_and_python_reads_the_joined_url_as_the_gate_does(case):
    kind, url = case
    address, secret = source_split(url, kind=kind)
    joined = source_join(address, secret)
    python = urlsplit(joined)

    assert set(address.text) <= RFC3986 and "@" not in urlsplit(address.text).netloc
    assert secret.userinfo == urlsplit(url).netloc.rpartition("@")[0]  # as typed, escapes kept
    assert (python.scheme, python.hostname, python.port) == (address.scheme, address.host, address.port)
    typed = urlsplit(url)  # a bare "@" (no user, no password) is no credentials: left out
    assert (python.username or None, python.password) == (typed.username or None, typed.password)
    assert python.path + (f"?{python.query}" if "?" in joined else "") == url.split("/", 3)[3].join(["/", ""])
    assert source_split(joined, kind=kind) == (address, secret)  # the gate reads its own output the same


class RecordingServer:
    """A listener on 127.0.0.1 that records each request head FFmpeg sends and answers the first
    with a Basic challenge (so that FFmpeg sends its credentials), the others with 404."""

    def __init__(self, protocol: str):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port, self.protocol, self.heads, self.conns = self.sock.getsockname()[1], protocol, [], []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            while True:
                conn, _ = self.sock.accept()
                self.conns.append(conn)
                threading.Thread(target=self._connection, args=(conn,), daemon=True).start()
        except OSError:
            pass  # closed

    def _connection(self, conn) -> None:
        with conn:
            try:
                self._requests(conn)
            except OSError:
                pass

    def _requests(self, conn) -> None:
        conn.settimeout(5)
        buffered = b""
        while True:
            while b"\r\n\r\n" not in buffered:
                if not (chunk := conn.recv(65536)):
                    return
                buffered += chunk
            head, buffered = buffered.split(b"\r\n\r\n", 1)
            self.heads.append(head)
            cseq = next((line.split(b":", 1)[1].strip().decode() for line in head.split(b"\r\n")
                         if line.lower().startswith(b"cseq:")), "1")
            first = len(self.heads) == 1  # (FFmpeg sends one request at a time)
            answer = f"{self.protocol} 401 Unauthorized\r\n" if first else f"{self.protocol} 404 Not Found\r\n"
            if self.protocol == "RTSP/1.0":
                answer += f"CSeq: {cseq}\r\n"
            if first:
                answer += 'WWW-Authenticate: Basic realm="cam"\r\n'
            if self.protocol == "HTTP/1.1":  # FFmpeg asked for "Connection: close": its retry comes on a new one
                answer += "Connection: close\r\n"
            conn.sendall((answer + "Content-Length: 0\r\n\r\n").encode())
            if self.protocol == "HTTP/1.1" or not first:
                return  # closed: FFmpeg gives up at once rather than wait for more

    def close(self) -> None:
        for sock in (self.sock, *self.conns):  # a shutdown wakes a blocked accept() or recv(); a close does not
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.sock.close()
        self.thread.join(10)


def _ffmpeg_heads(kind: str, url: str) -> list[bytes]:
    """The request heads FFmpeg sends when it opens `url` ("PORT": the listener's) as this kind."""
    import av

    server = RecordingServer("RTSP/1.0" if kind == "rtsp" else "HTTP/1.1")
    address, secret = source_split(url.replace("PORT", str(server.port)), kind=kind)
    options = {"protocol_whitelist": AV_PROTOCOLS[kind], **({"rtsp_transport": "tcp"} if kind == "rtsp" else {})}
    try:
        av.open(source_join(address, secret), format="rtsp" if kind == "rtsp" else "mpjpeg", options=options,
                timeout=(3, 3)).close()
    except (av.FFmpegError, OSError):
        pass  # the listener answers with errors: what FFmpeg sent is the point
    server.close()
    return server.heads


def _head(raw: bytes) -> tuple[list[str], dict]:
    lines = raw.decode("ascii").split("\r\n")
    return lines[0].split(" "), dict(line.split(": ", 1) for line in lines[1:])


# Without TLS (rtsps, https), so that the listener reads what FFmpeg sends.
@given(good_urls(kinds=("rtsp", "mjpeg"), host=st.just("127.0.0.1"), port=st.just("PORT"), tls=False))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_ffmpeg_sends_exactly_the_address_and_credentials_python_reads(case):
    kind, url = case
    heads = _ffmpeg_heads(kind, url)
    python = urlsplit(url.replace("PORT", "1"))
    path_query = python.path + (f"?{python.query}" if "?" in url else "")

    (method, target, protocol), headers = _head(heads[0])
    if kind == "rtsp":  # OPTIONS rtsp://127.0.0.1:PORT/path?query RTSP/1.0, without userinfo
        assert (method, protocol) == ("OPTIONS", "RTSP/1.0")
        sent = urlsplit(target)
        assert (sent.scheme, sent.hostname, sent.username) == (python.scheme.lower(), "127.0.0.1", None)
        assert sent.path + (f"?{sent.query}" if "?" in target else "") == path_query
    else:  # GET /path?query HTTP/1.1, Host: 127.0.0.1:PORT
        assert (method, target, protocol) == ("GET", path_query, "HTTP/1.1")
        assert headers["Host"].split(":")[0] == "127.0.0.1"
    assert set(headers) <= {"CSeq", "User-Agent", "Accept", "Range", "Connection", "Host", "Icy-MetaData"}
    if python.password is not None:  # the answer to the challenge: user:password, escapes decoded as Python does
        _, retry = _head(heads[1])  # (a user without a password: FFmpeg's RTSP sends no credentials)
        sent = base64.b64decode(retry["Authorization"].removeprefix("Basic ")).decode()
        assert sent == f"{unquote(python.username)}:{unquote(python.password or '')}"
