"""The attendance app takes AttendanceRecord over from identity keeping every day: rows written
under identity's model before the move are all there, unchanged, under attendance's after it."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from attendance.models import AttendanceRecord

pytestmark = pytest.mark.django_db(transaction=True)  # SQLite's schema editor cannot run inside the test's transaction


def _before_the_move(executor: MigrationExecutor) -> tuple[str, str]:
    """Identity's migration just before the one that hands attendance over (whatever its number)."""
    graph = executor.loader.graph
    (moved,) = [key for key in graph.nodes if key[0] == "identity" and key[1].endswith("attendance_moved")]
    (parent,) = [node.key for node in graph.node_map[moved].parents if node.key[0] == "identity"]
    return parent


def test_it_keeps_every_attendance_day_through_the_move():
    executor = MigrationExecutor(connection)
    before = _before_the_move(executor)
    executor.migrate([before, ("attendance", None)])
    old = executor.loader.project_state([before]).apps
    ContentType = old.get_model("contenttypes", "ContentType")
    content_type = ContentType.objects.get_or_create(app_label="identity", model="attendancerecord")[0]
    Person, Camera = old.get_model("identity", "Person"), old.get_model("identity", "Camera")
    OldRecord = old.get_model("identity", "AttendanceRecord")
    ada, bob = Person.objects.create(name="Ada", code="A1"), Person.objects.create(name="Bob")
    door = Camera.objects.create(name="Door", token="door-token")
    first = dt.datetime(2026, 3, 2, 8, 5, tzinfo=dt.UTC)
    for day_number, person, camera in [(0, ada, door), (1, ada, None), (0, bob, None), (400, bob, door)]:
        seen = first + dt.timedelta(days=day_number)
        OldRecord.objects.create(person=person, day=seen.date(), first_seen=seen,
                                 last_seen=seen + dt.timedelta(hours=9), camera=camera)
    written = sorted(OldRecord.objects.values_list("id", "person_id", "day", "first_seen", "last_seen", "camera_id"))

    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    kept = sorted(AttendanceRecord.objects.values_list("id", "person_id", "day", "first_seen", "last_seen", "camera_id"))
    assert len(written) == 4 and kept == written
    assert AttendanceRecord._meta.app_label == "attendance"
    moved = ContentType.objects.get(pk=content_type.pk)  # admin history and permissions follow the model
    assert (moved.app_label, moved.model) == ("attendance", "attendancerecord")
