"""Migration 0009: each stored camera URL is split into its address and its sealed credentials;
a URL the gate refuses (a line break) is not carried over."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from identity.models import Camera
from identity.services.camera_sources import camera_source_url

BEFORE, AFTER = [("identity", "0009_attendance_moved")], [("identity", "0010_camera_source_split")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_it_splits_each_stored_url_into_its_address_and_sealed_credentials():
    old = _migrate(BEFORE).get_model("identity", "Camera")
    old.objects.create(name="Gate", kind="rtsp", source_url="rtsp://admin:s3cr3t@127.0.0.1:8554/cam?token=t0k3n&ch=1",
                       token="a")
    old.objects.create(name="Bad", kind="rtsp", source_url="rtsp://127.0.0.1:6379/x\r\nSET k v\r\n", token="b")
    old.objects.create(name="Film", kind="file", source_url="/videos/door.mp4", token="c")
    try:
        _migrate(AFTER)
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())  # back to the latest for the tests after

    gate, bad, film = (Camera.objects.get(name=name) for name in ("Gate", "Bad", "Film"))
    assert gate.source_address == "rtsp://127.0.0.1:8554/cam?ch=1"
    assert "s3cr3t" not in gate.source_secret and "t0k3n" not in gate.source_secret
    assert camera_source_url(camera=gate) == "rtsp://admin:s3cr3t@127.0.0.1:8554/cam?token=t0k3n&ch=1"
    assert (bad.source_address, bad.source_secret) == ("", "")
    assert film.source_address == "/videos/door.mp4"
