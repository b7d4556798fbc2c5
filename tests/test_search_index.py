"""identity.matching.search_index behind Gallery.search: both indexes agree with a brute-force
scan (best and runner-up person, several samples per person, exclude, rejections), the binary
scan answers above the threshold, and a saved gallery is memory-mapped by another process."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from identity.matching import MIN_CANDIDATES, REJECTION_LOOKALIKE, REJECTION_PENALTY, Gallery
from identity.matching.search_index import BINARY, COMPACT
from identity.vision.embedder import l2_normalize

ROOT = Path(__file__).resolve().parents[1]
THRESHOLDS = {COMPACT: 10**9, BINARY: 0}  # binary_above: never, always


def _unit(rng, *shape):
    return l2_normalize(rng.standard_normal((*shape, 512)).astype(np.float32))


def _brute_force(samples, ids, query, *, rejections=(), rejected_ids=(), exclude=None):
    """(best id, best score, runner-up score): every sample scored, each person's best kept, the
    rejection rule applied person by person."""
    similarities = samples @ query
    scores = {}
    for person in sorted(set(ids.tolist()) - {exclude}):
        score = float(similarities[ids == person].max())
        alike = [float(r @ query) for r, i in zip(rejections, rejected_ids) if i == person]
        if any(a >= REJECTION_LOOKALIKE and a > score for a in alike):
            score -= REJECTION_PENALTY
        scores[person] = score
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    return ranked[0][0], ranked[0][1], ranked[1][1] if len(ranked) > 1 else -1.0


def _assert_agrees(match, expected, kind):
    """The compact index is exact; the binary one must find the best person and score, and a
    runner-up score that is some other person's (at most the exact runner-up's)."""
    best, score, second = expected
    assert (match.person_id, match.similarity) == (best, pytest.approx(score, abs=1e-5))
    if kind == COMPACT:
        assert match.second_similarity == pytest.approx(second, abs=1e-5)
    else:
        assert match.second_similarity <= second + 1e-5


@pytest.fixture
def scene():
    """300 samples of 80 people (1 to 8 each, several people alike), queries near samples, halfway
    nearer one of two people than the other, and strangers; rejections that lower some of those people."""
    rng = np.random.default_rng(11)
    ids = np.repeat(np.arange(100, 180), rng.integers(1, 9, 80))[:300]
    centres = _unit(rng, 80)
    samples = l2_normalize(centres[ids - 100] + 0.6 * _unit(rng, len(ids)))
    near = l2_normalize(samples[rng.integers(0, len(ids), 12)] + 0.3 * _unit(rng, 12))
    halfway = l2_normalize(0.52 * samples[:6] + 0.48 * samples[-6:])  # the first a little ahead
    queries = np.vstack([near, halfway])
    rejections = l2_normalize(halfway[:4] + 0.1 * _unit(rng, 4))
    return {"samples": samples, "ids": ids, "queries": queries, "rejections": rejections,
            "rejected_ids": ids[:4]}


@pytest.mark.parametrize("kind", [COMPACT, BINARY])
def test_it_agrees_with_a_brute_force_scan(scene, kind):
    gallery = Gallery(scene["samples"], scene["ids"], binary_above=THRESHOLDS[kind])
    for query, match in zip(scene["queries"], gallery.search(scene["queries"])):
        _assert_agrees(match, _brute_force(scene["samples"], scene["ids"], query), kind)
    assert gallery.index.kind == kind


@pytest.mark.parametrize("kind", [COMPACT, BINARY])
def test_it_agrees_with_a_brute_force_scan_leaving_a_person_out(scene, kind):
    gallery = Gallery(scene["samples"], scene["ids"], binary_above=THRESHOLDS[kind])
    for query in scene["queries"]:
        nearest, _, _ = _brute_force(scene["samples"], scene["ids"], query)
        [match] = gallery.search(query, exclude=nearest)
        _assert_agrees(match, _brute_force(scene["samples"], scene["ids"], query, exclude=nearest), kind)


@pytest.mark.parametrize("kind", [COMPACT, BINARY])
def test_it_agrees_with_a_brute_force_scan_with_rejections(scene, kind):
    rejected = {"rejections": scene["rejections"], "rejected_ids": scene["rejected_ids"]}
    gallery = Gallery(scene["samples"], scene["ids"], binary_above=THRESHOLDS[kind], **rejected)
    matches = gallery.search(scene["queries"])
    for query, match in zip(scene["queries"], matches):
        _assert_agrees(match, _brute_force(scene["samples"], scene["ids"], query, **rejected), kind)
    plain = Gallery(scene["samples"], scene["ids"], binary_above=THRESHOLDS[kind]).search(scene["queries"])
    assert any(a.person_id != b.person_id for a, b in zip(matches, plain))  # a rejection changed a name


@pytest.mark.parametrize("kind", [COMPACT, BINARY])
def test_it_searches_flip_queries_on_the_flip_rows(scene, kind):
    rng = np.random.default_rng(3)
    flips = l2_normalize(scene["samples"] + 0.2 * _unit(rng, len(scene["ids"])))
    gallery = Gallery(scene["samples"], scene["ids"], flip_embeddings=flips, binary_above=THRESHOLDS[kind])
    queries = l2_normalize(flips[::25] + 0.2 * _unit(rng, len(flips[::25])))
    for query, match in zip(queries, gallery.search(queries, flip=True)):
        _assert_agrees(match, _brute_force(flips, scene["ids"], query), kind)


@pytest.mark.parametrize("kind", [COMPACT, BINARY])
def test_it_asks_for_more_candidates_when_rejections_sink_the_nearest_people(kind):
    rng = np.random.default_rng(9)
    centre = _unit(rng, 1)[0]
    crowd = l2_normalize(centre + np.linspace(0.3, 0.4, 300)[:, None] * _unit(rng, 300))  # 300 look-alikes
    samples, ids = np.vstack([crowd, _unit(rng, 1700)]), np.arange(2000)
    nearest = np.argsort(-(crowd @ centre))[:280]  # more than any first ask's candidates
    rejected = {"rejections": np.repeat(centre[None], len(nearest), axis=0), "rejected_ids": nearest}

    [match] = Gallery(samples, ids, binary_above=THRESHOLDS[kind], **rejected).search(centre)

    expected = _brute_force(samples, ids, centre, **rejected)
    _assert_agrees(match, expected, kind)
    assert expected[0] not in nearest  # the answer lay beyond the first candidates


def test_it_takes_the_binary_path_above_the_threshold(scene):
    samples, ids = scene["samples"], scene["ids"]
    assert Gallery(samples, ids, binary_above=len(ids) - 1).index.kind == BINARY
    assert Gallery(samples, ids, binary_above=len(ids)).index.kind == COMPACT
    assert Gallery(samples[:MIN_CANDIDATES], ids[:MIN_CANDIDATES], binary_above=0).index is None  # all scored


def test_it_settles_a_runner_up_beyond_one_persons_many_samples():
    rng = np.random.default_rng(5)
    one = l2_normalize(_unit(rng, 1) + 0.3 * _unit(rng, 40))  # 40 close samples of one person
    others = _unit(rng, 400)
    samples, ids = np.vstack([one, others]), np.r_[np.full(40, 7), np.arange(1000, 1400)]
    query = l2_normalize(one[:1] + 0.1 * _unit(rng, 1))[0]
    [match] = Gallery(samples, ids, binary_above=10**9).search(query)
    assert (match.person_id, match.similarity, match.second_similarity) == pytest.approx(
        _brute_force(samples, ids, query), abs=1e-5)


SECOND_PROCESS = """
import json, sys
import numpy as np
from identity.matching import Gallery
gallery = Gallery.open(sys.argv[1])
queries = np.load(sys.argv[2])
mapped = [line for line in open("/proc/self/maps") if sys.argv[1] in line]
print(json.dumps({"kind": gallery.index.kind, "read_only": not gallery.matrix.flags.writeable, "mapped": len(mapped),
                  "matches": [[m.person_id, m.similarity, m.second_similarity] for m in gallery.search(queries)]}))
"""


@pytest.mark.parametrize("kind", [COMPACT, BINARY])
def test_it_reopens_a_saved_gallery_memory_mapped_in_another_process(scene, kind, tmp_path):
    rejected = {"rejections": scene["rejections"], "rejected_ids": scene["rejected_ids"]}
    gallery = Gallery(scene["samples"], scene["ids"], binary_above=THRESHOLDS[kind], version="v7", **rejected)
    path = tmp_path / "gallery.file"
    gallery.save(path)
    np.save(tmp_path / "queries.npy", scene["queries"])

    result = subprocess.run([sys.executable, "-c", SECOND_PROCESS, str(path), str(tmp_path / "queries.npy")],
                            capture_output=True, text=True, timeout=120, cwd=ROOT, check=True)
    reopened = json.loads(result.stdout.strip().splitlines()[-1])

    assert reopened["kind"] == kind and reopened["read_only"] and reopened["mapped"] >= 1
    expected = [[m.person_id, m.similarity, m.second_similarity] for m in gallery.search(scene["queries"])]
    assert np.allclose(reopened["matches"], expected, atol=1e-6, rtol=0)
    here = Gallery.open(path)
    assert (here.version, here.sample_count, here.person_count) == ("v7", gallery.sample_count, gallery.person_count)
    assert here.path == path and gallery.path is None


def test_it_saves_and_reopens_an_empty_gallery(tmp_path):
    Gallery.empty(version="v1").save(tmp_path / "empty.file")
    empty = Gallery.open(tmp_path / "empty.file")
    assert (empty.sample_count, empty.person_count, empty.version) == (0, 0, "v1")
    assert empty.search(_unit(np.random.default_rng(1), 2))[0].person_id is None
