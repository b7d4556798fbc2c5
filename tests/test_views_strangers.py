"""The strangers page: unnamed strangers with their faces and how often they were seen this week;
likely pairs suggested and merged; a stranger named as a new person or an enrolled one."""

import datetime as dt

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from identity.models import MatchLog, Person, ProvisionalIdentity, embedding_to_bytes
from tests.review_data import make_log, make_person, make_provisional, unit_vector

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client, operator_user):
    client.force_login(operator_user)
    return client


def _twin(of: ProvisionalIdentity, label: str) -> ProvisionalIdentity:
    """Another stranger whose examples are nearly `of`'s: one person seen as two."""
    twin = make_provisional(label)
    vector = np.frombuffer(of.embeddings, np.float32) + 0.1 * unit_vector(99)
    twin.embeddings = embedding_to_bytes(vector / np.linalg.norm(vector))
    twin.save()
    return twin


def test_it_counts_a_strangers_sightings_this_week(operator, media_root):
    stranger = make_provisional("U-0001")
    now = timezone.now()
    for days_ago in (0, 1, 2, 9):
        make_log(seen_at=now - dt.timedelta(days=days_ago), provisional=stranger)

    response = operator.get(reverse("stranger-list"))

    (shown,) = response.context["strangers"]
    assert (shown.label, shown.seen_this_week, len(shown.face_ids)) == ("U-0001", 3, 4)


def test_it_suggests_merging_two_strangers_who_look_alike(operator, media_root):
    first = make_provisional("U-0001")
    _twin(first, "U-0002")
    make_provisional("U-0003")  # someone else

    pairs = operator.get(reverse("stranger-list")).context["pairs"]

    assert [{a.label, b.label} for (a, b), _ in pairs] == [{"U-0001", "U-0002"}]


def test_it_says_in_words_how_alike_a_suggested_pair_is_with_the_figures_kept(operator, media_root, settings):
    settings.FACEAPP_MATCH_THRESHOLD = 0.45
    first = make_provisional("U-0001")
    _twin(first, "U-0002")

    response = operator.get(reverse("stranger-list"))

    ((_, similarity),) = response.context["pairs"]
    assert similarity >= 0.45
    assert (f"as alike as two photos of one person (similarity {similarity:.2f}; a face is named from 0.45)"
            in response.content.decode())


def test_it_merges_two_strangers(operator, media_root):
    keep, drop = make_provisional("U-0001"), make_provisional("U-0002")
    face = make_log(seen_at=timezone.now(), provisional=drop)

    operator.post(reverse("stranger-merge"), {"keep": keep.pk, "drop": drop.pk})

    face.refresh_from_db()
    assert face.provisional == keep and not ProvisionalIdentity.objects.filter(pk=drop.pk).exists()


def test_it_names_a_stranger_as_a_new_person(operator, media_root):
    stranger = make_provisional("U-0001")
    face = make_log(seen_at=timezone.now(), provisional=stranger)

    response = operator.post(reverse("stranger-name", args=[stranger.pk]), {"name": "Grace Hopper", "code": "GH"})

    grace = Person.objects.get(code="GH")
    assert response.url == reverse("person-detail", args=[grace.pk])
    assert MatchLog.objects.get(pk=face.pk).reviewed_person == grace


def test_it_names_a_stranger_as_someone_enrolled(operator, media_root):
    ada, stranger = make_person("Ada Lovelace", "AL"), make_provisional("U-0001")
    face = make_log(seen_at=timezone.now(), provisional=stranger)

    operator.post(reverse("stranger-name", args=[stranger.pk]), {"existing": "AL"})

    assert MatchLog.objects.get(pk=face.pk).reviewed_person == ada
    assert ProvisionalIdentity.objects.get(pk=stranger.pk).promoted_to == ada


def test_it_refuses_a_name_and_a_code_of_someone_enrolled_at_once(operator, media_root):
    make_person("Ada Lovelace", "AL")
    stranger = make_provisional("U-0001")

    response = operator.post(reverse("stranger-name", args=[stranger.pk]), {"name": "Grace", "existing": "AL"},
                             follow=True)

    assert "one of the two" in response.content.decode()
    assert ProvisionalIdentity.objects.get(pk=stranger.pk).promoted_to is None


@pytest.fixture
def aaron_unnamed(aaron, media_root) -> ProvisionalIdentity:
    """A stranger whose face is Aaron Peirsol's other photo (seen before he was enrolled, say)."""
    from identity.face_engine import get_face_engine
    from tests import faces_data

    stranger = make_provisional("U-0007")
    log = make_log(seen_at=timezone.now(), provisional=stranger)
    (face,) = get_face_engine().analyze(faces_data.photo("lfw_person_a_2.jpg"))
    log.embedding = embedding_to_bytes(face.embedding)
    log.save(update_fields=["embedding"])
    return stranger


def test_it_holds_naming_a_stranger_who_is_someone_enrolled(operator, aaron, aaron_unnamed):
    response = operator.post(reverse("stranger-name", args=[aaron_unnamed.pk]), {"name": "Aaron Again"})

    assert response.status_code == 409
    assert response.context["held"].person == aaron and response.context["held"].similarity > 0.5
    html = response.content.decode()
    assert "They are Aaron Peirsol (AP)" in html and "Different people: enrol Aaron Again" in html
    assert list(Person.objects.all()) == [aaron]
    aaron_unnamed.refresh_from_db()
    assert aaron_unnamed.promoted_to is None


def test_it_names_a_held_stranger_as_the_person_enrolled(operator, aaron, aaron_unnamed):
    response = operator.post(reverse("stranger-name", args=[aaron_unnamed.pk]), {"existing": "AP"})

    assert response.status_code == 302 and response.url == reverse("person-detail", args=[aaron.pk])
    assert list(Person.objects.all()) == [aaron]
    assert MatchLog.objects.get(provisional=aaron_unnamed).reviewed_person == aaron


def test_it_enrols_a_held_stranger_confirmed_as_someone_else(operator, operator_user, aaron, aaron_unnamed):
    from audit.models import AuditEntry
    from identity.models import DistinctPeople
    from tests.duplicates_data import people_named_as_each_other

    response = operator.post(reverse("stranger-name", args=[aaron_unnamed.pk]),
                             {"name": "Aaron's Twin", "different_from": aaron.pk})

    twin = Person.objects.get(name="Aaron's Twin")
    assert response.status_code == 302 and response.url == reverse("person-detail", args=[twin.pk])
    assert DistinctPeople.objects.filter(first=aaron, second=twin, confirmed_by=operator_user).exists()
    assert AuditEntry.objects.filter(action=AuditEntry.PEOPLE_DISTINCT, person=twin).exists()
    assert people_named_as_each_other() == set()
