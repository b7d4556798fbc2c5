"""The live pages' first render (identity.services.realtime): the camera page lists the day's
visits at that camera; the dashboard, the camera page and the review queue render the replay
position their socket resumes from, read before what they list."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from identity.models import Camera
from identity.services.realtime import DASHBOARD_GROUP, camera_group, push, replay_position
from tests.review_data import make_log

pytestmark = pytest.mark.django_db


def _json_script(response, element_id: str):
    html = response.content.decode()
    start = html.index(f'id="{element_id}"')
    return json.loads(html[html.index(">", start) + 1:html.index("</script>", start)])


def test_it_lists_the_days_visits_at_that_camera_newest_first(client, operator_user, media_root):
    camera, other = Camera.objects.create(name="Door"), Camera.objects.create(name="Hall")
    now = timezone.now()
    earlier = make_log(seen_at=now - dt.timedelta(seconds=50), camera=camera)
    later = make_log(seen_at=now - dt.timedelta(seconds=10), camera=camera)
    make_log(seen_at=now - dt.timedelta(days=1, seconds=1), camera=camera)
    make_log(seen_at=now - dt.timedelta(seconds=20), camera=other)
    client.force_login(operator_user)

    visits = _json_script(client.get(reverse("camera-view", args=[camera.pk])), "camera-visits")

    assert [visit["id"] for visit in visits] == [later.pk, earlier.pk]
    assert visits[0]["camera"] == {"id": camera.pk, "name": "Door"}
    assert visits[0]["snapshot_url"] == reverse("snapshot-detail", args=[later.snapshot_id])


def test_it_renders_the_cameras_replay_position(client, operator_user):
    camera = Camera.objects.create(name="Door")
    push(camera_group(camera.pk), {"type": "visit.update", "event": "opened", "visit": {"id": 1}})
    client.force_login(operator_user)

    html = client.get(reverse("camera-view", args=[camera.pk])).content.decode()

    assert f'data-replay-after="{replay_position(camera_group(camera.pk))}"' in html


def test_it_renders_the_dashboards_replay_position_on_the_dashboard_and_the_review_queue(client, operator_user):
    push(DASHBOARD_GROUP, {"type": "attendance.row", "attendance": {"person_id": 1}})
    position = replay_position(DASHBOARD_GROUP)
    client.force_login(operator_user)

    dashboard = _json_script(client.get(reverse("dashboard")), "dashboard-initial")
    review = client.get(reverse("review-queue")).content.decode()

    assert dashboard["replay_after"] == position != "0-0"
    assert f'data-replay-after="{position}"' in review
