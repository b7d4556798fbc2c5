"""Prometheus metrics added up across processes and machines in the shared Redis.

Every process of the stack (web, workers, live workers, readers, the MQTT bridge) counts and
observes in memory: a dict update under a lock, so the frame loop pays nothing more. A daemon
thread of each process adds what it counted to Redis every FLUSH_SECONDS (one pipelined round
trip; one hash per metric), so one scrape sees the sum of every process. A Redis that is away
loses those increments (logged), never the caller's work.

GET /metrics (identity.views.metrics) renders them with prometheus_client's exposition through
RedisCollector, with gauges read at scrape time. Camera labels are camera ids, never addresses.
prometheus_client, not django-prometheus: its per-process registries would need a multiprocess
directory shared on one machine, and its middleware counts every request; the stack runs on
several machines whose only shared state is Redis, and counts frames, not requests.
"""

import atexit
import functools
import json
import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import redis
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric

from faceapp.redis_client import redis_client, redis_text

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 1.0
KEY_PREFIX = "faceapp:metrics:"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
INF = "+Inf"


@dataclass(frozen=True)
class Spec:
    kind: str  # "counter" or "histogram"
    help: str
    labels: tuple[str, ...]
    buckets: tuple[float, ...] = ()


METRICS: dict[str, Spec] = {
    "faceapp_frames_read_total": Spec(
        "counter", "Camera frames that arrived, from a stream reader or a camera socket.", ("camera",)),
    "faceapp_frames_processed_total": Spec(
        "counter", "Camera frames the live worker followed faces in and sent the overlay of.", ("camera",)),
    "faceapp_frames_dropped_total": Spec(
        "counter", "Camera frames dropped unprocessed: replaced by a newer one, expired unread, over the rate limit, not an "
        "image.",
        ("camera", "reason")),
    "faceapp_frames_still_total": Spec(
        "counter", "Camera frames the face detector was spared: nothing moved and no face was followed.", ("camera",)),
    "faceapp_recognition_seconds": Spec(
        "histogram", "Detecting, embedding and matching the faces of one live frame.", ("camera",), LATENCY_BUCKETS),
    "faceapp_overlay_latency_seconds": Spec(
        "histogram", "From a frame's capture to its overlay sent to the pages.", ("camera",), LATENCY_BUCKETS),
    "faceapp_visits_opened_total": Spec("counter", "Visits opened by the live worker (camera tracks).", ("camera",)),
    "faceapp_webhook_attempts_total": Spec(
        "counter", "Webhook delivery attempts by outcome: delivered, retrying (failed, tried again later), failed.",
        ("outcome",)),
    "faceapp_mqtt_events_total": Spec(
        "counter", "Events the MQTT bridge took from the stream, by outcome: published, skipped, dropped, unsent "
        "(the broker did not confirm: sent again on the next connection).", ("outcome",)),
}

_lock = threading.Lock()
_flushing = threading.Lock()  # a scrape's flush waits for the flusher's: what it took is in Redis before the read
_pending: dict[tuple[str, str], float] = defaultdict(float)  # (metric, field) -> increment not yet in Redis
_flusher: threading.Thread | None = None
_last_warning = float("-inf")


@functools.lru_cache(maxsize=4096)  # a few series per camera: encoded once, not once a frame
def _field(values: tuple, part: str | None = None) -> str:
    return json.dumps([str(value) for value in values] + ([] if part is None else [part]))


def _values(name: str, labels: dict[str, object]) -> tuple:
    return tuple(labels[label] for label in METRICS[name].labels)


def count(name: str, n: float = 1, **labels: object) -> None:
    """Add `n` to the counter `name` (one of METRICS) with these labels."""
    if not n:
        return
    field = _field(_values(name, labels))
    with _lock:
        _pending[(name, field)] += n
    _flusher_ensure()


def observe(name: str, seconds: float, **labels: object) -> None:
    """One observation of the histogram `name`: its bucket, sum and count (buckets added up at scrape)."""
    values = _values(name, labels)
    bucket = next((str(bound) for bound in METRICS[name].buckets if seconds <= bound), INF)
    fields = [_field(values, part) for part in (bucket, "sum", "count")]
    with _lock:
        _pending[(name, fields[0])] += 1
        _pending[(name, fields[1])] += seconds
        _pending[(name, fields[2])] += 1
    _flusher_ensure()


def flush() -> int:
    """Add what this process counted to Redis; the fields written (0 when Redis was away: dropped)."""
    with _flushing:
        return _flush()


def _flush() -> int:
    global _last_warning
    with _lock:
        taken = dict(_pending)
        _pending.clear()
    if not taken:
        return 0
    try:
        with redis_client().pipeline(transaction=False) as pipe:
            for (name, field), value in taken.items():
                pipe.hincrbyfloat(KEY_PREFIX + name, field, value)
            pipe.execute()
    except (redis.RedisError, OSError) as exc:
        if time.monotonic() - _last_warning > 60:  # a long outage logs once a minute, not once a second
            _last_warning = time.monotonic()
            logger.warning("metrics: Redis is away, %d increments dropped: %s", len(taken), exc)
        return 0
    return len(taken)


def _flush_forever() -> None:
    while True:
        time.sleep(FLUSH_SECONDS)
        try:
            flush()
        except Exception:  # a bug here must not end the counting for the process's life
            logger.exception("metrics: flush failed")


def _flusher_ensure() -> None:
    global _flusher
    if _flusher is None:
        with _lock:
            if _flusher is None:
                _flusher = threading.Thread(target=_flush_forever, name="metrics-flush", daemon=True)
                _flusher.start()


def _after_fork() -> None:
    # A forked worker starts empty (the parent flushes what it counted) and starts its own flusher.
    global _lock, _flushing, _flusher
    _lock, _flushing, _flusher = threading.Lock(), threading.Lock(), None
    _pending.clear()


os.register_at_fork(after_in_child=_after_fork)
atexit.register(flush)  # a short command (a management command, a test run) keeps its last counts


def series_forget(**labels: object) -> int:
    """Drop every stored series with these label values (a deleted camera's): this process's
    pending counts and Redis's fields, so scrapes stop reporting it. The fields dropped."""
    wanted = {name: str(value) for name, value in labels.items()}

    def matches(name: str, field: str) -> bool:
        names = METRICS[name].labels
        if not set(wanted) <= set(names):
            return False
        values = json.loads(field)  # a histogram's field ends with its bucket: the labels come first
        return all(values[names.index(label)] == value for label, value in wanted.items())

    with _lock:
        for key in [key for key in _pending if matches(*key)]:
            del _pending[key]
    client, dropped = redis_client(), 0
    for name in METRICS:
        fields = [field for field in client.hkeys(KEY_PREFIX + name) if matches(name, redis_text(field))]
        dropped += client.hdel(KEY_PREFIX + name, *fields) if fields else 0
    return dropped


class RedisCollector:
    """The counters and histograms of every process, read from Redis at scrape time."""

    def collect(self) -> Iterator[Metric]:
        client = redis_client()
        with client.pipeline(transaction=False) as pipe:
            for name in METRICS:
                pipe.hgetall(KEY_PREFIX + name)
            stored = pipe.execute()
        for (name, spec), fields in zip(METRICS.items(), stored):
            values = {tuple(json.loads(field)): float(value) for field, value in fields.items()}
            yield _counter(name, spec, values) if spec.kind == "counter" else _histogram(name, spec, values)


def _counter(name: str, spec: Spec, values: dict[tuple, float]) -> Metric:
    family = CounterMetricFamily(name, spec.help, labels=spec.labels)
    for label_values, value in sorted(values.items()):
        family.add_metric(list(label_values), value)
    return family


def _histogram(name: str, spec: Spec, values: dict[tuple, float]) -> Metric:
    family = HistogramMetricFamily(name, spec.help, labels=spec.labels)
    series = sorted({key[:-1] for key in values})
    for label_values in series:
        cumulative, buckets = 0.0, []
        for bound in [*map(str, spec.buckets), INF]:
            cumulative += values.get((*label_values, bound), 0.0)
            buckets.append((bound, cumulative))
        family.add_metric(list(label_values), buckets, values.get((*label_values, "sum"), 0.0))
    return family
