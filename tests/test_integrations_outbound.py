"""Outbound webhook requests against server-side request forgery, to a real receiver on
127.0.0.1 through a real worker: loopback and private addresses refused unless the destination
allows them, host names checked by what they resolve to, redirects never followed."""

import pytest

from integrations import outbound, webhooks
from integrations.forms import DestinationForm
from tests import foreign_servers, live_data, streams
from tests.waiting import wait_until
from tests.webhook_receiver import destination_for

pytestmark = pytest.mark.django_db(transaction=True)


def _finished(delivery):
    delivery.refresh_from_db()
    return delivery if delivery.status != "pending" else None


@pytest.mark.parametrize("address, kind", [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.1.2.3", "private"), ("192.168.0.10", "private"),
    ("172.16.5.4", "private"), ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("0.0.0.0", "unspecified"), ("::ffff:127.0.0.1", "loopback"), ("100.64.0.1", "not a public"),
    ("224.0.0.1", "multicast"), ("fd00::1", "private"),
])
def test_it_names_what_is_wrong_with_a_non_public_address(address, kind):
    assert kind in outbound.address_problem(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700:4700::1111", "8.8.8.8"])
def test_it_lets_public_addresses_through(address):
    assert outbound.address_problem(address) is None


def test_it_refuses_a_loopback_receiver_unless_the_destination_allows_private_addresses(
        celery_worker, receiver):  # noqa: F811
    refused = destination_for(receiver, name="Strict", allow_private=False)

    delivery = webhooks.destination_test_send(destination=refused)

    wait_until(lambda: _finished(delivery), "the refusal")

    assert not receiver.requests
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, None)
    assert delivery.last_error == ('not sent: 127.0.0.1 is on a private network (127.0.0.1 is a loopback address); '
                                   'tick "allow private addresses" on this webhook to send there')

    allowed = destination_for(receiver, name="Lab", allow_private=True)
    delivery = webhooks.destination_test_send(destination=allowed)
    wait_until(lambda: _finished(delivery), "the allowed delivery")
    assert delivery.status == "delivered" and receiver.requests[0].verified


def test_it_checks_every_address_a_host_name_resolves_to(receiver):  # noqa: F811
    answer = outbound.post(url=f"http://localhost:{receiver.port}/hook", body=b"{}", headers={}, allow_private=False,
                           connect_timeout=5, read_timeout=5)

    assert answer.status_code is None and not answer.retry
    assert answer.error.startswith("not sent: localhost is on a private network (") and "loopback" in answer.error
    assert not receiver.requests


def test_it_does_not_follow_a_redirect(celery_worker, receiver):  # noqa: F811
    destination = destination_for(receiver)
    receiver.script = [("redirect", "/elsewhere")]

    delivery = webhooks.destination_test_send(destination=destination)

    wait_until(lambda: _finished(delivery), "the delivery")
    assert receiver.paths == ["/hook"]  # /elsewhere was never asked for
    assert (delivery.status, delivery.last_status_code) == ("failed", 302)
    assert delivery.last_error.startswith("the receiver sends elsewhere (") and "/elsewhere, HTTP 302), which is not followed" in delivery.last_error


def test_it_refuses_other_schemes_before_connecting():
    answer = outbound.post(url="file:///etc/passwd", body=b"{}", headers={}, allow_private=True,
                           connect_timeout=1, read_timeout=1)
    assert answer.error == "not sent: the URL must start with http:// or https://" and not answer.retry


def test_it_times_out_a_receiver_that_never_answers(receiver, settings):  # noqa: F811
    import socket

    with socket.socket() as silent:  # accepts the connection (the backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        answer = outbound.post(url=f"http://127.0.0.1:{port}/", body=b"{}", headers={}, allow_private=True,
                               connect_timeout=1, read_timeout=0.5)
    assert answer.status_code is None and answer.retry
    assert answer.error == "the receiver did not answer in time: check that it is running and not overloaded"


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "http://[::1]/x", "http://localhost/x", "http://10.0.0.2/x"])
def test_it_tells_the_admin_at_once_when_a_url_names_a_private_address(url):
    form = DestinationForm({"name": "x", "url": url, "event_types": ["visit.named"], "identity": "any"})
    assert not form.is_valid() and "allow private addresses" in form.errors["url"][0]

    allowed = DestinationForm({"name": "x", "url": url, "event_types": ["visit.named"], "identity": "any",
                               "allow_private": "on"})
    assert allowed.is_valid(), allowed.errors


def _post(url: str) -> outbound.Answer:
    return outbound.post(url=url, body=b"{}", headers={}, allow_private=True, connect_timeout=3, read_timeout=3)


class _HangUp(foreign_servers.TcpServer):
    def handle(self, connection) -> None:
        connection.recv(100)  # reads the request, closes without a word


def test_it_says_nothing_answers_at_a_closed_port_without_the_errno():
    answer = _post(f"http://127.0.0.1:{foreign_servers.closed_port()}/hook")
    assert answer.retry and answer.error == (
        "nothing answers at that address and port: check the URL, and that the receiver is running")


def test_it_says_no_server_has_a_name_no_dns_knows():
    answer = _post("http://no-such-receiver.invalid/hook")
    assert answer.error == "no server has that name: check the spelling of the address in the URL"


def test_it_says_the_secure_connection_failed_for_https_to_a_plain_http_server():
    with streams.MjpegServer([live_data.scene(None)]) as server:
        answer = _post(f"https://127.0.0.1:{server.port}/hook")
    assert answer.error == ("the secure connection (https) failed: check the receiver's certificate, "
                            "or whether its URL starts with http")


def test_it_says_the_receiver_hung_up_without_answering():
    with _HangUp() as server:
        answer = _post(f"http://127.0.0.1:{server.port}/hook")
    assert answer.error == "the receiver hung up without answering: check that the URL is the receiver's"


def test_it_says_the_receiver_answered_with_an_error_keeping_its_status():
    with streams.MjpegServer([live_data.scene(None)]) as server:
        answer = _post(f"http://127.0.0.1:{server.port}/hook")  # it answers POST with 501
    assert answer.status_code == 501 and answer.error.startswith("the receiver answered with an error (HTTP 501: ")
