"""identity.services.gallery: each generation's base is one file under FACEAPP_DATA_DIR,
memory-mapped, rebuilt when gallery_changed() starts a new generation, when the change log is
lost or when the delta outgrows the base; enrolments, deletions, deactivations and review
rejections reach every process through the change log without a rebuild, and it never names a person deleted or
deactivated before that."""

import json
import subprocess
import sys

import numpy as np
import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.utils import timezone

from faceapp.redis_client import redis_client
from identity.matching import MIN_CANDIDATES, REJECTION_PENALTY, live_gallery
from identity.models import FaceSample, MatchLog, Person, embedding_to_bytes
from identity.services import enrolment
from identity.services.gallery import (
    gallery_changed,
    gallery_current,
    gallery_forget,
    gallery_load,
    gallery_mapped,
    gallery_noted,
    gallery_path,
)
from identity.services.gallery_log import HEAD_KEY, LOG_KEY
from tests import celery_workers
from tests.review_data import engine_model_id, jpeg_bytes, make_log, make_person, unit_vector

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


def _enrolled(person: Person, seed: int, capture, *, flip_seed: int | None = None) -> FaceSample:
    """One more accepted sample of `person` (embedding unit_vector(seed)), noted as the services do."""
    with capture(execute=True):
        sample = FaceSample(person=person, status=FaceSample.ACCEPTED, model_id=engine_model_id(),
                            embedding=embedding_to_bytes(unit_vector(seed)), processed_at=timezone.now(),
                            flip_embedding=None if flip_seed is None else embedding_to_bytes(unit_vector(flip_seed)))
        sample.photo.save("photo.jpg", ContentFile(jpeg_bytes(48)), save=False)
        sample.save()
        gallery_noted(added=[sample.pk])
    return sample


def test_it_makes_an_enrolment_searchable_without_rebuilding_the_base(people, django_capture_on_commit_callbacks):
    before = gallery_current()
    inode = before.path.stat().st_ino
    newcomer = make_person("Newcomer", with_sample=False)

    sample = _enrolled(newcomer, newcomer.pk, django_capture_on_commit_callbacks)

    after = gallery_current()
    assert after.version != before.version and after.path == before.path and after.path.stat().st_ino == inode
    assert after.delta_rows.sample_ids.tolist() == [sample.pk] and after.base.sample_count == len(people)
    assert _named(after, newcomer) == newcomer.pk and newcomer.pk in after.person_ids


def test_it_never_names_a_deleted_sample_or_a_deactivated_person_right_after_the_change(
        people, django_capture_on_commit_callbacks):
    deleted, deactivated, kept = people[0], people[1], people[2]
    before = gallery_current()

    with django_capture_on_commit_callbacks(execute=True):
        enrolment.sample_delete(sample=deleted.samples.get())
        enrolment.person_update(person=deactivated, name=deactivated.name, code=None, active=False)

    after = gallery_current()
    assert after.path == before.path  # no rebuild
    faces = np.stack([unit_vector(p.pk) for p in (deleted, deactivated)])
    for match in after.search(faces) + after.search(faces, flip=True) + after.search(faces, exact=True):
        assert match.person_id not in (deleted.pk, deactivated.pk)
    assert not {deleted.pk, deactivated.pk} & set(after.person_ids.tolist())
    assert after.sample_count == len(people) - 2 and _named(after, kept) == kept.pk


def test_it_forgets_a_sample_deleted_from_the_delta(people, django_capture_on_commit_callbacks):
    newcomer = make_person("Newcomer", with_sample=False)
    sample = _enrolled(newcomer, newcomer.pk, django_capture_on_commit_callbacks)
    assert _named(gallery_current(), newcomer) == newcomer.pk

    with django_capture_on_commit_callbacks(execute=True):
        enrolment.sample_delete(sample=sample)

    after = gallery_current()
    assert _named(after, newcomer) != newcomer.pk and len(after.delta_rows) == 0


def test_it_never_names_an_erased_person_from_the_base_or_the_delta(people, django_capture_on_commit_callbacks):
    erased = people[0]
    gallery_current()
    _enrolled(erased, 10_000 + erased.pk, django_capture_on_commit_callbacks)  # one in the base, one in the delta
    before = gallery_current()
    assert len(before.delta_rows) == 1

    with django_capture_on_commit_callbacks(execute=True):
        enrolment.person_delete(person=erased)

    assert not before.path.exists()  # this machine's copy of their face, at once
    after = gallery_current()
    for match in after.search(np.stack([unit_vector(erased.pk), unit_vector(10_000 + erased.pk)])):
        assert match.person_id != erased.pk


def test_it_scores_a_person_with_samples_in_base_and_delta_by_their_best_sample(
        people, django_capture_on_commit_callbacks):
    person = people[0]
    _enrolled(person, 10_000, django_capture_on_commit_callbacks)
    _enrolled(people[1], 10_001, django_capture_on_commit_callbacks)
    live = gallery_current()
    reference = gallery_load(model_id=engine_model_id())  # everything from the database, one gallery
    rng = np.random.default_rng(0)
    base, delta = unit_vector(person.pk), unit_vector(10_000)
    faces = np.stack([base, delta, base + delta, base + 0.5 * delta, *rng.standard_normal((20, 512))]).astype(np.float32)

    found, expected = live.search(faces), reference.search(faces, exact=True)

    assert [m.person_id for m in found[:4]] == [person.pk] * 4
    for got, want in zip(found, expected):
        assert got.person_id == want.person_id
        assert got.similarity == pytest.approx(want.similarity, abs=1e-5)
        assert got.second_similarity == pytest.approx(want.second_similarity, abs=1e-5)


def test_it_searches_the_deltas_flip_embeddings(people, django_capture_on_commit_callbacks):
    newcomer = make_person("Newcomer", with_sample=False)
    _enrolled(newcomer, 20_000, django_capture_on_commit_callbacks, flip_seed=20_001)
    live = gallery_current()

    [flipped] = live.search(unit_vector(20_001), flip=True)
    [plain] = live.search(unit_vector(20_001))

    assert (flipped.person_id, round(flipped.similarity, 4)) == (newcomer.pk, 1.0)
    assert plain.person_id != newcomer.pk or plain.similarity < 0.5
    [want] = gallery_load(model_id=engine_model_id()).search(unit_vector(20_001), flip=True, exact=True)
    assert flipped.second_similarity == pytest.approx(want.second_similarity, abs=1e-5)


def test_it_rebuilds_from_the_database_when_the_change_log_is_lost(people, django_capture_on_commit_callbacks):
    first = make_person("First", with_sample=False)
    _enrolled(first, first.pk, django_capture_on_commit_callbacks)
    before = gallery_current()
    redis_client().delete(LOG_KEY)  # Redis lost it
    second = make_person("Second", with_sample=False)

    _enrolled(second, second.pk, django_capture_on_commit_callbacks)

    after = gallery_current()
    assert after.path != before.path and not before.path.exists() and len(after.delta_rows) == 0
    assert after.base.sample_count == len(people) + 2 and {_named(after, first), _named(after, second)} == {
        first.pk, second.pk}


def test_it_starts_a_new_generation_when_redis_forgot_the_head(people):
    before = gallery_current()
    redis_client().delete(HEAD_KEY, LOG_KEY)  # a restarted Redis without persistence

    after = gallery_current()

    assert after.path != before.path and after.base.sample_count == len(people)


def test_it_builds_a_new_base_when_the_delta_outgrows_it(people, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(live_gallery, "DELTA_MIN", 2)
    monkeypatch.setattr(live_gallery, "DELTA_MAX", 2)
    before = gallery_current()
    newcomers = [make_person(f"Newcomer {n}", with_sample=False) for n in range(3)]

    for newcomer in newcomers[:2]:
        _enrolled(newcomer, newcomer.pk, django_capture_on_commit_callbacks)
    assert gallery_current().path == before.path  # at the limit: still the delta
    _enrolled(newcomers[2], newcomers[2].pk, django_capture_on_commit_callbacks)

    after = gallery_current()
    assert after.path != before.path and not before.path.exists()
    assert len(after.delta_rows) == 0 and after.base.sample_count == len(people) + 3
    assert all(_named(after, p) == p.pk for p in newcomers)


@pytest.mark.django_db(transaction=True)
def test_it_shows_another_process_an_enrolment_and_a_deletion_without_a_rebuild(people):
    child = subprocess.Popen([sys.executable, "-m", "tests.gallery_process"], cwd=django_settings.BASE_DIR,
                             env=celery_workers.worker_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(person: Person) -> dict:
        child.stdin.write(f"{person.pk}\n")
        child.stdin.flush()
        return json.loads(child.stdout.readline())

    try:
        first = ask(people[0])
        newcomer = make_person("Newcomer", with_sample=False)
        sample = FaceSample.objects.create(person=newcomer, status=FaceSample.ACCEPTED, model_id=engine_model_id(),
                                           embedding=embedding_to_bytes(unit_vector(newcomer.pk)))
        gallery_noted(added=[sample.pk])  # autocommit: pushed at once
        enrolled = ask(newcomer)
        enrolment.sample_delete(sample=people[0].samples.get())
        deleted = ask(people[0])
    finally:
        child.stdin.close()
        child.wait(30)

    assert first["person_id"] == people[0].pk
    assert (enrolled["person_id"], enrolled["delta"]) == (newcomer.pk, [sample.pk])
    assert deleted["person_id"] != people[0].pk
    assert first["path"] == enrolled["path"] == deleted["path"] and first["inode"] == deleted["inode"]


def test_it_applies_a_rejection_to_base_and_delta_without_rebuilding(people, django_capture_on_commit_callbacks):
    person = people[0]
    _enrolled(person, 10_000, django_capture_on_commit_callbacks)  # samples in base and delta
    before = gallery_current()
    inode = before.path.stat().st_ino
    look_alike = unit_vector(person.pk) + unit_vector(10_000) + unit_vector(20_000)  # like both of their samples
    log = make_log(seen_at=timezone.now(), person=person)
    MatchLog.objects.filter(pk=log.pk).update(review_status=MatchLog.REJECTED, model_id=engine_model_id(),
                                              embedding=embedding_to_bytes(look_alike / np.linalg.norm(look_alike)))
    with django_capture_on_commit_callbacks(execute=True):
        gallery_noted(rejections=True)

    after = gallery_current()
    reference = gallery_load(model_id=engine_model_id())  # everything from the database, rejections included
    faces = np.stack([look_alike, unit_vector(person.pk), unit_vector(10_000)]).astype(np.float32)
    found, expected, unpenalised = after.search(faces), reference.search(faces, exact=True), before.search(faces)

    assert after.path == before.path and after.path.stat().st_ino == inode
    assert [(m.person_id, round(m.similarity, 5)) for m in found] == [
        (m.person_id, round(m.similarity, 5)) for m in expected]
    assert found[0].similarity == pytest.approx(unpenalised[0].similarity - REJECTION_PENALTY, abs=1e-5)
