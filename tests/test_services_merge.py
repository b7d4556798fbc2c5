"""Merging two people who are one: photos, faces, attendance, strangers named as them, alert
rules and webhooks move to the one kept; attendance is rebuilt; the other is gone; audited. The
person page asks first. Photos held as each other are accepted once the two are one."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from attendance import services as attendance
from attendance.models import AttendanceRecord
from audit.models import AuditEntry
from faceapp.clock import site_date
from identity.models import FaceSample, MatchLog, Person
from identity.services.merge import people_merge
from integrations.models import AlertRule, Destination
from tests.review_data import at, make_log, make_person, make_provisional

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 2)


@pytest.fixture
def twice(media_root):
    """Ada enrolled twice: as AL (seen at 10:00) and as ADA-2 (seen at 08:00 and the next day)."""
    kept, merged = make_person("Ada Lovelace", "AL"), make_person("Ada L.", "ADA-2")
    faces = [make_log(seen_at=at(DAY, 10), person=kept), make_log(seen_at=at(DAY, 8), person=merged),
             make_log(seen_at=at(DAY + dt.timedelta(days=1), 9), person=merged)]
    for face in faces:
        attendance.attendance_recompute(person_id=face.person_id, day=site_date(face.created_at))
    return kept, merged, faces


def test_it_moves_photos_and_faces_to_the_person_kept(twice):
    kept, merged, faces = twice

    people_merge(keep=kept, drop=merged)

    assert FaceSample.objects.filter(person=kept).count() == 2
    assert set(MatchLog.objects.values_list("person_id", flat=True)) == {kept.pk}
    assert set(MatchLog.objects.values_list("assigned_id", flat=True)) == {"AL"}
    assert not Person.objects.filter(pk=merged.pk).exists()


def test_it_rebuilds_attendance_from_the_faces_moved(twice, committed):
    kept, merged, _ = twice

    with committed():
        people_merge(keep=kept, drop=merged)

    days = {record.day: record for record in AttendanceRecord.objects.all()}
    assert set(days) == {DAY, DAY + dt.timedelta(days=1)} and {r.person_id for r in days.values()} == {kept.pk}
    assert days[DAY].first_seen == at(DAY, 8)  # the earlier arrival, of the entry merged in


def test_it_moves_strangers_rules_and_webhooks(twice):
    kept, merged, _ = twice
    stranger = make_provisional("U-0001")
    stranger.promoted_to = merged
    stranger.save()
    rule = AlertRule.objects.create(name="Ada seen", kind=AlertRule.PERSON_SEEN, person=merged)
    hook = Destination.objects.create(name="Desk", url="https://desk.example.org/", event_types=["visit.named"])
    hook.people.add(merged)

    people_merge(keep=kept, drop=merged)

    stranger.refresh_from_db()
    assert stranger.promoted_to == kept and AlertRule.objects.get(pk=rule.pk).person == kept
    assert list(hook.people.all()) == [kept]


def test_it_writes_one_audit_entry_naming_the_person_kept(twice, admin_user):
    kept, merged, _ = twice
    number = merged.pk

    people_merge(keep=kept, drop=merged, actor=admin_user)

    (entry,) = AuditEntry.objects.filter(action=AuditEntry.PEOPLE_MERGED)
    assert (entry.person, entry.actor) == (kept, admin_user)
    assert entry.detail == f"#{number} merged in: 1 face samples, 2 match logs"


def test_it_refuses_to_merge_a_person_with_themselves(twice):
    kept, _, _ = twice
    with pytest.raises(ValidationError, match="themselves"):
        people_merge(keep=kept, drop=kept)


def test_it_asks_first_from_the_person_page_saying_who_and_what_moves(twice, client, operator_user):
    kept, merged, _ = twice
    client.force_login(operator_user)

    page = client.post(reverse("person-merge", args=[kept.pk]), {"other": "ADA-2"}).content.decode()

    assert "Merge Ada L. into Ada Lovelace?" in page
    assert "Ada L. (ADA-2) and Ada Lovelace (AL) are one person" in page and "photos (1), recognised faces (2)" in page
    assert 'name="confirm" value="yes"' in page and 'name="other" value="ADA-2"' in page
    assert Person.objects.filter(pk=merged.pk).exists()


def test_it_merges_from_the_person_page_once_confirmed(twice, client, operator_user):
    kept, merged, _ = twice
    client.force_login(operator_user)

    response = client.post(reverse("person-merge", args=[kept.pk]), {"other": "ADA-2", "confirm": "yes"}, follow=True)

    assert "Ada L. merged into Ada Lovelace" in response.content.decode()
    assert not Person.objects.filter(pk=merged.pk).exists()


def _held(person: Person, held_as: Person) -> FaceSample:
    """A photo of `person` held as `held_as` (identity.services.duplicates): out of the gallery."""
    sample = person.samples.get()
    sample.status, sample.held_as, sample.reason = FaceSample.HELD, held_as, f"already enrolled as {held_as.name}"
    sample.save(update_fields=["status", "held_as", "reason"])
    return sample


def test_it_accepts_the_photos_held_as_each_other_once_merged(twice):
    kept, merged, _ = twice
    grace = make_person("Grace")
    on_kept, on_merged, on_grace = _held(kept, merged), _held(merged, kept), _held(grace, merged)

    people_merge(keep=kept, drop=merged)

    for sample in (on_kept, on_merged, on_grace):
        sample.refresh_from_db()
    assert (on_kept.status, on_kept.held_as) == (on_merged.status, on_merged.held_as) == (FaceSample.ACCEPTED, None)
    assert (on_grace.status, on_grace.held_as) == (FaceSample.HELD, kept)  # held as the one kept now


def test_it_says_when_no_one_has_the_code_given(twice, client, operator_user):
    kept, _, _ = twice
    client.force_login(operator_user)

    response = client.post(reverse("person-merge", args=[kept.pk]), {"other": "NOBODY"}, follow=True)

    assert "Nobody enrolled has that code or ID." in response.content.decode()
    assert Person.objects.count() == 2


def test_it_merges_an_entry_without_a_code_by_its_p_number(twice, client, operator_user):
    kept, _, _ = twice
    other = make_person("Ada (no code)")
    client.force_login(operator_user)

    client.post(reverse("person-merge", args=[kept.pk]), {"other": f"p-{other.pk}", "confirm": "yes"})

    assert not Person.objects.filter(pk=other.pk).exists()


def test_it_merges_two_members_of_one_group_into_one_membership(twice):
    from attendance.models import Group

    kept, merged, _ = twice
    group = Group.objects.create(name="4B")
    group.members.add(kept, merged)

    people_merge(keep=kept, drop=merged)

    assert list(group.members.all()) == [kept]
