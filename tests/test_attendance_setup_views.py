"""The register's setup pages: who sees which groups (a responsible viewer theirs only, 404 for the
others; a viewer responsible for none nothing), and an operator setting up a group, its members,
a schedule with two sessions and a night shift, a planned absence and a camera's role."""

import datetime as dt

import pytest

from attendance.models import AttendanceCode, CameraRole, PlannedAbsence, Schedule
from attendance.setup import groups, schedules
from attendance.setup.schedules import SessionRow
from faceapp.clock import site_date
from tests import review_data

pytestmark = pytest.mark.django_db
TODAY = site_date()


@pytest.fixture
def two_groups(viewer_user):
    mine, theirs = groups.group_create(actor=None, name="7A"), groups.group_create(actor=None, name="7B")
    groups.group_responsible_set(actor=None, group=mine, users=[viewer_user])
    return mine, theirs


def _nav(response) -> str:
    html = response.content.decode()
    return html[html.index("<nav"):html.index("</nav>")]


def test_it_shows_a_responsible_viewer_their_groups_only(client, viewer_user, two_groups):
    mine, theirs = two_groups
    client.force_login(viewer_user)

    listed = client.get("/groups/")

    assert listed.status_code == 200 and "7A" in listed.content.decode() and "7B" not in listed.content.decode()
    assert "Groups" in _nav(listed)
    assert client.get(f"/groups/{mine.pk}/").status_code == 200
    assert client.get(f"/groups/{theirs.pk}/").status_code == 404
    assert client.get("/groups/999999/").status_code == 404  # the same answer as a group that is not theirs


def test_it_shows_a_viewer_responsible_for_no_group_nothing(client, django_user_model, two_groups):
    from django.contrib.auth.models import Group as Role

    other = django_user_model.objects.create_user(username="other-viewer")
    other.groups.add(Role.objects.get_or_create(name="viewer")[0])
    client.force_login(other)

    listed = client.get("/groups/")

    assert "You are responsible for no group." in listed.content.decode() and "Groups" not in _nav(listed)
    assert [client.get(f"/groups/{group.pk}/").status_code for group in two_groups] == [404, 404]


def test_it_refuses_a_viewer_any_change(client, viewer_user, two_groups):
    mine, _ = two_groups
    client.force_login(viewer_user)

    assert client.post("/groups/", {"name": "Mine", "kind": "class"}).status_code == 403
    assert client.post(f"/groups/{mine.pk}/", {"name": "Renamed", "kind": "class"}).status_code == 403
    assert client.post(f"/groups/{mine.pk}/members/", {"people": "A1"}).status_code == 403
    mine.refresh_from_db()
    assert mine.name == "7A"


def test_it_lets_an_operator_create_a_group_and_add_members_by_code(client, operator_user):
    ada, bob = review_data.make_person("Ada", code="A1"), review_data.make_person("Bob")
    client.force_login(operator_user)

    created = client.post("/groups/", {"name": "Night shift", "kind": "team"})
    group = groups.Group.objects.get(name="Night shift")
    refused = client.post(f"/groups/{group.pk}/members/", {"people": "A1, NOPE"}, follow=True)
    added = client.post(f"/groups/{group.pk}/members/", {"people": f"A1\nP-{bob.pk}"}, follow=True)
    taken = client.post("/groups/", {"name": "night SHIFT", "kind": "team"})

    assert created.status_code == 302 and created["Location"] == f"/groups/{group.pk}/"
    assert "Nobody enrolled is NOPE: nobody was added." in refused.content.decode()
    assert "2 added to Night shift." in added.content.decode()
    assert set(group.members.all()) == {ada, bob}
    assert taken.status_code == 200 and "There is a group called night SHIFT already." in taken.content.decode()


def _schedule_post(rows: list[tuple], **fields) -> dict:
    data = {"starts_on": TODAY.isoformat(), "grace_late": 5, "grace_early": 5, "absent_after": 30, "checkin_before": 60,
            "checkout_after": 240, "close_out": "session_end", "sessions-TOTAL_FORMS": len(rows) + 1,
            "sessions-INITIAL_FORMS": 0, "sessions-MIN_NUM_FORMS": 0, "sessions-MAX_NUM_FORMS": 1000, **fields}
    for index, (weekday, start, end, overnight) in enumerate(rows):
        data |= {f"sessions-{index}-weekday": weekday, f"sessions-{index}-start": start, f"sessions-{index}-end": end}
        if overnight:
            data[f"sessions-{index}-overnight"] = "on"
    data |= {f"sessions-{len(rows)}-weekday": "", f"sessions-{len(rows)}-start": "", f"sessions-{len(rows)}-end": ""}
    return data


def test_it_saves_a_schedule_of_session_rows_with_a_night_shift(client, operator_user):
    group = groups.group_create(actor=None, name="7A")
    client.force_login(operator_user)
    rows = [(0, "08:00", "12:00", False), (0, "13:00", "15:00", False), (4, "22:00", "06:00", True)]

    response = client.post(f"/groups/{group.pk}/schedules/new/", _schedule_post(rows))

    assert response.status_code == 302
    schedule = Schedule.objects.get(group=group)
    assert [(s.weekday, s.start.isoformat("minutes"), s.end.isoformat("minutes"), s.overnight)
            for s in schedule.sessions.all()] == [(0, "08:00", "12:00", False), (0, "13:00", "15:00", False),
                                                  (4, "22:00", "06:00", True)]
    page = client.get(f"/groups/{group.pk}/").content.decode()
    assert "in force" in page and "next day" in page


def test_it_keeps_what_was_typed_when_sessions_overlap_or_more_rows_are_asked(client, operator_user):
    group = groups.group_create(actor=None, name="7A")
    client.force_login(operator_user)
    rows = [(0, "22:00", "06:00", True), (1, "05:00", "09:00", False)]

    refused = client.post(f"/groups/{group.pk}/schedules/new/", _schedule_post(rows)).content.decode()
    more = client.post(f"/groups/{group.pk}/schedules/new/", _schedule_post(rows, more="1")).content.decode()

    assert "Monday 22:00–06:00 (overnight) overlaps Tuesday 05:00–09:00." in refused
    assert not Schedule.objects.exists()
    assert 'value="22:00"' in refused and 'value="05:00"' in refused
    assert 'value="22:00"' in more and more.count("data-session-row") == 2 + 1 + 3  # the rows, the blank one, 3 more


def test_it_sends_the_edit_of_a_past_schedule_to_a_new_one(client, operator_user):
    group = groups.group_create(actor=None, name="7A")
    past = schedules.schedule_create(actor=None, group=group, starts_on=TODAY - dt.timedelta(days=3),
                                     sessions=[SessionRow(0, dt.time(8), dt.time(12))])
    client.force_login(operator_user)

    response = client.get(f"/schedules/{past.pk}/", follow=True)

    assert response.redirect_chain == [(f"/groups/{group.pk}/schedules/new/", 302)]
    page = response.content.decode()
    assert "is never rewritten" in page and 'value="08:00"' in page  # the new one starts from its sessions


def test_it_plans_an_absence_from_a_persons_page_and_says_why_not(client, operator_user):
    ada = review_data.make_person("Ada", code="A1")
    sick = AttendanceCode.objects.get(label="S: sick")
    client.force_login(operator_user)
    page = f"/people/{ada.pk}/"
    assert "Plan an absence" in client.get(page).content.decode()

    refused = client.post("/absences/", {"person": "A1", "first_day": "2030-03-05", "last_day": "2030-03-01",
                                         "code": sick.pk, "next": page}, follow=True)
    planned = client.post("/absences/", {"person": "A1", "first_day": "2030-03-01", "last_day": "2030-03-05",
                                         "code": sick.pk, "reason": "flu", "next": page}, follow=True)

    assert refused.redirect_chain[-1][0] == page and "before it starts on 2030-03-05" in refused.content.decode()
    assert planned.redirect_chain[-1][0] == page and "flu" in planned.content.decode()
    assert PlannedAbsence.objects.get().reason == "flu"


def test_it_sets_a_cameras_role_from_its_settings_page(client, operator_user):
    camera = review_data.make_camera("Door")
    client.force_login(operator_user)
    assert "Attendance role" in client.get(f"/cameras/{camera.pk}/edit/").content.decode()

    client.post(f"/cameras/{camera.pk}/attendance-role/", {"role": "exit"})

    assert CameraRole.objects.get(camera=camera).role == "exit"
    assert 'value="exit" selected' in client.get(f"/cameras/{camera.pk}/edit/").content.decode()


def test_it_adds_a_closure_and_refuses_one_that_ends_before_it_starts(client, operator_user):
    client.force_login(operator_user)

    refused = client.post("/closures/", {"name": "Autumn", "first_day": "2030-10-30", "last_day": "2030-10-26"})
    added = client.post("/closures/", {"name": "Autumn", "first_day": "2030-10-26", "last_day": "2030-10-30"},
                        follow=True)

    assert "ends on 2030-10-26, before it starts on 2030-10-30" in refused.content.decode()
    assert "every group" in added.content.decode()
