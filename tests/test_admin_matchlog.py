"""The Django admin for match logs (and the other models): thumbnails through the checked
media views, filters, search, and every review action through the review services."""

import datetime as dt

import pytest

from attendance.models import AttendanceRecord
from identity.models import FaceSample, MatchLog, MatchLogReview, Person, Snapshot
from tests.review_data import at, make_camera, make_log, make_person, make_provisional

DAY = dt.date(2026, 3, 9)
CHANGELIST = "/admin/identity/matchlog/"

pytestmark = pytest.mark.django_db


def _act(admin_client, action: str, logs, **extra):
    data = {"action": action, "_selected_action": [str(log.pk) for log in logs], **extra}
    return admin_client.post(CHANGELIST, data, follow=True)


@pytest.fixture
def people(media_root):
    return make_person("Alice", "A1"), make_person("Bob", "B2")


def test_it_shows_the_face_beside_the_enrolled_face(people, admin_client):
    alice, bob = people
    known = make_log(seen_at=at(DAY, 9), person=alice, similarity=0.44)
    unknown = make_log(seen_at=at(DAY, 10), best_person=bob, similarity=0.12)

    html = admin_client.get(CHANGELIST).content.decode()

    assert f'src="/media/logs/{known.pk}/crop"' in html and f'src="/media/logs/{unknown.pk}/crop"' in html
    assert f'src="/media/samples/{alice.samples.get().pk}/crop"' in html
    assert f'src="/media/samples/{bob.samples.get().pk}/crop"' in html
    assert "0.440" in html and "embedding" not in html.lower()


def test_it_filters_and_searches(people, admin_client):
    alice, bob = people
    hall = make_camera("Hall")
    low = make_log(seen_at=at(DAY, 9), best_person=bob, similarity=0.05)
    mid = make_log(seen_at=at(DAY, 9), person=alice, similarity=0.35, camera=hall)
    high = make_log(seen_at=at(DAY, 9), person=bob, similarity=0.7)
    MatchLog.objects.filter(pk=high.pk).update(review_status=MatchLog.CONFIRMED)

    def shown(params):
        return {log.pk for log in admin_client.get(CHANGELIST, params).context["cl"].result_list}

    assert shown({"similarity": "30-40"}) == {mid.pk}
    assert shown({"similarity": "lt10"}) == {low.pk}
    assert shown({"reviewed": "no"}) == {low.pk, mid.pk}
    assert shown({"reviewed": "yes"}) == {high.pk}
    assert shown({"decision": "unknown"}) == {low.pk}
    assert shown({"snapshot__camera__id__exact": str(hall.pk)}) == {mid.pk}
    assert shown({"q": "Alice"}) == {mid.pk}
    assert shown({"q": "B2"}) == {high.pk}
    assert shown({"created_at__day": "9", "created_at__month": "3", "created_at__year": "2026"}) == {low.pk, mid.pk, high.pk}


def test_it_confirms_and_rejects_recording_who(people, admin_client, admin_user, committed):
    alice, _ = people
    first, second = make_log(seen_at=at(DAY, 8), person=alice), make_log(seen_at=at(DAY, 12), person=alice)

    with committed():
        _act(admin_client, "confirm", [first, second])
    assert AttendanceRecord.objects.get(person=alice).last_seen == at(DAY, 12)
    with committed():
        response = _act(admin_client, "reject", [second])

    assert "Rejected 1 face(s)." in response.content.decode()
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.review_status, first.reviewed_by) == (MatchLog.CONFIRMED, admin_user)
    assert (second.review_status, second.person) == (MatchLog.REJECTED, alice)
    record = AttendanceRecord.objects.get(person=alice)
    assert (record.first_seen, record.last_seen) == (at(DAY, 8), at(DAY, 8))


def test_it_reassigns_through_a_form_page(people, admin_client, committed):
    alice, bob = people
    log = make_log(seen_at=at(DAY, 9), person=alice)

    page = _act(admin_client, "reassign", [log])
    assert page.status_code == 200 and 'name="person"' in page.content.decode()
    assert MatchLog.objects.get(pk=log.pk).review_status == MatchLog.UNREVIEWED

    with committed():
        _act(admin_client, "reassign", [log], apply="1", person=str(bob.pk), note="twin")

    log.refresh_from_db()
    assert (log.review_status, log.reviewed_person, log.review_note) == (MatchLog.REASSIGNED, bob, "twin")
    assert AttendanceRecord.objects.get(day=DAY).person == bob


def test_it_promotes_a_provisional_id_through_a_form_page(media_root, admin_client, committed):
    stranger = make_provisional("U-0042")
    faces = [make_log(seen_at=at(DAY, hour), provisional=stranger, similarity=0.1) for hour in (9, 14)]

    page = _act(admin_client, "promote_provisional", faces[:1])
    assert "Make U-0042 a person" in page.content.decode()
    refused = _act(admin_client, "promote_provisional", faces[:1], apply="1", name="Erin")  # no consent
    assert not Person.objects.filter(name="Erin").exists() and "This field is required" in refused.content.decode()

    with committed():
        done = _act(admin_client, "promote_provisional", faces[:1], apply="1", name="Erin", code="E5", consent="on")

    assert "U-0042 is now Erin (E5)" in done.content.decode()
    erin = Person.objects.get(code="E5")
    assert set(MatchLog.objects.filter(reviewed_person=erin)) == set(faces)
    assert erin.samples.filter(status=FaceSample.ACCEPTED).count() == 2
    record = AttendanceRecord.objects.get(person=erin)
    assert (record.first_seen, record.last_seen) == (at(DAY, 9), at(DAY, 14))


def test_it_adds_a_face_as_a_sample(people, admin_client):
    alice, _ = people
    log = make_log(seen_at=at(DAY, 9), person=alice)
    unknown = make_log(seen_at=at(DAY, 9), similarity=0.02)

    response = _act(admin_client, "add_as_sample", [log, unknown])

    html = response.content.decode()
    assert "Enrolled 1 face(s)." in html and "not assigned to anyone" in html
    assert alice.samples.filter(source="review").count() == 1
    assert list(MatchLogReview.objects.values_list("action", flat=True)) == ["add_sample"]


def test_it_keeps_history_read_only(people, admin_client):
    alice, _ = people
    log = make_log(seen_at=at(DAY, 9), person=alice)
    assert admin_client.get(f"{CHANGELIST}{log.pk}/delete/").status_code == 403
    admin_client.post(f"{CHANGELIST}{log.pk}/change/", {"person": "", "decision": "unknown"})
    log.refresh_from_db()
    assert (log.person, log.decision) == (alice, MatchLog.KNOWN)
    assert admin_client.get(f"{CHANGELIST}{log.pk}/change/").status_code == 200


def test_it_registers_the_other_models_without_embeddings(people, admin_client):
    make_log(seen_at=at(DAY, 9), person=people[0])
    for path in ("identity/person", "identity/facesample", "identity/camera", "identity/snapshot",
                 "identity/provisionalidentity", "attendance/attendancerecord"):
        response = admin_client.get(f"/admin/{path}/")
        assert response.status_code == 200, path
    sample = people[0].samples.get()
    html = admin_client.get(f"/admin/identity/facesample/{sample.pk}/change/").content.decode()
    assert "embedding" not in html.lower() and f"/media/samples/{sample.pk}/crop" in html


def test_it_retries_failed_snapshots(media_root, admin_client, django_capture_on_commit_callbacks):
    log = make_log(seen_at=at(DAY, 9), similarity=0.02)
    failed = log.snapshot
    Snapshot.objects.filter(pk=failed.pk).update(status=Snapshot.FAILED, error="boom")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        admin_client.post("/admin/identity/snapshot/", {"action": "retry_failed", "_selected_action": [str(failed.pk)]})

    failed.refresh_from_db()
    assert (failed.status, failed.error) == (Snapshot.PENDING, "")
    assert len(callbacks) == 1  # the task is queued once the reset is committed


def test_it_keeps_staff_without_the_admin_role_out(client, operator_user):
    operator_user.is_staff = True
    operator_user.save()
    client.force_login(operator_user)

    response = client.get(CHANGELIST)

    assert response.status_code == 302 and response.url.startswith("/admin/login/")
