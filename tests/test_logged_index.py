"""identity.matching.logged_index on synthetic unit vectors: both kinds of base answer a probe's
top logged faces by float32 cosine (the compact one exactly), from memory and from a mapped
file, and the delta's exact answer merges with the base's."""

import numpy as np
import pytest

from identity.matching.logged_index import LoggedIndex, exact_top, merged
from identity.matching.search_index import BINARY, COMPACT
from identity.vision.embedder import l2_normalize

K = 20


def _unit(rng, count):
    return l2_normalize(rng.standard_normal((count, 512)).astype(np.float32))


@pytest.fixture
def faces():
    """3,000 logged faces (ids shuffled, with gaps) of 300 people seen 10 times each, and probes:
    fresh photos of 20 of those people."""
    rng = np.random.default_rng(5)
    people = _unit(rng, 300)
    owner = np.repeat(np.arange(300), 10)
    rows = l2_normalize(people[owner] + 0.9 * _unit(rng, len(owner)))
    ids = rng.permutation(np.arange(1, 2 * len(owner), 2))[: len(owner)]
    probes = l2_normalize(people[:20] + 0.9 * _unit(rng, 20))
    return ids, rows, probes


def _exact(ids, rows, probe):
    scores = rows @ probe
    order = np.argsort(-scores, kind="stable")[:K]
    return ids[order], scores[order]


def test_it_answers_the_compact_bases_top_faces_exactly(faces):
    ids, rows, probes = faces
    base = LoggedIndex.build(ids, rows, meta={}, binary_above=10**9)

    assert base.index.kind == COMPACT
    for probe in probes:
        found, scores = base.top(probe, K)
        expected, expected_scores = _exact(ids, rows, probe)
        assert found.tolist() == expected.tolist() and np.allclose(scores, expected_scores, atol=1e-5)


def test_it_finds_every_face_of_the_probes_person_first_with_the_sign_bit_base(faces):
    ids, rows, probes = faces
    base = LoggedIndex.build(ids, rows, meta={}, binary_above=0)

    for person, probe in enumerate(probes):
        found, _ = base.top(probe, K)
        assert sorted(found[:10].tolist()) == sorted(ids[person * 10 : person * 10 + 10].tolist())
    assert base.index.kind == BINARY


def test_it_answers_the_same_from_its_mapped_file(faces, tmp_path):
    ids, rows, probes = faces
    for binary_above in (10**9, 0):
        built = LoggedIndex.build(ids, rows, meta={"high": int(ids.max())}, binary_above=binary_above)
        built.save(tmp_path / "logs.faces")

        opened = LoggedIndex.open(tmp_path / "logs.faces")

        assert opened.meta == {"high": int(ids.max())} and opened.index.kind == built.index.kind
        for probe in probes[:5]:
            assert opened.top(probe, K)[0].tolist() == built.top(probe, K)[0].tolist()


def test_it_scores_every_returned_face_by_its_float32_cosine(faces):
    ids, rows, probes = faces
    base = LoggedIndex.build(ids, rows, meta={}, binary_above=0)
    by_id = dict(zip(ids.tolist(), rows))

    found, scores = base.top(probes[0], K)

    assert np.allclose(scores, [by_id[i] @ probes[0] for i in found.tolist()], atol=1e-6)
    assert np.all(np.diff(scores) <= 0)


def test_it_merges_the_delta_with_the_base_most_alike_first(faces):
    ids, rows, probes = faces
    base = LoggedIndex.build(ids[:-5], rows[:-5], meta={})
    delta = (ids[-5:], rows[-5:])

    found, scores = merged(base.top(probes[0], K), exact_top(*delta, probes[0], K), k=K)

    expected, expected_scores = _exact(ids, rows, probes[0])
    assert found.tolist() == expected.tolist() and np.allclose(scores, expected_scores, atol=1e-5)


def test_it_answers_fewer_faces_than_asked_when_fewer_are_logged():
    rng = np.random.default_rng(1)
    rows = _unit(rng, 3)
    base = LoggedIndex.build(np.array([7, 3, 5]), rows, meta={})

    found, _ = base.top(rows[0], K)

    assert found.tolist()[0] == 7 and sorted(found.tolist()) == [3, 5, 7]
