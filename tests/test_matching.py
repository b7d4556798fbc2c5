"""identity.matching on synthetic embeddings: search, open-set decisions, provisional IDs."""

import itertools

import numpy as np
import pytest

from identity.matching import (
    REJECTION_PENALTY,
    Gallery,
    PersonMatch,
    StrangerRegistry,
    assign_identities,
    decision_close,
    refine_matches,
)
from identity.vision.embedder import l2_normalize

RNG = np.random.default_rng(7)


def _near(vector, noise=0.3):
    return l2_normalize((vector + noise * RNG.standard_normal(vector.shape) / np.sqrt(vector.shape[-1]))[None])[0]


@pytest.fixture
def people():
    return l2_normalize(RNG.standard_normal((4, 512)))


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
    samples = l2_normalize(RNG.standard_normal((50, 512)))
    ids = RNG.integers(0, 9, 50)
    queries = l2_normalize(RNG.standard_normal((7, 512)))
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
    twin = l2_normalize((people[0] + 0.05 * people[1])[None])[0]
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


def test_it_scores_flip_queries_against_the_samples_flip_embeddings(people):
    plain, flips = people[:3], l2_normalize(people[:3] + 0.5 * people[3])
    gallery = Gallery(plain, [7, 8, 9], flip_embeddings=flips)
    [by_plain] = gallery.search(flips[1])
    [by_flip] = gallery.search(flips[1], flip=True)
    assert by_flip.person_id == 8 and by_flip.similarity == pytest.approx(1.0, abs=1e-5)
    assert by_plain.similarity < 0.95
    assert np.allclose(Gallery(plain, [7, 8, 9]).flip_matrix, plain)  # no flip embeddings: the plain ones stand in


def test_it_can_leave_one_person_out_of_a_search(people):
    gallery = Gallery(np.vstack([people[0], _near(people[0]), people[1]]), [1, 1, 2])
    [match] = gallery.search(people[0], exclude=1)
    assert match.person_id == 2 and match.second_similarity == -1.0
    [alone] = Gallery(people[:1], [1]).search(people[0], exclude=1)
    assert alone.person_id is None
    [unaffected] = gallery.search(people[0], exclude=99)
    assert unaffected.person_id == 1


def test_it_calls_a_decision_close_near_the_threshold_or_the_margin():
    close = lambda similarity, second=0.0: decision_close(  # noqa: E731
        PersonMatch(1, similarity, second), threshold=0.35, margin=0.05, band=0.07)
    assert close(0.30) and close(0.42) and close(0.35)
    assert not close(0.27) and not close(0.43)
    assert close(0.6, 0.5) and not close(0.6, 0.3)  # a lead of 0.1 is close to the margin, 0.3 is not
    assert not decision_close(PersonMatch(None, -1.0, -1.0), threshold=-1.0, margin=0.05, band=0.07)


def test_it_refines_only_the_close_faces_by_their_flip_embeddings(people):
    flips = l2_normalize(people[:2] + 0.5 * people[3])
    gallery = Gallery(people[:2], [1, 2], flip_embeddings=flips)
    matches = [PersonMatch(1, 0.9, 0.0), PersonMatch(2, 0.36, 0.0), PersonMatch(1, 0.1, 0.0)]
    asked: list[list[int]] = []

    def flip_embeddings(indices):
        asked.append(indices)
        return flips[[1]]

    refined = refine_matches(matches, gallery=gallery, threshold=0.35, margin=0.05, band=0.07,
                             flip_embeddings=flip_embeddings)
    assert asked == [[1]] and refined.mirrored == [1]
    assert refined.matches[0] == matches[0] and refined.matches[2] == matches[2]
    assert refined.matches[1].person_id == 2 and refined.matches[1].similarity == pytest.approx(1.0, abs=1e-5)
    none = refine_matches(matches[:1], gallery=gallery, threshold=0.35, margin=0.05, band=0.07,
                          flip_embeddings=flip_embeddings)
    assert none.mirrored == [] and asked == [[1]]  # never asked when nothing is close


def test_it_assigns_from_matches_already_refined(people):
    gallery = Gallery(people[:2], [1, 2])
    face = _near(people[0])
    [result] = assign_identities(face[None], gallery=gallery, strangers=StrangerRegistry(), new_label=_labels(),
                                 threshold=0.4, matches=[PersonMatch(2, 0.8, 0.1)])
    assert result.assigned_id == "P-2"  # the given match decides, not a new search


def test_it_lowers_a_persons_score_only_for_look_alikes_of_a_face_rejected_as_them(people):
    impostor = l2_normalize((people[2] + 0.35 * people[0])[None])[0]  # resembles person 10 a little
    gallery = Gallery(people[:2], [10, 11], rejections=impostor[None], rejected_ids=[10])
    plain = Gallery(people[:2], [10, 11])
    look_alike, own_face = _near(impostor, 0.2), _near(people[0], 0.2)

    lowered, kept = gallery.person_scores(np.stack([look_alike, own_face]))
    before, own_before = plain.person_scores(np.stack([look_alike, own_face]))

    assert lowered[0] == pytest.approx(before[0] - REJECTION_PENALTY, abs=1e-6)
    assert lowered[1] == pytest.approx(before[1]) and np.allclose(kept, own_before)  # others and own faces untouched


def test_it_finds_the_same_look_alike_pairs_whatever_the_block_of_rows():
    from identity.matching import similar_pairs

    groups = [l2_normalize(RNG.standard_normal((int(RNG.integers(1, 6)), 32))) for _ in range(30)]
    groups[7] = l2_normalize(np.vstack([groups[2][:1] + 0.01, groups[7]]))  # one person seen twice
    expected = {(i, j): float((groups[i] @ groups[j].T).max()) for i, j in itertools.combinations(range(30), 2)}
    expected = {pair: alike for pair, alike in expected.items() if alike >= 0.4}

    for block_rows in (1, 5, 64, 10_000):
        pairs = similar_pairs(groups, threshold=0.4, block_rows=block_rows)
        assert {(i, j) for i, j, _ in pairs} == set(expected)
        assert all(abs(alike - expected[(i, j)]) < 1e-5 for i, j, alike in pairs)
        assert [alike for _, _, alike in pairs] == sorted((alike for _, _, alike in pairs), reverse=True)
    assert pairs[0][:2] == (2, 7)
