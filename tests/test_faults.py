"""Faults, for real: a worker killed mid-task (whole, or only its pool child), a Redis restart
under an open dashboard, and a snapshot that kills every worker that takes it.

The workers here are real `celery worker --pool prefork` processes on the test database and
the session's broker; the Redis restart kills and restarts the session's embedded Valkey.
"""

import asyncio
import datetime as dt
import os
import signal

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.files.base import ContentFile

from faceapp.asgi import application
from faceapp.redis_client import redis_client
from identity.models import MatchLog, Snapshot
from identity.services import recognition
from tests import celery_workers, faces_data
from tests.event_loops import run_scenario
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

DEADLINE = 120  # seconds: a deadline for slow machines, not a timing assertion




def test_it_processes_the_snapshot_of_a_sigkilled_worker_once_a_worker_is_back(tmp_path, stalled_photo):
    with celery_workers.workers(tmp_path) as start:
        snapshot = stalled_photo()
        first = start("first")
        wait_until(lambda: celery_workers.processing(snapshot.pk), "the first worker to start the task")

        celery_workers.kill_group(first)  # the worker and its pool child, mid-task
        stalled_photo.release()
        snapshot.refresh_from_db()
        assert (snapshot.status, snapshot.attempts, snapshot.logs.count()) == (Snapshot.PROCESSING, 1, 0)
        # Not lost: still held for the dead worker, unacknowledged.
        assert redis_client().hlen(celery_workers.UNACKED) == 1

        # A live worker puts it back in the queue once it is older than the visibility timeout
        # (at its start and on a periodic sweep); short here so the test need not wait 6 minutes.
        start("second", FACEAPP_BROKER_VISIBILITY_TIMEOUT="2")
        done = celery_workers.done_once(snapshot.pk)

    assert (done.attempts, done.error, done.face_count) == (2, "", celery_workers.GROUP_FACES)
    logs = MatchLog.objects.filter(snapshot=done)
    assert sorted(logs.values_list("face_index", flat=True)) == list(range(celery_workers.GROUP_FACES))  # no duplicate rows


def test_it_runs_the_task_again_when_only_the_pool_child_is_killed(tmp_path, stalled_photo):
    with celery_workers.workers(tmp_path) as start:
        snapshot = stalled_photo()
        worker = start("survivor")  # the production visibility timeout: redelivery must not wait for it
        wait_until(lambda: celery_workers.processing(snapshot.pk), "the worker to start the task")
        (child,) = celery_workers.pool_children(worker)

        os.kill(child, signal.SIGKILL)  # as the OOM killer would: the parent sees WorkerLostError
        stalled_photo.release()
        done = celery_workers.done_once(snapshot.pk)  # rejected with requeue (reject_on_worker_lost), run again
        assert worker.poll() is None

    assert (done.attempts, done.face_count, done.logs.count()) == (2, celery_workers.GROUP_FACES, celery_workers.GROUP_FACES)


def test_it_gives_up_on_a_snapshot_whose_every_attempt_died(media_root):
    snapshot = Snapshot(status=Snapshot.PROCESSING, attempts=recognition.MAX_ATTEMPTS)
    snapshot.image.save("a.jpg", ContentFile(faces_data.photo("lfw_person_a_1.jpg")))

    failed = recognition.snapshot_recognize(snapshot_id=snapshot.pk)

    assert failed.status == Snapshot.FAILED
    assert failed.error.startswith(f"gave up after {recognition.MAX_ATTEMPTS} attempts that ended without a result")
    assert not failed.logs.exists()


def _communicator(path: str, user, client) -> WebsocketCommunicator:
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), (b"cookie", cookie.encode())]
    return WebsocketCommunicator(application, path, headers=headers)


async def _next_result(communicator: WebsocketCommunicator) -> dict:
    while True:
        event = await communicator.receive_json_from(timeout=DEADLINE)
        if event["type"] == "recognition.result":
            return event


def _submit(name: str) -> Snapshot:
    return recognition.snapshot_submit(image=(name, faces_data.photo(name)))


def _dashboard_joined() -> bool:
    return redis_client().zcard("faceapp-asgi:group:dashboard") > 0


def test_it_keeps_open_dashboards_and_workers_going_across_a_redis_restart(
    embedded_valkey, celery_worker, viewer_user, client, media_root, caplog
):
    communicator = _communicator("/ws/dashboard/", viewer_user, client)

    async def scenario():
        connected, _ = await communicator.connect(timeout=DEADLINE)
        assert connected
        await asyncio.to_thread(embedded_valkey.stop)  # killed: it comes back empty (no persistence)
        stranded = await database_sync_to_async(_submit)("lfw_person_a_1.jpg")  # the broker is down
        await asyncio.to_thread(embedded_valkey.start)

        # The restarted Redis forgot the dashboard group: the open socket joins it again.
        await asyncio.to_thread(wait_until, _dashboard_joined, "the dashboard to join its group again")
        fresh = await database_sync_to_async(_submit)("lfw_person_b_1.jpg")
        first = await _next_result(communicator)  # through the worker, reconnected

        stranded_status = await database_sync_to_async(lambda: Snapshot.objects.get(pk=stranded.pk).status)()
        requeued = await database_sync_to_async(recognition.snapshots_requeue_stale)(older_than=dt.timedelta(0))
        second = await _next_result(communicator)
        await communicator.disconnect()
        return stranded, fresh, first, stranded_status, requeued, second

    stranded, fresh, first, stranded_status, requeued, second = run_scenario(scenario)

    assert f"could not queue identity.tasks.snapshot_recognize_task({stranded.pk}): " in caplog.text
    assert (first["snapshot"]["id"], first["snapshot"]["status"], len(first["faces"])) == (fresh.pk, "done", 1)
    # Nothing stored was lost: the snapshot queued into the outage is in the database, and the
    # stale-snapshot sweep queues it again.
    assert (stranded_status, requeued) == (Snapshot.PENDING, [stranded.pk])
    assert (second["snapshot"]["id"], second["snapshot"]["status"], len(second["faces"])) == (stranded.pk, "done", 1)
