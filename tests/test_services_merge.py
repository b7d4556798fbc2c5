"""Merging two people who are one: photos, faces, attendance, strangers named as them, alert
rules and webhooks move to the one kept; attendance is rebuilt; the other is gone; audited. The
person page asks first. "Looks like X, already enrolled" notes end when X is merged or erased."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from attendance import services as attendance
from attendance.models import AttendanceRecord
from audit.models import AuditEntry
from faceapp.clock import site_date
from identity.models import FaceSample, MatchLog, Person
from identity.services.erasure import person_erase as erase_person
from identity.services.merge import people_merge
from identity.services.sample_notes import duplicate_note
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


def _noted(person: Person, looks_like: Person) -> FaceSample:
    """An accepted photo of `person` noted as looking like `looks_like` (identity.services.enrolment)."""
    sample = person.samples.get()
    sample.reason = duplicate_note(name=looks_like.name, similarity=0.52)
    sample.save(update_fields=["reason"])
    return sample


def test_it_ends_the_looks_like_notes_a_merge_makes_stale(twice):
    kept, merged, _ = twice
    grace = make_person("Grace")
    on_kept, on_merged, on_grace = _noted(kept, merged), _noted(merged, kept), _noted(grace, merged)

    people_merge(keep=kept, drop=merged)

    for sample in (on_kept, on_merged, on_grace):
        sample.refresh_from_db()
    assert on_kept.reason == on_merged.reason == ""  # one person now
    assert on_grace.reason.startswith("looks like Ada Lovelace, already enrolled (similarity 0.52)")


def test_it_ends_the_looks_like_notes_naming_a_person_erased(twice):
    kept, merged, _ = twice
    on_kept = _noted(kept, merged)

    erase_person(person=merged)

    on_kept.refresh_from_db()
    assert on_kept.reason == "" and on_kept.status == FaceSample.ACCEPTED


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
