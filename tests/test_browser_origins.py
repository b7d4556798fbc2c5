"""Cross-site websocket hijacking, in a real browser: a signed-in operator opens a page served
from another port of 127.0.0.1 (same host, so the browser sends the session cookie); its script
tries every websocket route (faceapp/asgi.py) and none opens or hears a thing. The same
script on the site's own origin opens every route."""

import contextlib
import functools
import http.server
import re
import threading

import pytest

from faceapp.asgi import websocket_urlpatterns
from tests import review_data
from tests.browser import ARTIFACTS, daphne_server, launch_chromium, log_in, require_chromium
from tests.streams import free_port

ROUTES = [str(pattern.pattern) for pattern in websocket_urlpatterns]
PROBE = """
async ({ base, paths }) => {
  const results = {};
  await Promise.all(paths.map((path) => new Promise((done) => {
    const result = results[path] = { opened: false, messages: 0, code: null };
    const socket = new WebSocket(base + path);
    socket.onopen = () => { result.opened = true; };
    socket.onmessage = () => { result.messages += 1; };
    socket.onclose = (event) => { result.code = event.code; done(); };
    setTimeout(() => { socket.close(); done(); }, 3000);  // still open after 3 s: it was let in
  })));
  document.body.textContent = JSON.stringify(results);
  return results;
}
"""


@contextlib.contextmanager
def _foreign_site(folder):
    """A plain web server on another port: the attacker's page."""
    (folder / "attack.html").write_text("<!doctype html><title>a page elsewhere</title><body>waiting</body>")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.mark.django_db(transaction=True)
def test_it_lets_no_page_on_another_port_use_a_signed_in_operators_sockets(operator_user, tmp_path, monkeypatch):
    require_chromium()
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ids = review_data.websocket_route_ids()
    paths = ["/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), route) for route in ROUTES]
    ARTIFACTS.mkdir(exist_ok=True)
    with daphne_server(tmp_path) as (port, _), _foreign_site(tmp_path) as foreign, sync_playwright() as playwright:
        site = f"http://127.0.0.1:{port}"
        browser = launch_chromium(playwright)
        page = browser.new_context().new_page()
        log_in(page, site, "operator", "pw-operator")

        page.goto(f"{foreign}/attack.html")
        from_elsewhere = page.evaluate(PROBE, {"base": f"ws://127.0.0.1:{port}", "paths": paths})
        page.screenshot(path=str(ARTIFACTS / "origins_foreign_page.png"))

        page.goto(f"{site}/")
        from_the_site = page.evaluate(PROBE, {"base": f"ws://127.0.0.1:{port}", "paths": paths})
        browser.close()

    assert sorted(from_elsewhere) == sorted(paths) == sorted(from_the_site)
    for path in paths:
        refused = from_elsewhere[path]
        assert refused["messages"] == 0 and (not refused["opened"] or refused["code"] == 4403), (path, refused)
        assert from_the_site[path]["opened"] and from_the_site[path]["code"] in (None, 1005, 1000), (path, from_the_site[path])
