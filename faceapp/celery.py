"""The Celery app: configuration comes from Django settings (CELERY_* names).

A worker that dies (SIGKILL, OOM) leaves the messages it had taken unacknowledged in Redis,
where kombu gives them back only after the visibility timeout (minutes). A worker replaced by a
new one of the same node name (`manage.py runstack` restarts `worker@%h` and `live@%h`; a
service manager does the same) gives them back at once: each worker records the delivery tag of
every message it takes, under its node name and the id of its run, and a worker starting
under that name queues again what an earlier run recorded and never finished (kombu's own
restore: a message already acknowledged is left alone). Node names are unique to one running
worker, so an earlier run of this name is a dead one.
"""

import logging
import os
import uuid

from celery import Celery
from celery.signals import task_postrun, task_received, worker_ready

from faceapp.redis_client import redis_client  # reads settings when called, after Django is set up

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "faceapp.settings")

logger = logging.getLogger(__name__)

app = Celery("faceapp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

RUN_ID = uuid.uuid4().hex  # this worker process's run (its pool children share it)
TAKEN_KEY = "faceapp:worker-taken:{}"  # hash: task id -> "<run id> <delivery tag>", per node name
TAKEN_SECONDS = 7 * 86400  # a node name not seen for a week forgets what it took


@task_received.connect
def _taken_record(sender=None, request=None, **kwargs) -> None:
    tag = getattr(request.message, "delivery_tag", None)
    if not tag:
        return
    try:
        key = TAKEN_KEY.format(request.hostname)
        redis_client().pipeline().hset(key, request.id, f"{RUN_ID} {tag}").expire(key, TAKEN_SECONDS).execute()
    except Exception as exc:  # bookkeeping: the visibility timeout still recovers the task
        logger.warning("could not record task %s as taken: %s", request.id, exc)


@task_postrun.connect
def _taken_forget(sender=None, task_id=None, task=None, **kwargs) -> None:
    try:
        redis_client().hdel(TAKEN_KEY.format(task.request.hostname), task_id)
    except Exception as exc:
        logger.warning("could not forget task %s as taken: %s", task_id, exc)


def tasks_of_earlier_runs_requeue(*, hostname: str) -> list[str]:
    """Queue again the messages an earlier run of the worker `hostname` took and did not finish;
    returns their task ids."""
    key = TAKEN_KEY.format(hostname)
    client = redis_client()
    earlier = {}
    for task_id, value in client.hgetall(key).items():
        run_id, _, tag = value.decode().partition(" ")
        if run_id != RUN_ID:
            earlier[task_id.decode()] = tag
    if not earlier:
        return []
    with app.connection_for_write() as connection:
        qos = connection.default_channel.qos
        for tag in earlier.values():
            qos.restore_by_tag(tag)  # kombu's restore: only a message still unacknowledged goes back
    client.hdel(key, *earlier)
    return list(earlier)


@worker_ready.connect
def _requeue_tasks_of_earlier_runs(sender=None, **kwargs) -> None:
    try:
        requeued = tasks_of_earlier_runs_requeue(hostname=sender.hostname)
    except Exception as exc:  # the visibility timeout still recovers them
        logger.warning("could not requeue the tasks of this worker's earlier run: %s", exc)
        return
    if requeued:
        logger.warning("queued again %d task(s) taken by an earlier run of %s: %s",
                       len(requeued), sender.hostname, requeued[:20])
