"""identity.services.gallery: each version of the gallery is one file under FACEAPP_DATA_DIR,
memory-mapped, rebuilt when gallery_changed() moves the version, and it never names a person
deleted or deactivated before that."""

import numpy as np
import pytest

from identity.matching import MIN_CANDIDATES
from identity.models import Person
from identity.services import enrolment
from identity.services.gallery import gallery_changed, gallery_current, gallery_forget, gallery_mapped, gallery_path
from tests.review_data import engine_model_id, make_person, unit_vector

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(media_root) -> list[Person]:
    """More people than one search's candidates, so that the index (not a full scan) answers."""
    return [make_person(f"Person {n}") for n in range(MIN_CANDIDATES + 6)]


def _named(gallery, person: Person) -> int | None:
    [match] = gallery.search(unit_vector(person.pk))
    return match.person_id


def test_it_maps_the_gallery_from_its_versions_file(people, settings):
    gallery = gallery_current()

    path = gallery_path(model_id=engine_model_id(), version=gallery.version)
    assert path.is_file() and path.is_relative_to(settings.DATA_DIR)
    assert gallery.path == path and gallery.index is not None
    assert gallery.sample_count == len(people) and all(_named(gallery, p) == p.pk for p in people)


def test_it_never_names_a_deleted_or_deactivated_person_after_gallery_changed(
        people, django_capture_on_commit_callbacks):
    deleted, deactivated, kept = people[0], people[1], people[2]
    before = gallery_current()
    assert {_named(before, p) for p in (deleted, deactivated)} == {deleted.pk, deactivated.pk}

    with django_capture_on_commit_callbacks(execute=True):  # each calls gallery_changed() on commit
        enrolment.person_delete(person=deleted)
        enrolment.person_update(person=deactivated, name=deactivated.name, code=None, active=False)

    after = gallery_current()
    assert after.version != before.version
    assert not {deleted.pk, deactivated.pk} & set(after.person_ids.tolist())
    faces = np.stack([unit_vector(p.pk) for p in (deleted, deactivated)])
    for match in after.search(faces) + after.search(faces, flip=True):
        assert match.person_id not in (deleted.pk, deactivated.pk)
    assert _named(after, kept) == kept.pk
    assert not gallery_path(model_id=engine_model_id(), version=before.version).exists()  # the old file is gone


def test_it_builds_a_versions_file_once(people):
    first = gallery_current()
    path = gallery_path(model_id=engine_model_id(), version=first.version)
    built_at = path.stat().st_mtime_ns
    Person.objects.filter(pk=people[0].pk).update(active=False)  # no version bump: the file stands

    second = gallery_mapped(model_id=engine_model_id(), version=first.version)  # as another process would

    assert path.stat().st_mtime_ns == built_at and people[0].pk in second.person_ids


def test_it_reloads_from_the_database_after_gallery_forget_until_the_version_moves(people):
    gallery_current()
    Person.objects.filter(pk=people[0].pk).update(active=False)  # the version bump has not arrived yet

    gallery_forget()
    fresh = gallery_current()

    assert people[0].pk not in fresh.person_ids and fresh.path is None  # in this process only
    gallery_changed()
    assert gallery_current().path is not None


def test_it_removes_the_gallery_files_holding_an_erased_persons_face(people, django_capture_on_commit_callbacks):
    gallery = gallery_current()
    path = gallery_path(model_id=engine_model_id(), version=gallery.version)
    assert path.is_file()

    with django_capture_on_commit_callbacks(execute=True):
        enrolment.person_delete(person=people[0])

    assert not path.exists() and not list(path.parent.glob("*.gallery"))
    assert _named(gallery_current(), people[1]) == people[1].pk  # the next use builds the new version
