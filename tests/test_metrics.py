"""GET /metrics: off without a token, refused without the right one; the counters of every
process added up in Redis move as camera frames flow through the live path."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from prometheus_client.parser import text_string_to_metric_families

from faceapp import metrics
from identity.models import Camera
from identity.services import cameras, frames, live
from integrations import webhooks
from integrations.models import Delivery
from tests import live_data
from tests.metrics_read import counted
from tests.waiting import wait_until
from tests.webhook_receiver import destination_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_live_state")]

TOKEN = "scrape-me-0123456789"
DASHBOARD = Path(__file__).resolve().parents[1] / "docs" / "grafana" / "faceapp.json"
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


@pytest.fixture
def token(settings):
    settings.FACEAPP_METRICS_TOKEN = TOKEN
    return TOKEN


@pytest.fixture
def door():
    camera = Camera.objects.create(name="Door", kind=Camera.WEBCAM)
    live_data.live_keys_clear(camera)
    return camera


def _scrape(client) -> dict[tuple, float]:
    """{(sample name, labels as sorted pairs): value} of one scrape."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def _value(scrape: dict, name: str, **labels) -> float:
    return scrape.get((name, tuple(sorted((k, str(v)) for k, v in labels.items()))), 0.0)


def _flow(camera: Camera, name: str | None, count: int, *, x: int = 150) -> int:
    """`count` frames through the camera socket's path into the live worker's frame loop; the frames processed."""
    processed = 0
    for index in range(count):
        assert cameras.camera_frame_receive(camera=camera, jpeg=live_data.scene_jpeg(name, x=x + 2 * index)) == "queued"
        for camera_id, captured_at, jpeg, session in frames.frames_take(shard=frames.shard_of(camera.pk)):
            processed += live.live_frame_process(camera_id=camera_id, captured_at=captured_at, jpeg=jpeg, session=session)
    return processed


def test_it_is_off_without_a_token(client, settings):
    settings.FACEAPP_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_it_refuses_a_scrape_without_the_token(client, token, admin_user):
    for header in (None, f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Token {TOKEN}", TOKEN, "Bearer "):
        extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
        response = client.get("/metrics", **extra)
        assert response.status_code == 401, header
        assert b"faceapp_" not in response.content
    client.force_login(admin_user)  # a session is no permission here: the token is
    assert client.get("/metrics").status_code == 401
    assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


def test_it_counts_frames_recognitions_and_visits_as_frames_flow(client, token, aaron, door, settings, committed):
    settings.FACEAPP_RATE_CAMERA_FPS = 1000  # the frames come faster than a camera's: none refused
    before = _scrape(client)
    with committed():
        processed = _flow(door, "lfw_person_a_2.jpg", 8)  # named after 3 frames: the visit opens
        processed += _flow(door, None, 4)
    # Two frames before the loop takes one: the first is dropped for the newer.
    assert cameras.camera_frame_receive(camera=door, jpeg=live_data.scene_jpeg(None)) == "queued"
    assert cameras.camera_frame_receive(camera=door, jpeg=live_data.scene_jpeg(None)) == "replaced"
    after = _scrape(client)

    assert processed == 12
    moved = {name: _value(after, name, camera=door.pk) - _value(before, name, camera=door.pk) for name in (
        "faceapp_frames_read_total", "faceapp_frames_processed_total", "faceapp_recognition_seconds_count",
        "faceapp_overlay_latency_seconds_count", "faceapp_visits_opened_total")}
    assert moved == {"faceapp_frames_read_total": 14, "faceapp_frames_processed_total": 12,
                     "faceapp_recognition_seconds_count": 12, "faceapp_overlay_latency_seconds_count": 12,
                     "faceapp_visits_opened_total": 1}
    replaced = _value(after, "faceapp_frames_dropped_total", camera=door.pk, reason="replaced")
    assert replaced - _value(before, "faceapp_frames_dropped_total", camera=door.pk, reason="replaced") == 1
    # The histogram's buckets add up to its count; its sum is the time spent.
    inf = _value(after, "faceapp_recognition_seconds_bucket", camera=door.pk, le="+Inf")
    assert inf == _value(after, "faceapp_recognition_seconds_count", camera=door.pk)
    assert _value(after, "faceapp_recognition_seconds_sum", camera=door.pk) > 0
    # Gauges read at scrape time.
    assert _value(after, "faceapp_gallery_people") == 1 and _value(after, "faceapp_gallery_samples") == 1
    assert _value(after, "faceapp_camera_state", camera=door.pk, state="online") == 1
    assert _value(after, "faceapp_frames_waiting") == 1  # the frame that replaced the other
    assert ("faceapp_queue_depth", (("queue", "live"),)) in after


def test_it_refuses_frames_over_the_rate_and_counts_them_dropped(client, token, door, settings):
    settings.FACEAPP_RATE_CAMERA_FPS = 1  # 2 frames in the 2 s window
    before = _scrape(client)
    statuses = [cameras.camera_frame_receive(camera=door, jpeg=live_data.scene_jpeg(None)) for _ in range(4)]
    after = _scrape(client)
    assert statuses.count(cameras.RATE_LIMITED) == 2
    dropped = {"camera": door.pk, "reason": "rate_limited"}
    assert _value(after, "faceapp_frames_dropped_total", **dropped) - _value(before, "faceapp_frames_dropped_total",
                                                                               **dropped) == 2
    assert _value(after, "faceapp_frames_read_total", camera=door.pk) - _value(
        before, "faceapp_frames_read_total", camera=door.pk) == 4


def test_it_stops_reporting_a_deleted_camera(client, token, door, settings, committed):
    other = Camera.objects.create(name="Side door")
    for camera in (door, other):
        metrics.count("faceapp_frames_read_total", 2, camera=camera.pk)
        metrics.observe("faceapp_recognition_seconds", 0.02, camera=camera.pk)
    assert _value(_scrape(client), "faceapp_recognition_seconds_count", camera=door.pk) >= 1

    door_id = door.pk  # None once deleted
    with committed():
        cameras.camera_delete(camera=door)

    scrape = _scrape(client)
    assert not [key for key in scrape if ("camera", str(door_id)) in key[1]]
    assert _value(scrape, "faceapp_frames_read_total", camera=other.pk) >= 2  # (earlier tests' cameras share ids)
    assert _value(scrape, "faceapp_recognition_seconds_count", camera=other.pk) >= 1


def test_it_adds_up_the_counts_of_other_processes(client, token):
    """A reader, a worker, the bridge: another process's counts reach this scrape through Redis."""
    before = _value(_scrape(client), "faceapp_webhook_attempts_total", outcome="delivered")
    code = ("import django; django.setup(); from faceapp import metrics; "
            "metrics.count('faceapp_webhook_attempts_total', 3, outcome='delivered')")  # flushed as it exits
    environment = {**os.environ, "REDIS_URL": django_settings.REDIS_URL}
    done = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert _value(_scrape(client), "faceapp_webhook_attempts_total", outcome="delivered") - before == 3


def test_it_drops_counts_while_redis_is_away_and_never_fails_the_caller(client, token, settings):
    name, labels = "faceapp_frames_read_total", {"camera": 999_001}
    metrics.flush()
    redis_url, timeout = settings.REDIS_URL, settings.FACEAPP_REDIS_TIMEOUT
    settings.REDIS_URL, settings.FACEAPP_REDIS_TIMEOUT = "redis://127.0.0.1:1/0", 0.5  # nothing listens there
    metrics.count(name, **labels)
    metrics.observe("faceapp_recognition_seconds", 0.02, **labels)
    assert metrics.flush() == 0  # dropped, not raised
    settings.REDIS_URL, settings.FACEAPP_REDIS_TIMEOUT = redis_url, timeout
    metrics.count(name, 2, **labels)
    scrape = _scrape(client)
    assert _value(scrape, name, **labels) == 2  # the counts after the outage, not those in it
    assert _value(scrape, "faceapp_recognition_seconds_count", **labels) == 0


def test_it_names_in_the_sample_dashboard_only_what_it_serves(client, token):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    served = {family.name + suffix for family in text_string_to_metric_families(response.content.decode())
              for suffix in SUFFIXES[family.type]}
    dashboard = json.loads(DASHBOARD.read_text())
    named = {name for panel in dashboard["panels"] for target in panel["targets"]
             for name in re.findall(r"faceapp_\w+", target["expr"])}
    assert named and named <= served, named - served
    assert set(metrics.METRICS) <= {re.sub(r"_(bucket|sum|count)$", "", name) for name in named}  # each is shown


@pytest.mark.django_db(transaction=True)
def test_it_counts_webhook_attempts_by_outcome(celery_worker, receiver, settings):
    settings.FACEAPP_WEBHOOK_RETRY_SECONDS, settings.FACEAPP_WEBHOOK_RETRY_MAX_SECONDS = 0.2, 0.5
    outcomes = ("delivered", "retrying", "failed")
    before = {outcome: counted("faceapp_webhook_attempts_total", outcome=outcome) for outcome in outcomes}
    destination = destination_for(receiver)
    receiver.script = [500]  # once, then the receiver's default 200
    retried = webhooks.destination_test_send(destination=destination)
    wait_until(lambda: _done(retried), "the delivery after a retry")
    receiver.default = 410
    given_up = webhooks.destination_test_send(destination=destination)
    wait_until(lambda: _done(given_up), "the delivery given up")

    moved = {outcome: counted("faceapp_webhook_attempts_total", outcome=outcome) - before[outcome]
             for outcome in outcomes}
    assert moved == {"delivered": 1, "retrying": 1, "failed": 1}


def _done(delivery: Delivery):
    delivery.refresh_from_db()
    return delivery if delivery.status != Delivery.PENDING else None
