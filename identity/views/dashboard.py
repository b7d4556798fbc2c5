"""The dashboard: live recognitions, the latest frame, alerts and today's attendance (those two
drawn by their apps' template tags: integrations, attendance).

The page's script draws everything, first from the JSON rendered here (the same shapes as the
`ws/dashboard/` events: README "Events (websockets)"), then from those events, starting with
those pushed since the page's replay position (identity.services.realtime).
"""

from django.shortcuts import render
from django.utils import timezone

from identity.models import Camera, Person
from identity.presenters import log_visit
from identity.roles import VIEWER, role_required
from identity.selectors import camera_statuses, latest_snapshot_result, live_cameras, recent_visits
from identity.services.realtime import DASHBOARD_GROUP, replay_position
from identity.views.access import faces_visible, visible_since

FEED_LENGTH = 10  # the latest visits only: the rest are in the recognition history


@role_required(VIEWER)
def dashboard(request):
    replay_after = replay_position(DASHBOARD_GROUP)  # read first: a push after it is replayed to the socket
    cameras = list(camera_statuses(cameras=live_cameras()).values())
    since = visible_since(request.user)
    initial = {
        "replay_after": replay_after,
        "visits": [log_visit(log) for log in recent_visits(limit=FEED_LENGTH, since=since)],
        "latest": latest_snapshot_result(since=since),
        "cameras": cameras,
        "pictures": faces_visible(request.user, seen_at=timezone.now()),  # live pictures: the media's rule
    }
    # A fresh install: lead to the first steps instead of showing empty cards only.
    first_steps = {"people": not Person.objects.exists(), "cameras": not Camera.objects.exists()}
    context = {"initial": initial, "cameras": cameras, "feed_length": FEED_LENGTH,
               "first_steps": first_steps if any(first_steps.values()) else None}
    return render(request, "identity/dashboard.html", context)
