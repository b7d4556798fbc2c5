"""Deleting a camera (identity.services.cameras.camera_delete): its visits stay, named "<name>
(deleted camera)"; its alert rules, attendance role and live keys go; a webhook that sent only its
events is paused; the audit says so. A camera's edits and switching off are audited too. The
live worker copes with a camera deleted under it: its open tracks are dropped, nothing is
written for a camera that is gone."""

import datetime as dt

import pytest
from django.utils import timezone

from attendance.models import CameraRole
from audit.models import AuditEntry
from faceapp.redis_client import redis_client
from identity.forms import CameraEditForm
from identity.models import Camera, MatchLog
from identity.presenters import log_visit
from identity.services import cameras, frames, live
from integrations.models import AlertRule, Destination
from tests import live_data, review_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def door(media_root):
    camera = review_data.make_camera("Door")
    live_data.live_keys_clear(camera)
    return camera


def test_it_keeps_the_visits_named_as_a_deleted_cameras(door, admin_user):
    visit = review_data.make_log(seen_at=timezone.now(), person=review_data.make_person("Ada", with_sample=False),
                                 camera=door)

    kept = cameras.camera_delete(camera=door, actor=admin_user)

    visit = MatchLog.objects.select_related("snapshot__camera").get(pk=visit.pk)
    assert kept == 1 and not Camera.objects.exists()
    assert visit.snapshot.source_name == "Door (deleted camera)"
    assert log_visit(visit)["camera"] == {"id": None, "name": "Door (deleted camera)"}
    entry = AuditEntry.objects.get(action=AuditEntry.CAMERA_DELETED)
    assert (entry.actor, entry.target, entry.detail) == (admin_user, "Door", "1 visit(s) kept")


def test_it_deletes_the_cameras_rules_and_role_and_pauses_a_webhook_that_sent_only_its_events(door):
    hall = review_data.make_camera("Hall")
    AlertRule.objects.create(name="Night door", kind=AlertRule.STRANGER_AT, camera=door, start_time=dt.time(18),
                             end_time=dt.time(7))
    AlertRule.objects.create(name="Night hall", kind=AlertRule.STRANGER_AT, camera=hall, start_time=dt.time(18),
                             end_time=dt.time(7))
    CameraRole.objects.create(camera=door, role=CameraRole.ENTRY)
    only_door = Destination.objects.create(name="Door only", url="https://example.org/a")
    only_door.cameras.add(door)
    both = Destination.objects.create(name="Both", url="https://example.org/b")
    both.cameras.add(door, hall)

    cameras.camera_delete(camera=door)

    assert list(AlertRule.objects.values_list("name", flat=True)) == ["Night hall"]
    assert not CameraRole.objects.exists()
    only_door.refresh_from_db()
    both.refresh_from_db()
    assert only_door.is_paused and "Its only camera, Door, was deleted" in only_door.pause_reason
    assert not both.is_paused and list(both.cameras.all()) == [hall]
    assert "webhooks paused: Door only" in AuditEntry.objects.get(action=AuditEntry.CAMERA_DELETED).detail


def test_it_forgets_the_cameras_waiting_frame_and_states(door, django_capture_on_commit_callbacks):
    camera_id = door.pk
    frames.frame_put(camera_id=camera_id, jpeg=live_data.scene_jpeg(None))
    frames.live_stats_put(camera_id=camera_id, stats={"fps": 1.0})

    with django_capture_on_commit_callbacks(execute=True):
        cameras.camera_delete(camera=door)

    assert redis_client().keys(f"faceapp:live:c:{camera_id}:*") == []
    assert camera_id not in [taken for taken, _, _ in frames.frames_take(shard=frames.shard_of(camera_id))]


def _edited(camera: Camera, actor, **data) -> None:
    form = CameraEditForm({"name": camera.name, "kind": "webcam", "fps": 5, "poll_seconds": 2, "motion_gate": "on", **data},
                          instance=camera, video_dir="")
    assert form.is_valid(), form.errors
    cameras.camera_save(form=form, actor=actor)


def test_it_audits_what_an_edit_changed_and_a_switch_off(door, admin_user):
    _edited(door, admin_user, name="Front door", fps=2, active="on")
    _edited(door, admin_user, name="Front door", fps=2)  # "active" unticked: switched off

    entries = [(e.action, e.target, e.detail) for e in AuditEntry.objects.order_by("id")]
    assert entries == [(AuditEntry.CAMERA_EDITED, "Front door", "name, fps (Door → Front door)"),
                       (AuditEntry.CAMERA_ACTIVE_SET, "Front door", "switched off")]


def _show(camera: Camera | int, name: str | None, count: int, start: float) -> float:
    camera_id = camera if isinstance(camera, int) else camera.pk
    for index in range(count):
        live.live_frame_process(camera_id=camera_id, captured_at=start, jpeg=live_data.scene_jpeg(name, x=150 + index))
        start += 0.2
    return start


@pytest.mark.usefixtures("fresh_live_state")
def test_it_drops_a_deleted_cameras_tracks_in_the_live_worker_unwritten(aaron, door, monkeypatch):
    camera_id = door.pk
    end = _show(door, "lfw_person_a_2.jpg", 6, 1_000_000.0)
    (visit,) = MatchLog.objects.all()
    cameras.camera_delete(camera=door)
    monkeypatch.setattr(live, "CONFIG_SECONDS", 0.0)  # the worker reads the camera's settings on its next frame

    assert not live.live_frame_process(camera_id=camera_id, captured_at=end, jpeg=live_data.scene_jpeg(None))

    assert camera_id not in live._cameras
    assert MatchLog.objects.get().frame_count == visit.frame_count  # its open track was not written


@pytest.mark.django_db(transaction=True)  # the visit's INSERT fails on its commit, as in the worker
@pytest.mark.usefixtures("fresh_live_state")
def test_it_drops_a_camera_deleted_before_the_worker_read_its_settings_again(aaron, door, monkeypatch):
    monkeypatch.setattr(live, "CONFIG_SECONDS", 1e9)  # it keeps the settings it read
    camera_id = door.pk
    end = _show(door, "lfw_person_a_2.jpg", 2, 1_000_000.0)  # the worker holds the camera's settings
    cameras.camera_delete(camera=door)

    end = _show(camera_id, None, 20, end)  # Aaron's track ends
    _show(camera_id, "lfw_person_b_1.jpg", 6, end)  # a stranger's visit would open on the deleted camera

    assert camera_id not in live._cameras
    assert list(MatchLog.objects.values_list("decision", "snapshot__deleted_camera")) == [("known", "Door")]
