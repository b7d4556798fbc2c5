"""The stack heals itself (issue 13, item 7 and part of 10): Redis/Valkey clients that give up
on a frozen server, a replaced worker's in-flight task recovered at once, dashboard sockets
that leave no member behind in their group however they close."""

import asyncio
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings

from faceapp.asgi import application
from faceapp.embedded_valkey import start_valkey
from faceapp.redis_client import redis_client
from identity.services.stack_roles import daphne_command
from identity.services.realtime import DASHBOARD_GROUP
from tests import celery_workers, faces_data
from tests.event_loops import run_scenario
from tests.streams import free_port
from tests.waiting import wait_until

SOCKETS = 300
DEADLINE = 120  # seconds: a deadline for slow machines, not a timing assertion
MANAGE = str(Path(settings.BASE_DIR) / "manage.py")

# One call per client, run in a process of the private data folder: the name of what it raised.
PROBE = """
import os
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from faceapp.celery import app
from faceapp.redis_client import redis_client

calls = {
    "django cache": lambda: cache.get("probe"),
    "redis_client": lambda: redis_client().ping(),
    "channel layer": lambda: async_to_sync(get_channel_layer().group_send)("dashboard", {"type": "probe"}),
    "celery broker": lambda: app.send_task("identity.tasks.purge_expired_task"),
}
try:
    calls[os.environ["PROBE_CLIENT"]]()
    print("PROBE answered")
except Exception as exc:
    print("PROBE raised", type(exc).__name__)
"""

USER = """
from django.contrib.auth.models import Group, User
from identity.services.accounts import api_token_create
user = User.objects.create_user(username="op")
user.groups.add(Group.objects.get_or_create(name="operator")[0])
print("TOKEN", api_token_create(user=user, name="heal")[1])
"""


def _manage(stack, *args: str, **env: str) -> str:
    done = subprocess.run([sys.executable, MANAGE, *args], cwd=settings.BASE_DIR, env={**stack.env, **env},
                          capture_output=True, text=True, timeout=DEADLINE)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def _printed(output: str, marker: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(marker)).split(" ", 1)[1]


@pytest.fixture
def private_stack(tmp_path):
    """A data folder of its own (SQLite, media, its own Valkey on a private socket, which the
    test freezes) and the environment of its processes: a 2 s Redis timeout."""
    data = tmp_path / "data"
    valkey = start_valkey(data / "valkey.sock", persist=False)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(FACEAPP_DATA_DIR=str(data), FACEAPP_REDIS_TIMEOUT="2", FACEAPP_API_WAIT_SECONDS="1")
    stack = SimpleNamespace(data=data, env=env, freeze=lambda: os.kill(valkey.pid, signal.SIGSTOP))
    yield stack
    os.kill(valkey.pid, signal.SIGCONT)
    valkey.kill()
    valkey.wait(30)


@pytest.mark.parametrize("client", ["django cache", "redis_client", "channel layer", "celery broker"])
def test_it_gives_up_on_a_frozen_valkey(client, private_stack):
    private_stack.freeze()  # for longer than the timeout: until the test ends
    output = _manage(private_stack, "shell", "-c", PROBE, PROBE_CLIENT=client)  # within the deadline

    assert _printed(output, "PROBE").startswith("raised"), output


def _post_photo(port: int, token: str) -> int:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n").encode() + faces_data.photo("lfw_person_a_1.jpg") + (
            f"\r\n--{boundary}--\r\n").encode()  # fmt: skip
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/recognize/", data=body, headers={
        "Authorization": f"Token {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(request, timeout=DEADLINE) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_it_answers_an_api_call_while_valkey_is_frozen(private_stack):
    _manage(private_stack, "migrate", "--verbosity", "0")
    token = _printed(_manage(private_stack, "shell", "-c", USER), "TOKEN")
    port = free_port()
    server = subprocess.Popen(daphne_command(host="127.0.0.1", port=port), cwd=settings.BASE_DIR,
                              env=private_stack.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_until(lambda: _alive(port), "the server to answer")
        private_stack.freeze()

        status = _post_photo(port, token)  # within the deadline: before, it waited on the broker forever
    finally:
        server.kill()
        server.wait(30)
    assert status == 202  # stored and pending: the stale sweep queues it once the broker is back


def _alive(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def _group_key(group: str) -> str:
    return f"{settings.CHANNEL_LAYERS['default']['CONFIG']['prefix']}:group:{group}"


def _dashboards(user, client, count: int) -> list[WebsocketCommunicator]:
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), (b"cookie", cookie.encode())]
    return [WebsocketCommunicator(application, "/ws/dashboard/", headers=headers) for _ in range(count)]


@pytest.mark.django_db(transaction=True)
def test_it_leaves_no_member_in_the_group_when_300_dashboards_close_at_once(client, viewer_user):
    key = _group_key(DASHBOARD_GROUP)
    redis_client().delete(key)
    witness, *sockets = _dashboards(viewer_user, client, SOCKETS + 1)

    async def scenario() -> tuple[int, set[bytes]]:
        opened = await asyncio.gather(*(socket.connect(timeout=DEADLINE) for socket in [witness, *sockets]))
        assert all(connected for connected, _ in opened)
        joined = await asyncio.to_thread(redis_client().zcard, key)
        # All at once, each given the communicator's default second to end (then cancelled, as
        # Daphne cancels an application that outlives its close timeout).
        await asyncio.gather(*(socket.disconnect() for socket in sockets))
        # The witness stays open (so the group key lives on): only it may be left.
        await asyncio.to_thread(wait_until, lambda: redis_client().zcard(key) == 1,
                                "every closed dashboard to leave its group", deadline=DEADLINE)
        members = await asyncio.to_thread(redis_client().zrange, key, 0, -1)
        await witness.disconnect()
        return joined, set(members)

    joined, members = run_scenario(scenario)
    assert joined == SOCKETS + 1
    assert len(members) == 1


@pytest.mark.django_db(transaction=True)
def test_it_requeues_at_once_the_task_of_a_worker_replaced_under_its_name(tmp_path, stalled_photo):
    with celery_workers.workers(tmp_path) as start:
        snapshot = stalled_photo()
        first = start("same")
        wait_until(lambda: celery_workers.processing(snapshot.pk), "the first worker to start the task")

        celery_workers.kill_group(first)  # mid-task: its message stays unacknowledged in Redis
        stalled_photo.release()
        start("same")  # the production visibility timeout (minutes): the deadline is shorter
        done = celery_workers.done_once(snapshot.pk)

    assert (done.attempts, done.face_count, done.logs.count()) == (2, celery_workers.GROUP_FACES, celery_workers.GROUP_FACES)
