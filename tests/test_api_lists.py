"""GET /api/people/, /api/people/<id>/, /api/logs/ and /api/attendance/: filters, pages, roles."""

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from attendance.models import AttendanceRecord
from faceapp.clock import site_date
from identity.models import (
    Camera,
    FaceSample,
    MatchLog,
    Person,
    ProvisionalIdentity,
    Snapshot,
    embedding_to_bytes,
)
from tests.api import api_client


def add_log(*, snapshot: Snapshot, face_index: int, person=None, provisional=None, hours_ago: float = 0) -> MatchLog:
    return MatchLog.objects.create(
        snapshot=snapshot, face_index=face_index, box=[1, 2, 30, 40],
        embedding=embedding_to_bytes(np.zeros(512)), person=person, provisional=provisional,
        similarity=0.7 if person else 0.1, margin=0.3 if person else None,
        assigned_id=person.display_id if person else provisional.label,
        decision=MatchLog.KNOWN if person else MatchLog.UNKNOWN,
        created_at=timezone.now() - timedelta(hours=hours_ago),
    )


@pytest.fixture
def world(db) -> dict:
    """Two people, a stranger, two cameras, four logged faces, attendance today and yesterday."""
    enrolled = timezone.now() - timedelta(days=7)  # before both days: expected on each
    ada = Person.objects.create(name="Ada", code="E-1", created_at=enrolled)
    bob = Person.objects.create(name="Bob", created_at=enrolled)
    Person.objects.create(name="Zed (left)", active=False, created_at=enrolled)
    FaceSample.objects.create(person=ada, status=FaceSample.ACCEPTED)
    FaceSample.objects.create(person=ada, status=FaceSample.REJECTED, reason="face blurred")
    stranger = ProvisionalIdentity.objects.create(label="U-0001", embeddings=embedding_to_bytes(np.zeros(512)))
    door, hall = Camera.objects.create(name="Door"), Camera.objects.create(name="Hall")
    at_door = Snapshot.objects.create(camera=door, image="snapshots/a.jpg", status=Snapshot.DONE)
    in_hall = Snapshot.objects.create(camera=hall, image="snapshots/b.jpg", status=Snapshot.DONE)
    logs = {
        "ada_old": add_log(snapshot=at_door, face_index=0, person=ada, hours_ago=30),
        "stranger": add_log(snapshot=at_door, face_index=1, provisional=stranger, hours_ago=30),
        "ada_new": add_log(snapshot=in_hall, face_index=0, person=ada, hours_ago=1),
        "bob": add_log(snapshot=in_hall, face_index=1, person=bob, hours_ago=1),
    }
    now, today = timezone.now(), site_date()
    AttendanceRecord.objects.create(person=ada, day=today, first_seen=now, last_seen=now, camera=hall)
    AttendanceRecord.objects.create(person=bob, day=today - timedelta(days=1), first_seen=now, last_seen=now)
    return {"ada": ada, "bob": bob, "door": door, "hall": hall, "logs": logs, "today": today}


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_it_lists_people_by_name_in_pages(world, operator_user):
    client = api_client(operator_user)

    first = client.get("/api/people/?limit=2").json()

    assert first["count"] == 3
    assert [p["name"] for p in first["results"]] == ["Ada", "Bob"]
    assert first["results"][0]["accepted_samples"] == 1 and first["results"][0]["display_id"] == "E-1"
    assert first["results"][1]["display_id"] == f"P-{world['bob'].id}"
    second = client.get(first["next"]).json()
    assert [p["name"] for p in second["results"]] == ["Zed (left)"] and second["next"] is None


def test_it_shows_a_person_with_samples(world, operator_user):
    client = api_client(operator_user)

    detail = client.get(f"/api/people/{world['ada'].id}/").json()

    assert [(x["status"], x["reason"]) for x in detail["samples"]] == [("accepted", ""), ("rejected", "face blurred")]
    assert detail["samples"][0]["crop_url"] is None
    missing = client.get("/api/people/99999/")
    assert missing.status_code == 404 and missing.json()["detail"]


def test_it_filters_logs(world, operator_user):
    client, logs = api_client(operator_user), world["logs"]

    newest_first = [logs["bob"].id, logs["ada_new"].id, logs["stranger"].id, logs["ada_old"].id]
    assert ids(client.get("/api/logs/")) == newest_first
    assert ids(client.get(f"/api/logs/?person={world['ada'].id}")) == [logs["ada_new"].id, logs["ada_old"].id]
    assert ids(client.get("/api/logs/?decision=unknown")) == [logs["stranger"].id]
    assert ids(client.get(f"/api/logs/?camera={world['door'].id}")) == [logs["stranger"].id, logs["ada_old"].id]
    since = (timezone.now() - timedelta(hours=2)).isoformat()
    both = client.get("/api/logs/", {"since": since, "decision": "known", "camera": world["hall"].id})
    assert ids(both) == [logs["bob"].id, logs["ada_new"].id]


def test_it_describes_each_logged_face(world, operator_user):
    client = api_client(operator_user)

    [stranger] = client.get("/api/logs/?decision=unknown").json()["results"]
    [bob] = client.get(f"/api/logs/?person={world['bob'].id}").json()["results"]

    assert stranger["label"] == stranger["provisional"] == stranger["assigned_id"] == "U-0001"
    assert stranger["person"] is None and stranger["camera"] == {"id": world["door"].id, "name": "Door"}
    assert bob["person"] == {"id": world["bob"].id, "name": "Bob", "code": None}
    assert bob["label"] == "Bob" and bob["box"] == [1, 2, 30, 40] and bob["similarity"] == 0.7


def test_it_refuses_bad_log_filters(world, operator_user):
    client = api_client(operator_user)

    assert "decision" in client.get("/api/logs/?decision=maybe").json()
    assert "since" in client.get("/api/logs/?since=yesterday").json()
    assert client.get("/api/logs/?person=ada").status_code == 400


def test_it_reports_attendance_of_a_day(world, operator_user):
    client, today = api_client(operator_user), world["today"]

    now = client.get("/api/attendance/").json()
    before = client.get(f"/api/attendance/?day={today - timedelta(days=1)}").json()

    assert now["day"] == today.isoformat()
    assert [(p["name"], p["camera"]) for p in now["present"]] == [("Ada", "Hall")]
    assert [p["name"] for p in now["absent"]] == ["Bob"]
    assert [p["name"] for p in before["present"]] == ["Bob"] and before["present"][0]["camera"] is None
    assert [p["person_id"] for p in before["absent"]] == [world["ada"].id]
    assert "day" in client.get("/api/attendance/?day=31-12-2024").json()


@pytest.mark.parametrize("url", ["/api/people/", "/api/people/1/", "/api/logs/", "/api/attendance/"])
def test_it_needs_a_token_and_the_operator_role(world, viewer_user, url):
    assert APIClient().get(url).status_code == 401
    response = api_client(viewer_user).get(url)
    assert response.status_code == 403
    assert "operator" in response.json()["detail"]
