"""The register's setup through the API: operators create groups, members and schedules; a
viewer reads the groups they are responsible for (404 for others) and changes nothing; bad
input is a 400 with a sentence and writes nothing."""

import pytest

from attendance.models import AttendanceCode, Closure, PlannedAbsence, Schedule
from attendance.setup import groups
from tests import review_data
from tests.api import api_client

pytestmark = pytest.mark.django_db


def test_it_lets_an_operator_set_up_a_group_with_members_and_a_schedule(operator_user):
    client = api_client(operator_user)
    ada, bob = review_data.make_person("Ada"), review_data.make_person("Bob")

    created = client.post("/api/groups/", {"name": "Night shift", "kind": "team"}, format="json")
    group_id = created.json()["id"]
    members = client.post(f"/api/groups/{group_id}/members/", {"add": [ada.pk, bob.pk]}, format="json")
    schedule = client.post(f"/api/groups/{group_id}/schedules/", {
        "starts_on": "2030-01-07", "grace_late": 10,
        "sessions": [{"weekday": 0, "start": "22:00", "end": "06:00", "overnight": True},
                     {"weekday": 1, "start": "22:00", "end": "06:00", "overnight": True}]}, format="json")
    detail = client.get(f"/api/groups/{group_id}/")

    assert created.status_code == 201 and members.json() == {"added": 2, "removed": 0, "member_count": 2}
    assert schedule.status_code == 201, schedule.json()
    assert schedule.json()["sessions"][0] == {"weekday": 0, "start": "22:00", "end": "06:00", "overnight": True}
    assert [m["name"] for m in detail.json()["members"]] == ["Ada", "Bob"]
    assert client.get(f"/api/groups/{group_id}/schedules/").json()[0]["grace_late"] == 10


def test_it_answers_bad_input_with_a_sentence_and_writes_nothing(operator_user):
    client = api_client(operator_user)
    group = groups.group_create(actor=None, name="7A")
    sick = AttendanceCode.objects.get(label="S: sick")
    person = review_data.make_person("Ada")

    overlapping = client.post(f"/api/groups/{group.pk}/schedules/", {"starts_on": "2030-01-07", "sessions": [
        {"weekday": 0, "start": "08:00", "end": "12:00"}, {"weekday": 0, "start": "11:00", "end": "13:00"}]},
        format="json")
    backwards = client.post(f"/api/groups/{group.pk}/schedules/", {"starts_on": "2030-01-07", "sessions": [
        {"weekday": 0, "start": "12:00", "end": "08:00"}]}, format="json")
    closure = client.post("/api/closures/", {"name": "Autumn", "first_day": "2030-10-30", "last_day": "2030-10-26"},
                          format="json")
    absence = client.post("/api/absences/", {"person": person.pk, "first_day": "2030-03-05", "last_day": "2030-03-01",
                                             "code": sick.pk}, format="json")
    members = client.post(f"/api/groups/{group.pk}/members/", {"add": [person.pk, 999999]}, format="json")

    assert overlapping.status_code == 400
    assert overlapping.json() == {"sessions": ["Monday 08:00–12:00 overlaps Monday 11:00–13:00."]}
    assert "ends before it starts: mark it overnight" in backwards.json()["sessions"][0]
    assert "before it starts on 2030-10-30" in closure.json()["last_day"][0]
    assert "before it starts on 2030-03-05" in absence.json()["last_day"][0]
    assert members.status_code == 400 and "No person has the id 999999" in str(members.json())
    assert not (Schedule.objects.exists() or Closure.objects.exists() or PlannedAbsence.objects.exists())
    assert not group.members.exists()


def test_it_lets_a_viewer_read_only_the_groups_they_are_responsible_for(viewer_user):
    mine, theirs = groups.group_create(actor=None, name="7A"), groups.group_create(actor=None, name="7B")
    groups.group_responsible_set(actor=None, group=mine, users=[viewer_user])
    client = api_client(viewer_user)

    assert [group["name"] for group in client.get("/api/groups/").json()] == ["7A"]
    assert client.get(f"/api/groups/{mine.pk}/").json()["responsible"] == ["viewer"]
    assert client.get(f"/api/groups/{theirs.pk}/").status_code == 404
    assert client.get(f"/api/groups/{theirs.pk}/schedules/").status_code == 404
    assert client.post("/api/groups/", {"name": "Mine"}, format="json").status_code == 403
    assert client.patch(f"/api/groups/{mine.pk}/", {"name": "Renamed"}, format="json").status_code == 403
    assert client.post(f"/api/groups/{mine.pk}/schedules/", {}, format="json").status_code == 403
    assert client.get("/api/absences/").status_code == 403


def test_it_gives_a_viewer_in_charge_of_nothing_no_group(django_user_model):
    from django.contrib.auth.models import Group as Role

    other = django_user_model.objects.create_user(username="other")
    other.groups.add(Role.objects.get_or_create(name="viewer")[0])
    group = groups.group_create(actor=None, name="7A")
    client = api_client(other)

    assert client.get("/api/groups/").json() == []
    assert client.get(f"/api/groups/{group.pk}/").status_code == 404


def test_it_edits_and_deletes_codes_closures_and_absences(operator_user):
    client = api_client(operator_user)
    person = review_data.make_person("Ada")
    trip = client.post("/api/codes/", {"label": "T: trip", "category": "excused_absence", "colour": "#00AA00"},
                       format="json").json()
    closure = client.post("/api/closures/", {"name": "Autumn", "first_day": "2030-10-26", "last_day": "2030-10-30"},
                          format="json").json()
    absence = client.post("/api/absences/", {"person": person.pk, "first_day": "2030-03-01", "last_day": "2030-03-05",
                                             "code": trip["id"], "reason": "museum"}, format="json").json()

    renamed = client.patch(f"/api/codes/{trip['id']}/", {"label": "T: school trip"}, format="json")
    used = client.delete(f"/api/codes/{trip['id']}/")
    shorter = client.patch(f"/api/absences/{absence['id']}/", {"last_day": "2030-03-02"}, format="json")

    assert trip["colour"] == "#00aa00" and closure["groups"] == []
    assert renamed.json()["label"] == "T: school trip"
    assert used.status_code == 400 and "cannot be deleted" in used.json()["non_field_errors"][0]
    assert shorter.json()["last_day"] == "2030-03-02"
    assert client.get(f"/api/absences/?person={person.pk}").json()[0]["reason"] == "museum"
    assert client.delete(f"/api/closures/{closure['id']}/").status_code == 204
