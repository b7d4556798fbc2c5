"""The audit log: each audited action writes one entry naming the acting user; an erased
person's entries stay, without their name or face; admins read it filtered."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance import corrections
from attendance.models import AttendanceCode, Group
from attendance.setup import calendar, groups, schedules
from audit.models import AuditEntry
from faceapp.clock import site_date
from identity.forms import CameraEditForm, CameraForm
from identity.models import FaceSample
from identity.services import accounts, calibration, cameras, duplicates, enrolment, review
from identity.services.merge import people_merge
from imports.services import import_create
from tests import faces_data, review_data

E2E = faces_data.FIXTURES / "e2e"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _photo():
    return ("ada.jpg", faces_data.photo("lfw_person_a_1.jpg"))


def _ada():
    _ada.last = review_data.make_person("Ada Lovelace", "A1")
    return _ada.last


ACTIONS = {
    AuditEntry.PERSON_CREATED: lambda actor, _: enrolment.person_enroll(
        name="Ada", consent=True, photos=[_photo()], actor=actor),
    AuditEntry.PERSON_EDITED: lambda actor, _: enrolment.person_update(
        person=_ada(), name="Ada King", code="A1", active=True, actor=actor),
    AuditEntry.PHOTOS_ADDED: lambda actor, _: enrolment.photos_add(person=_ada(), photos=[_photo()], actor=actor),
    AuditEntry.PHOTO_DELETED: lambda actor, _: enrolment.sample_delete(sample=_ada().samples.get(), actor=actor),
    AuditEntry.PERSON_ERASED: lambda actor, _: enrolment.person_delete(person=_ada(), actor=actor),
    AuditEntry.REVIEW_DECIDED: lambda actor, _: review.log_reject(
        log=review_data.make_log(seen_at=timezone.now(), person=_ada()), user=actor),
    AuditEntry.STRANGER_NAMED: lambda actor, _: review.provisional_promote(
        provisional=_stranger(), name="Grace", user=actor),
    AuditEntry.REVIEW_UNDONE: lambda actor, _: review.log_review_undo(log=review.log_reject(
        log=review_data.make_log(seen_at=timezone.now(), person=_ada()), user=None), user=actor),
    AuditEntry.STRANGERS_MERGED: lambda actor, _: review.provisional_merge(
        keep=_stranger(), drop=review_data.make_provisional("U-0043"), user=actor),
    AuditEntry.PEOPLE_MERGED: lambda actor, _: people_merge(
        keep=_ada(), drop=review_data.make_person("Ada again", "A2"), actor=actor),
    AuditEntry.PEOPLE_DISTINCT: lambda actor, _: duplicates.people_distinct(
        person=_ada(), other=review_data.make_person("Ada's twin", "A3"), actor=actor),
    AuditEntry.PEOPLE_IMPORTED: lambda actor, _: import_create(actor=actor, consent=True, folder=str(E2E)),
    AuditEntry.THRESHOLD_CHANGED: lambda actor, _: calibration.threshold_apply(threshold=0.4, user=actor),
    AuditEntry.CAMERA_TOKEN_ROTATED: lambda actor, _: cameras.camera_token_rotate(
        camera=review_data.make_camera(), actor=actor),
    AuditEntry.CAMERA_CREATED: lambda actor, _: cameras.camera_save(form=_camera_form(), actor=actor),
    AuditEntry.CAMERA_EDITED: lambda actor, _: cameras.camera_save(
        form=_camera_form(review_data.make_camera("Door"), name="Front door", active="on"), actor=actor),
    AuditEntry.CAMERA_ACTIVE_SET: lambda actor, _: cameras.camera_save(
        form=_camera_form(review_data.make_camera("Door")), actor=actor),
    AuditEntry.CAMERA_DELETED: lambda actor, _: cameras.camera_delete(camera=review_data.make_camera(), actor=actor),
    AuditEntry.USER_CREATED: lambda actor, _: accounts.user_create(actor=actor, username="olive", role="viewer"),
    AuditEntry.USER_ROLE_SET: lambda actor, other: accounts.user_role_set(actor=actor, user=other, role="operator"),
    AuditEntry.USER_ACTIVE_SET: lambda actor, other: accounts.user_active_set(actor=actor, user=other, active=False),
    AuditEntry.USER_PASSWORD_RESET: lambda actor, other: accounts.user_password_reset(actor=actor, user=other),
    AuditEntry.PASSWORD_CHANGED: lambda actor, _: accounts.own_password_change(user=actor, password="new-one-42"),
    AuditEntry.PASSWORD_RESET_DONE: lambda actor, _: accounts.own_password_reset(user=actor, password="new-one-42"),
    AuditEntry.API_TOKEN_CREATED: lambda actor, other: accounts.api_token_create(user=other, name="kiosk", actor=actor),
    AuditEntry.API_TOKEN_REVOKED: lambda actor, other: accounts.api_token_revoke(
        token=accounts.api_token_create(user=other, name="kiosk")[0], actor=actor),
    AuditEntry.GROUP_SAVED: lambda actor, _: groups.group_create(actor=actor, name="7A"),
    AuditEntry.GROUP_DELETED: lambda actor, _: groups.group_delete(actor=actor, group=_group()),
    AuditEntry.GROUP_MEMBER_ADDED: lambda actor, _: groups.group_members_add(actor=actor, group=_group(),
                                                                             people=[_ada()]),
    AuditEntry.GROUP_MEMBER_REMOVED: lambda actor, _: groups.group_members_remove(actor=actor, group=_group(_ada()),
                                                                                  people=[_ada.last]),
    AuditEntry.GROUP_RESPONSIBLE_SET: lambda actor, other: groups.group_responsible_set(
        actor=actor, group=_group(), users=[other]),
    AuditEntry.SCHEDULE_SAVED: lambda actor, _: schedules.schedule_create(
        actor=actor, group=_group(), starts_on=_tomorrow(), sessions=[_session()]),
    AuditEntry.SCHEDULE_DELETED: lambda actor, _: schedules.schedule_delete(actor=actor, schedule=_schedule()),
    AuditEntry.CLOSURE_SAVED: lambda actor, _: calendar.closure_create(
        actor=actor, name="Autumn break", first_day=_tomorrow(), last_day=_tomorrow()),
    AuditEntry.CLOSURE_DELETED: lambda actor, _: calendar.closure_delete(actor=actor, closure=calendar.closure_create(
        actor=None, name="Autumn break", first_day=_tomorrow(), last_day=_tomorrow())),
    AuditEntry.CODE_SAVED: lambda actor, _: calendar.code_create(actor=actor, label="T", category="excused_absence"),
    AuditEntry.CODE_DELETED: lambda actor, _: calendar.code_delete(actor=actor, code=calendar.code_create(
        actor=None, label="T", category="excused_absence")),
    AuditEntry.ABSENCE_SAVED: lambda actor, _: calendar.absence_create(
        actor=actor, person=_ada(), first_day=_tomorrow(), last_day=_tomorrow(), code=_sick()),
    AuditEntry.ABSENCE_DELETED: lambda actor, _: calendar.absence_delete(actor=actor, absence=calendar.absence_create(
        actor=None, person=_ada(), first_day=_tomorrow(), last_day=_tomorrow(), code=_sick())),
    AuditEntry.CAMERA_ROLE_SET: lambda actor, _: calendar.camera_role_set(
        actor=actor, camera=review_data.make_camera(), role="entry"),
    AuditEntry.ATTENDANCE_MARKED: lambda actor, _: corrections.day_mark(
        person=_ada(), day=dt.date(2026, 3, 2), status="absent", actor=actor),
    AuditEntry.ATTENDANCE_UNMARKED: lambda actor, _: corrections.mark_remove(
        mark=corrections.day_mark(person=_ada(), day=dt.date(2026, 3, 2), status="absent", actor=None), actor=actor),
}


def _camera_form(camera=None, **data):
    """A checked camera form: a new webcam "Door", or `camera` edited (no "active": switched off)."""
    form_class = CameraEditForm if camera is not None else CameraForm
    form = form_class({"name": "Door", "kind": "webcam", "fps": 5, "poll_seconds": 2, "motion_gate": "on", **data}, instance=camera,
                      video_dir="")
    assert form.is_valid(), form.errors
    return form


def _group(*members):
    group = Group.objects.create(name="7A")
    group.members.add(*members)
    return group


def _tomorrow() -> dt.date:
    return site_date() + dt.timedelta(days=1)


def _session() -> schedules.SessionRow:
    return schedules.SessionRow(0, dt.time(8), dt.time(12), False)


def _schedule():
    return schedules.schedule_create(actor=None, group=_group(), starts_on=_tomorrow(), sessions=[_session()])


def _sick():
    return AttendanceCode.objects.get_or_create(label="Sick leave", defaults={"category": "excused_absence"})[0]


def _stranger():
    provisional = review_data.make_provisional("U-0042")
    review_data.make_log(seen_at=timezone.now(), provisional=provisional)
    return provisional


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_it_writes_one_entry_naming_the_acting_user(action, admin_user, viewer_user, media_root,
                                                     django_capture_on_commit_callbacks):
    earlier = list(AuditEntry.objects.values_list("pk", flat=True))  # a setup step may be audited too
    with django_capture_on_commit_callbacks(execute=True):
        ACTIONS[action](admin_user, viewer_user)

    (entry,) = AuditEntry.objects.filter(action=action).exclude(pk__in=earlier)
    assert (entry.actor, entry.actor_name) == (admin_user, "admin")


# Written by the system, not by a user's action: tested where they happen.
SYSTEM_ACTIONS = {
    AuditEntry.SIGN_IN_LOCKED,  # tests/test_hardening_login.py
    AuditEntry.PASSWORD_RESET_SENT,  # asked for by someone not signed in: tests/test_views_password_reset.py
}


def test_it_audits_every_action_it_names():
    assert set(ACTIONS) | SYSTEM_ACTIONS == {value for value, _ in AuditEntry.ACTION_CHOICES}


def test_it_keeps_an_erased_persons_entries_without_their_name_or_face(admin_user, admin_client, media_root,
                                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ada, _ = enrolment.person_enroll(name="Ada Lovelace", code="AL-7", consent=True, photos=[_photo()],
                                         actor=admin_user)
        enrolment.person_update(person=ada, name="Ada King", code="AL-7", active=True, actor=admin_user)
        number = ada.pk
        enrolment.person_delete(person=ada, actor=admin_user)

    entries = AuditEntry.objects.filter(person_ref=number).order_by("id")
    assert [entry.action for entry in entries] == [
        AuditEntry.PERSON_CREATED, AuditEntry.PERSON_EDITED, AuditEntry.PERSON_ERASED]
    assert all(entry.person is None and entry.actor == admin_user for entry in entries)
    page = admin_client.get(reverse("audit-log")).content.decode()
    assert page.count(f"erased person #{number}") == 3
    assert "Ada" not in page and "AL-7" not in page and not FaceSample.objects.exists()


def test_it_shows_the_log_to_admins_filtered_by_action(admin_user, admin_client, viewer_user):
    accounts.user_role_set(actor=admin_user, user=viewer_user, role="operator")
    accounts.user_password_reset(actor=admin_user, user=viewer_user)

    page = admin_client.get(reverse("audit-log"), {"action": AuditEntry.USER_ROLE_SET}).content.decode()

    assert page.count('<tr data-action="user.role_set">') == 1 and "viewer → operator" in page
    assert 'data-action="user.password_reset"' not in page
