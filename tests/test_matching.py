"""identity.matching on synthetic embeddings: search, open-set decisions, provisional IDs."""

import itertools

import numpy as np
import pytest

from identity.matching import Gallery, StrangerRegistry, assign_identities, normalize_rows

RNG = np.random.default_rng(7)


def _near(vector, noise=0.3):
    return normalize_rows((vector + noise * RNG.standard_normal(vector.shape) / np.sqrt(vector.shape[-1]))[None])[0]


@pytest.fixture
def people():
    return normalize_rows(RNG.standard_normal((4, 512)))


def _labels():
    counter = itertools.count(1)
    return lambda: f"U-{next(counter):04d}"


def test_it_scores_each_person_by_their_best_sample(people):
    samples = np.vstack([people[0], _near(people[0]), people[1], people[2]])
    gallery = Gallery(samples, [10, 10, 11, 12])
    assert gallery.person_count == 3 and gallery.sample_count == 4
    [match] = gallery.search(_near(people[1]))
    assert match.person_id == 11
    assert match.similarity > 0.9
    assert abs(match.second_similarity) < 0.2


def test_it_agrees_with_a_brute_force_loop(people):
    samples = normalize_rows(RNG.standard_normal((50, 512)))
    ids = RNG.integers(0, 9, 50)
    queries = normalize_rows(RNG.standard_normal((7, 512)))
    matches = Gallery(samples, ids).search(queries)
    for query, match in zip(queries, matches):
        per_person = {pid: max(float(s @ query) for s, i in zip(samples, ids) if i == pid) for pid in set(ids)}
        ranked = sorted(per_person.items(), key=lambda kv: -kv[1])
        assert match.person_id == ranked[0][0]
        assert match.similarity == pytest.approx(ranked[0][1], abs=1e-5)
        assert match.second_similarity == pytest.approx(ranked[1][1], abs=1e-5)


def test_it_handles_an_empty_gallery_and_a_single_person(people):
    [empty] = Gallery.empty().search(people[0])
    assert empty.person_id is None and not empty.is_known(threshold=0.3, margin=0.05)
    [single] = Gallery(people[:1], [5]).search(people[0])
    assert single.person_id == 5 and single.is_known(threshold=0.3, margin=0.05)


def test_it_calls_an_ambiguous_face_unknown(people):
    twin = normalize_rows((people[0] + 0.05 * people[1])[None])[0]
    gallery = Gallery(np.vstack([people[0], twin]), [1, 2])
    [match] = gallery.search(people[0])
    assert match.similarity > 0.9
    assert not match.is_known(threshold=0.3, margin=0.05)


def test_it_names_known_faces_and_keeps_a_stranger_on_the_same_id(people):
    gallery = Gallery(people[:2], [1, 2])
    strangers = StrangerRegistry()
    new_label = _labels()
    frame1 = np.vstack([_near(people[0]), _near(people[3])])
    first = assign_identities(frame1, gallery=gallery, strangers=strangers, new_label=new_label, threshold=0.4)
    assert [a.assigned_id for a in first] == ["P-1", "U-0001"]
    assert first[1].new_stranger
    frame2 = np.vstack([_near(people[3]), _near(people[2])])
    second = assign_identities(frame2, gallery=gallery, strangers=strangers, new_label=new_label, threshold=0.4)
    assert [a.assigned_id for a in second] == ["U-0001", "U-0002"]
    assert not second[0].new_stranger and second[1].new_stranger


def test_it_never_gives_two_faces_of_one_frame_the_same_id(people):
    gallery = Gallery(people[:1], [1])
    strangers = StrangerRegistry()
    strangers.add("U-0009", people[3])
    frame = np.vstack([_near(people[0], 0.2), _near(people[0], 0.6), _near(people[3]), _near(people[3])])
    result = assign_identities(frame, gallery=gallery, strangers=strangers, new_label=_labels(), threshold=0.4)
    ids = [a.assigned_id for a in result]
    assert len(set(ids)) == 4
    assert ids[0] == "P-1" and "U-0009" in ids[2:]


def test_it_keeps_a_few_diverse_examples_per_stranger(people):
    strangers = StrangerRegistry(max_examples=3)
    strangers.add("U-0001", people[0])
    assert not strangers.remember("U-0001", people[0])  # a duplicate view adds nothing
    for _ in range(5):
        strangers.remember("U-0001", _near(people[0], 1.0))
    assert len(strangers.examples("U-0001")) == 3
