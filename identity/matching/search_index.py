"""Candidate generation for the gallery search: the enrolled samples most like each query,
found fast; ``Gallery.search`` re-ranks them exactly in float32 and reduces them to people.
Plain Python, numpy and faiss (its SIMD scans), no Django.

Two indexes behind one interface (:class:`SearchIndex`), chosen by the number of samples
(:func:`index_build`, :data:`BINARY_ABOVE`):

- :class:`CompactIndex`: every sample scored on a float16 copy of its row (half the bytes of
  float32 to read per query; numpy has no float16 BLAS, faiss scans it). Its scores are
  within :data:`FLOAT16_TOLERANCE` of the float32 ones, so its top k are exact.
- :class:`BinaryIndex`: every sample compared on its row's 512 sign bits (64 bytes, an 8th of
  float16) by Hamming distance, faiss's popcount scan. Approximate: a query's nearest codes
  are its candidates, which ``bench/scale.py`` measures (recall@1 against exact search).

Why not HNSW (faiss's or usearch's graph): ArcFace embeddings spread almost evenly over the
sphere, where a graph has little to follow. At 100k identities on 2 cores faiss's HNSW missed
the exact best person among its candidates for 0.3-17 % of probes (M 16-32, efSearch 128-256),
took 1-3 minutes to build and answered slower than the binary scan, which missed none
(bench/README.md, "Search at scale"). usearch, the other library weighed, crashes the process
when it is loaded before onnxruntime.

A gallery is saved as one file (:func:`sections_save`): named arrays at page-aligned offsets
after a JSON header, the float16 index among them as faiss's serialized bytes, opened
read-only with one memory map (:func:`sections_open`); faiss reads its index in place from
that map (:func:`_faiss_view`, no copy), so a machine's worker processes share one copy of the
file in the page cache. The float32 rows are read a search's candidates at a time
(:class:`RowReader`).
"""

from __future__ import annotations

import json
import logging
import mmap
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

# faiss 1.15 is one library that picks its SIMD kernels at run time: its loader's INFO lines
# about the per-CPU builds it no longer ships are noise.
logging.getLogger("faiss.loader").setLevel(logging.WARNING)
import faiss  # noqa: E402

COMPACT, BINARY = "compact", "binary"
# Above this many samples the binary scan answers. The exact float16 scan costs ~0.08 ms a face
# per 1k samples on a 2-core machine (memory-bound; bench/scale.py), ~0.8 ms at 10k, under half
# the 2 ms budget a face; the binary scan reads an 8th of the bytes: ~1 ms at 100k, re-rank included.
BINARY_ABOVE = 10_000
# A float16 element is within 2^-11 of its float32 value (relative), so the dot product of a
# unit query with a rounded unit row is within 2^-11 of the float32 one; the rest is slack.
FLOAT16_TOLERANCE = 2e-3
# Candidates a binary search asks for at least: bench/scale.py at 100k found the exact best
# person among the nearest 256 codes for every probe (among 64: 99.5 %, the misses below 0.33).
BINARY_CANDIDATES = 256
SEARCH_THREADS = 1  # one query batch per worker thread; the workers are one per core already
ALIGN = 4096  # sections start on a page, so each is mapped on its own
MAGIC = b"FACEIDX1"


@dataclass(frozen=True)
class Candidates:
    """The k samples most like each query, best first: (queries, k) arrays."""

    scores: np.ndarray  # (estimated) cosine; -inf where fewer than k were found
    rows: np.ndarray  # sample rows (int64); -1 where fewer than k were found


class SearchIndex(Protocol):
    kind: str
    # A sample that is not among a query's candidates scores at most the lowest candidate
    # person's float32 score plus this (for an exact top k: twice its scores' error).
    tolerance: float
    min_candidates: int  # the fewest candidates worth asking for

    def top_k(self, queries: np.ndarray, k: int, *, flip: bool = False) -> Candidates:
        """The k samples most like each (unit) query; flip: the queries are flip embeddings."""

    def sections(self) -> dict[str, np.ndarray]:
        """The arrays that :func:`index_open` restores the index from."""


def _faiss_view(blob: np.ndarray) -> faiss.Index:
    """A serialized faiss index read in place from `blob` (a memory-mapped section): its
    vectors stay a view of the mapping, not a copy. The caller keeps `blob` alive."""
    return faiss.read_index(faiss.ZeroCopyIOReader(faiss.swig_ptr(blob), blob.size))


def _scan_build(rows: np.ndarray) -> faiss.Index:
    index = faiss.IndexScalarQuantizer(rows.shape[1], faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
    index.add(np.ascontiguousarray(rows, dtype=np.float32))
    return index


class CompactIndex:
    """Exact: every sample scored on its float16 row (plain, or flip for flip queries)."""

    kind = COMPACT
    tolerance = 2 * FLOAT16_TOLERANCE  # its top k are exact, its scores within FLOAT16_TOLERANCE
    min_candidates = 0

    def __init__(self, plain: faiss.Index, flip: faiss.Index | None = None, blobs: tuple = ()):
        self.plain, self.flip, self._blobs = plain, flip, blobs  # flip None: the plain rows stand in

    @classmethod
    def build(cls, matrix: np.ndarray, flip_matrix: np.ndarray) -> CompactIndex:
        return cls(_scan_build(matrix), None if flip_matrix is matrix else _scan_build(flip_matrix))

    def top_k(self, queries: np.ndarray, k: int, *, flip: bool = False) -> Candidates:
        faiss.omp_set_num_threads(SEARCH_THREADS)  # this thread's OpenMP team only
        index = self.flip if flip and self.flip is not None else self.plain
        scores, rows = index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        return Candidates(np.where(rows >= 0, scores, -np.inf).astype(np.float32), rows.astype(np.int64))

    def sections(self) -> dict[str, np.ndarray]:
        flip = {} if self.flip is None else {"compact_flip": faiss.serialize_index(self.flip)}
        return {"compact": faiss.serialize_index(self.plain)} | flip


def sign_codes(rows: np.ndarray) -> np.ndarray:
    """Each row's sign bits, packed: (n, d / 8) uint8."""
    return np.packbits(np.asarray(rows) > 0, axis=1)


class BinaryIndex:
    """Approximate: every sample compared on its row's sign bits (plain, or flip for flip
    queries) by Hamming distance. Two faces at cosine c differ in about acos(c)/pi of their
    bits, so a genuine match (c >= 0.4: <= 189 of 512) stands clear of unrelated faces
    (c ~ 0: 256, give or take 11); its scores are that estimate of the cosine."""

    kind = BINARY
    tolerance = 0.0  # assumed, no bound: the nearest codes are taken as the nearest rows (recall measured)
    min_candidates = BINARY_CANDIDATES

    def __init__(self, plain: np.ndarray, flip: np.ndarray | None = None):
        self.plain, self.flip = plain, flip  # flip None: the plain rows stand in

    @classmethod
    def build(cls, matrix: np.ndarray, flip_matrix: np.ndarray) -> BinaryIndex:
        return cls(sign_codes(matrix), None if flip_matrix is matrix else sign_codes(flip_matrix))

    def top_k(self, queries: np.ndarray, k: int, *, flip: bool = False) -> Candidates:
        codes = self.flip if flip and self.flip is not None else self.plain
        faiss.omp_set_num_threads(SEARCH_THREADS)  # this thread's OpenMP team only
        distances, rows = faiss.knn_hamming(sign_codes(queries), codes, min(k, len(codes)))
        estimate = np.cos(np.pi * distances / (8 * codes.shape[1])).astype(np.float32)
        return Candidates(np.where(rows >= 0, estimate, -np.inf), rows)

    def sections(self) -> dict[str, np.ndarray]:
        return {"binary": self.plain} | ({} if self.flip is None else {"binary_flip": self.flip})


def index_build(matrix: np.ndarray, flip_matrix: np.ndarray, *, binary_above: int = BINARY_ABOVE) -> SearchIndex:
    """The index for these unit rows (`flip_matrix` is `matrix` when the samples have no flip
    embeddings): exact on float16 up to `binary_above` samples, on sign bits above."""
    if len(matrix) > binary_above:
        return BinaryIndex.build(matrix, flip_matrix)
    return CompactIndex.build(matrix, flip_matrix)


def index_open(sections: dict[str, np.ndarray]) -> SearchIndex | None:
    """The index saved in these (memory-mapped) sections by :meth:`SearchIndex.sections`, if any."""
    if "binary" in sections:
        return BinaryIndex(sections["binary"], sections.get("binary_flip"))
    if "compact" in sections:
        flip = sections.get("compact_flip")
        return CompactIndex(_faiss_view(sections["compact"]), None if flip is None else _faiss_view(flip),
                            (sections["compact"], flip))
    return None


def _aligned(size: int) -> int:
    return -(-size // ALIGN) * ALIGN


def sections_save(path: Path, sections: dict[str, np.ndarray], meta: dict) -> None:
    """Write named arrays and a JSON-able `meta` to one file, atomically: a temporary file in the
    same folder, then os.replace (a reader sees the old file or the whole new one)."""
    layout, offset = {}, 0
    for name, array in sections.items():
        layout[name] = {"offset": offset, "dtype": array.dtype.str, "shape": list(array.shape)}
        offset += _aligned(array.nbytes)
    header = json.dumps({"meta": meta, "sections": layout}).encode()
    start = _aligned(len(MAGIC) + 8 + len(header))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(MAGIC + struct.pack("<Q", len(header)) + header)
            for name, array in sections.items():
                handle.seek(start + layout[name]["offset"])
                handle.write(np.ascontiguousarray(array).data)
            handle.truncate(start + offset)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def sections_open(path: Path) -> tuple[dict, dict[str, np.ndarray], dict[str, int]]:
    """(meta, sections, offsets) of a file from :func:`sections_save`: read-only views of one
    memory map, and where in the file each section starts."""
    with open(path, "rb") as handle:
        magic, length = handle.read(len(MAGIC)), handle.read(8)
        if magic != MAGIC or len(length) != 8:
            raise ValueError(f"{path} is not a gallery index file")
        size = struct.unpack("<Q", length)[0]
        header = json.loads(handle.read(size))
        mapped = mmap.mmap(handle.fileno(), 0, prot=mmap.PROT_READ)  # outlives the descriptor
    start = _aligned(len(MAGIC) + 8 + size)
    sections, offsets = {}, {}
    for name, where in header["sections"].items():
        dtype, shape = np.dtype(where["dtype"]), tuple(where["shape"])
        count, offsets[name] = int(np.prod(shape, dtype=np.int64)), start + where["offset"]
        array = np.frombuffer(mapped, dtype, count, offsets[name]) if count else np.zeros(0, dtype)
        sections[name] = array.reshape(shape)
    return header["meta"], sections, offsets


class RowReader:
    """Runs of rows of one (rows, width) section of a gallery file, read with pread: a search's
    candidates come from the page cache, shared by every process, without being mapped into
    this one (reading them through the map maps the whole page-cache folio around each row,
    up to 2 MB on Linux 6.x: 1M rows' candidates would soon map the whole file in every worker)."""

    def __init__(self, path: Path, offset: int, rows: np.ndarray):
        self._handle = open(path, "rb")  # stays valid when a newer version's build unlinks the file
        self._offset, self._dtype, self._width = offset, rows.dtype, rows.shape[1]
        self._row_bytes = rows.shape[1] * rows.dtype.itemsize

    def runs(self, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Rows starts[i] .. starts[i] + lengths[i] - 1, run after run, as one array."""
        rows = np.empty((int(lengths.sum()), self._width), self._dtype)
        buffer, position = memoryview(rows).cast("B"), 0
        for start, length in zip(starts.tolist(), lengths.tolist()):
            size = length * self._row_bytes
            os.preadv(self._handle.fileno(), [buffer[position : position + size]], self._offset + start * self._row_bytes)
            position += size
        return rows
