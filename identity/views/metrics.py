"""/metrics: the stack's Prometheus metrics, for a scraper holding FACEAPP_METRICS_TOKEN.

No session and no role: the bearer token is the permission (Prometheus sends
`Authorization: Bearer <token>`), compared in constant time. Without a configured token the
route is off (404); a missing or wrong token is refused (401). Counters and histograms come from
every process through Redis (faceapp.metrics); gauges are read now (identity.selectors).
"""

import hmac

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from faceapp import metrics as recorded
from identity.selectors import metrics_gauges


def _token_given(request) -> bool:
    expected = f"Bearer {settings.FACEAPP_METRICS_TOKEN}".encode()
    return hmac.compare_digest(request.headers.get("Authorization", "").encode(), expected)


class _GaugeCollector:
    def collect(self):
        gauges = metrics_gauges()
        people = GaugeMetricFamily("faceapp_gallery_people", "Active people in the gallery.")
        people.add_metric([], gauges["people"])
        samples = GaugeMetricFamily("faceapp_gallery_samples", "Accepted enrolment photos (the gallery's faces).")
        samples.add_metric([], gauges["samples"])
        states = GaugeMetricFamily("faceapp_camera_state", "1 for each camera's current state.", labels=["camera", "state"])
        for camera_id, state in gauges["camera_states"].items():
            states.add_metric([str(camera_id), state], 1)
        queues = GaugeMetricFamily("faceapp_queue_depth", "Tasks waiting in each worker queue.", labels=["queue"])
        for queue, depth in gauges["queues"].items():
            queues.add_metric([queue], depth)
        waiting = GaugeMetricFamily("faceapp_frames_waiting", "Camera frames waiting for the live worker.")
        waiting.add_metric([], gauges["frames_waiting"])
        yield from (people, samples, states, queues, waiting)


@never_cache
@require_GET
def metrics(request):
    if not settings.FACEAPP_METRICS_TOKEN:
        raise Http404("metrics are off: FACEAPP_METRICS_TOKEN is not set")
    if not _token_given(request):
        return HttpResponse("a metrics token is needed\n", status=401, content_type="text/plain",
                            headers={"WWW-Authenticate": "Bearer"})
    recorded.flush()  # this process's own counts, not a second late
    registry = CollectorRegistry(auto_describe=False)
    registry.register(recorded.RedisCollector())
    registry.register(_GaugeCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
