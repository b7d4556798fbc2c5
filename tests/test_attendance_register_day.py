"""A group's daily register page (/groups/<id>/register/<day>/) and the corrections made from it:
a responsible viewer reads and corrects only their groups (404 for the others, nothing written);
each mark, of one member or the whole group, and each mark taken back is one audit entry; a
refusal is the service's sentence."""

import datetime as dt

import pytest

from attendance import rules
from attendance.models import AttendanceEvent, RegisterDay
from audit.models import AuditEntry
from faceapp.clock import site_date
from tests.register_data import NOV_2, NOV_3, class_of, november, table_cells

pytestmark = pytest.mark.django_db


@pytest.fixture
def classes(viewer_user, admin_user, media_root):
    mine, theirs = class_of("4B"), class_of("4C")
    mine.responsible.add(viewer_user)
    ada, bea, sick = november(mine, admin_user)
    theirs.members.add(ada)
    return mine, theirs, ada, bea, sick


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_it_shows_a_responsible_viewer_their_groups_day_only(client, viewer_user, classes):
    mine, theirs, *_ = classes
    client.force_login(viewer_user)

    page = client.get(f"/groups/{mine.pk}/register/{NOV_3}/")

    assert page.status_code == 200
    rows = table_cells(page.content.decode(), "register")
    assert [row[:2] for row in rows[1:]] == [["Ada A1", "Late"], ["Bea =B2", "Excused · S"]]
    assert rows[1][4] == "20" and rows[2][7].startswith("✎ marked")
    assert [page.context["counts"][name] for name in ("expected", "in", "late", "excused", "absent")] == [2, 1, 1, 1, 0]
    assert client.get(f"/groups/{theirs.pk}/register/{NOV_3}/").status_code == 404
    assert client.get(f"/groups/{theirs.pk}/register/").status_code == 404
    assert client.get(f"/groups/{mine.pk}/register/2026-02-30/").status_code == 404


def test_it_marks_a_member_with_one_audit_entry(client, viewer_user, classes):
    mine, _, ada, _, sick = classes
    client.force_login(viewer_user)

    response = client.post(f"/groups/{mine.pk}/register/{NOV_2}/mark/",
                           {"person": ada.pk, "status": rules.ABSENT, "code": sick.pk, "reason": "went home"},
                           follow=True)

    assert _messages(response) == ["Ada marked absent."]
    row = RegisterDay.objects.get(person=ada, group=mine, day=NOV_2)
    assert (row.status, row.marked, row.code) == (rules.ABSENT, True, sick)
    entry = AuditEntry.objects.get(action=AuditEntry.ATTENDANCE_MARKED, person=ada)
    assert entry.actor == viewer_user and entry.detail == f"{NOV_2}: Present → Absent, Present ([S] went home)"


def test_it_marks_the_whole_group_one_audit_entry_each(client, viewer_user, classes):
    mine, *_ = classes
    client.force_login(viewer_user)

    response = client.post(f"/groups/{mine.pk}/register/{NOV_2}/mark/", {"person": "", "status": rules.PRESENT},
                           follow=True)

    assert _messages(response) == ["2 in 4B marked present."]
    assert AuditEntry.objects.filter(action=AuditEntry.ATTENDANCE_MARKED, actor=viewer_user).count() == 2
    assert set(RegisterDay.objects.filter(group=mine, day=NOV_2).values_list("status", "marked")) == {
        (rules.PRESENT, True)}


def test_it_says_the_services_sentence_for_a_day_to_come(client, viewer_user, classes):
    mine, _, ada, _, _ = classes
    client.force_login(viewer_user)
    day = site_date() + dt.timedelta(days=1)
    response = client.post(f"/groups/{mine.pk}/register/{day}/mark/", {"person": ada.pk, "status": rules.ABSENT},
                           follow=True)

    assert _messages(response) == [f"{day} is in the future: a day is corrected once it has begun (a planned "
                                   "absence says ahead of time that someone will be away)."]
    assert not AttendanceEvent.objects.filter(kind=AttendanceEvent.MARK, day=day).exists()


def test_it_takes_a_mark_back_with_one_audit_entry(client, viewer_user, classes):
    mine, _, _, bea, _ = classes
    mark = AttendanceEvent.objects.get(kind=AttendanceEvent.MARK, person=bea)
    client.force_login(viewer_user)
    page = client.get(f"/groups/{mine.pk}/register/{NOV_3}/")
    assert f"/groups/{mine.pk}/marks/{mark.pk}/remove/" in page.content.decode()

    response = client.post(f"/groups/{mine.pk}/marks/{mark.pk}/remove/", follow=True)

    assert _messages(response) == ["The mark on Bea's day was taken back."]
    assert RegisterDay.objects.get(person=bea, group=mine, day=NOV_3).status == rules.ABSENT
    assert AuditEntry.objects.filter(action=AuditEntry.ATTENDANCE_UNMARKED, actor=viewer_user).count() == 1


def test_it_refuses_a_viewer_correcting_another_group(client, viewer_user, classes):
    _, theirs, ada, bea, _ = classes
    mark = AttendanceEvent.objects.get(kind=AttendanceEvent.MARK, person=bea)
    theirs.members.add(bea)
    client.force_login(viewer_user)

    marked = client.post(f"/groups/{theirs.pk}/register/{NOV_2}/mark/", {"person": ada.pk, "status": rules.ABSENT})
    taken_back = client.post(f"/groups/{theirs.pk}/marks/{mark.pk}/remove/")

    assert (marked.status_code, taken_back.status_code) == (404, 404)
    assert AttendanceEvent.objects.filter(kind=AttendanceEvent.MARK, voided_at__isnull=True).count() == 1
    assert not AuditEntry.objects.filter(actor=viewer_user).exists()


def test_it_offers_the_correction_form_to_an_operator(client, operator_user, classes):
    """Operators read and correct every group."""
    mine, *_ = classes
    client.force_login(operator_user)

    page = client.get(f"/groups/{mine.pk}/register/{NOV_3}/").content.decode()

    assert 'id="correct"' in page and "The whole group" in page
