"""The logged faces' index for search by photo: one model's logged faces (match logs that still
hold an embedding) as a base file plus an in-memory delta, per worker process.

- Base: one file per version, FACEAPP_DATA_DIR/index/logs-<model>.<version>.faces
  (identity.matching.LoggedIndex: log ids, the gallery's kind of candidate index, float32 rows),
  built from the database by the first process that needs it while the others wait on a file
  lock, then memory-mapped by every process of the machine.
- Delta: the faces logged since the base was built, searched exactly, read from the database a
  few at a time: those with ids above the base's highest, and those with lower ids committed
  later (PostgreSQL commits out of order: more live faces at or below the highest id than the
  base holds says so). Past DELTA_LIMIT faces the base is rebuilt.
- Removals (retention clearing embeddings, erasure deleting logs, anything else) rebuild the
  base rather than being masked: one count per search notices any of them, so no hook can be
  forgotten; a removed face's embedding must leave the disk too (a mask would keep it in the
  file until a rebuild); and they come in bulk (daily purges, an erasure), so a rebuild is
  rare. Erasure and retention also delete the files at once (:func:`logged_files_remove`).
  Every answer is checked against the database by id as well, so a face removed between that
  count and the answer, or while a late commit hides the drop in the count, is not answered.
"""

import datetime as dt
import logging
import threading
import time
import uuid
from pathlib import Path

import numpy as np
from django.db.models import Count, Max, Q, QuerySet

from identity.matching import search_index
from identity.matching.logged_index import LoggedIndex, exact_top, merged
from identity.models import MatchLog, embedding_from_bytes
from identity.services.index_files import build_lock, file_stem, index_files_remove, index_folder
from identity.vision.embedder import l2_normalize

PREFIX, SUFFIX = "logs-", ".faces"
DELTA_LIMIT = 2_000  # faces searched exactly beside the base (4 MB a process) before it is rebuilt
BINARY_ABOVE = search_index.BINARY_ABOVE  # a base with more faces gets the sign-bit index
READ_BATCH = 2_000  # embeddings read from the database at a time

log = logging.getLogger(__name__)
_lock = threading.Lock()  # one search at a time per process: it may refresh the shared state
_states: dict[str, "_Logged"] = {}  # model_id -> this process's base and delta


class _Logged:
    """One process's view of a model's logged faces: the mapped base (None: none was logged when
    it was built) and the delta beside it."""

    def __init__(self, base: LoggedIndex | None):
        self.base = base
        self.high = int(base.meta["high"]) if base is not None else 0
        self.stamp = base.meta["stamp"] if base is not None else ""
        self.late = np.zeros(0, np.int64)  # ids at or below `high` committed after the build
        self.delta_ids, self.delta_matrix = np.zeros(0, np.int64), None

    def __len__(self) -> int:
        return (len(self.base) if self.base is not None else 0) + len(self.delta_ids)

    def delta_add(self, ids: np.ndarray, matrix: np.ndarray) -> None:
        if len(ids):
            self.delta_ids = np.concatenate([self.delta_ids, ids])
            self.delta_matrix = matrix if self.delta_matrix is None else np.vstack([self.delta_matrix, matrix])

    def top(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        base = self.base.top(query, k) if self.base is not None else exact_top([], None, query, k)
        return merged(base, exact_top(self.delta_ids, self.delta_matrix, query, k), k=k)


def _logs(model_id: str) -> QuerySet:
    return MatchLog.objects.filter(model_id=model_id).exclude(embedding=b"")


def _read(logs: QuerySet) -> tuple[np.ndarray, np.ndarray]:
    """(ids, unit float32 rows) of `logs`, by id."""
    ids, chunks, batch = [], [], []
    for pk, data in logs.order_by("id").values_list("id", "embedding").iterator(chunk_size=READ_BATCH):
        ids.append(pk)
        batch.append(embedding_from_bytes(bytes(data)))
        if len(batch) == READ_BATCH:
            chunks.append(l2_normalize(np.stack(batch)))
            batch = []
    if batch:
        chunks.append(l2_normalize(np.stack(batch)))
    return np.asarray(ids, np.int64), (np.vstack(chunks) if chunks else np.zeros((0, 0), np.float32))


def _stamp(logs: QuerySet, high: int) -> str:
    """Which face the highest id is (its time): a database reset or rolled-back test reuses ids."""
    created = logs.filter(pk=high).values_list("created_at", flat=True).first()
    return created.isoformat() if created else ""


def _refreshed(state: _Logged, logs: QuerySet) -> bool:
    """Bring the delta up to date with the database; False when the base must be rebuilt: a
    face of it (or of its late ones) is gone, its newest face is another one, or the delta is full."""
    base_ids = state.base.ids if state.base is not None else np.zeros(0, np.int64)
    stamped = Q(pk=state.high, created_at=dt.datetime.fromisoformat(state.stamp)) if state.stamp else Q(pk=0)
    counts = logs.aggregate(low=Count("id", filter=Q(id__lte=state.high)), high=Count("id", filter=Q(id__gt=state.high)),
                            newest=Max("id"), stamped=Count("id", filter=stamped))
    expected = len(base_ids) + len(state.late)
    if counts["low"] < expected or (state.base is not None and not counts["stamped"]):
        return False
    if counts["low"] > expected:  # committed late below the base's highest id, maybe beside a removal
        alive = np.asarray(logs.filter(id__lte=state.high).values_list("id", flat=True), np.int64)
        known = np.union1d(base_ids, state.late)
        if len(np.setdiff1d(known, alive)):
            return False
        late = np.setdiff1d(alive, known)
        state.late = np.union1d(state.late, late)
        state.delta_add(*_read(logs.filter(pk__in=late.tolist())))
    above = state.delta_ids[state.delta_ids > state.high]
    newest_read = int(above.max()) if len(above) else state.high
    if (counts["newest"] or 0) > newest_read:
        state.delta_add(*_read(logs.filter(id__gt=newest_read)))
    if int((state.delta_ids > state.high).sum()) != counts["high"]:  # removed from it, or committed late: read again
        state.delta_ids, state.delta_matrix = np.zeros(0, np.int64), None
        state.delta_add(*_read(logs.filter(Q(id__gt=state.high) | Q(pk__in=state.late.tolist()))))
    return len(state.delta_ids) <= DELTA_LIMIT


def _files(model_id: str) -> list[Path]:
    return list(index_folder().glob(f"{PREFIX}{file_stem(model_id)}.*{SUFFIX}"))


def _newest_file(model_id: str) -> Path | None:
    dated = []
    for path in _files(model_id):
        try:
            dated.append((path.stat().st_mtime_ns, path))
        except FileNotFoundError:  # removed by a newer version meanwhile
            continue
    return max(dated)[1] if dated else None


def _built(model_id: str, logs: QuerySet) -> _Logged:
    """A new base from the database, saved as the model's only file and mapped."""
    started = time.perf_counter()
    ids, matrix = _read(logs)
    for old in _files(model_id):  # processes that map one keep their mapping
        old.unlink(missing_ok=True)
    if not len(ids):
        return _Logged(None)
    high = int(ids.max())
    meta = {"model_id": model_id, "high": high, "stamp": _stamp(logs, high)}
    path = index_folder() / f"{PREFIX}{file_stem(model_id)}.{high}-{uuid.uuid4().hex[:8]}{SUFFIX}"
    built = LoggedIndex.build(ids, matrix, meta=meta, binary_above=BINARY_ABOVE)
    built.save(path)
    log.info("built the logged-face file %s (%d faces, %s index) in %.1f s", path.name, len(ids), built.index.kind,
             time.perf_counter() - started)
    return _Logged(LoggedIndex.open(path))


def _current(model_id: str, logs: QuerySet) -> _Logged:
    """This process's base and delta, refreshed; a stale base is replaced by the newest file
    another process built, when that one is current, else by a new one (under the file lock)."""
    state = _states.get(model_id)
    if state is not None and _refreshed(state, logs):
        return state
    stale = state.base.path if state is not None and state.base is not None else None
    with build_lock(index_folder() / f"{PREFIX}{file_stem(model_id)}{SUFFIX}"):
        state, newest = None, _newest_file(model_id)
        if newest is not None and newest != stale:
            try:
                candidate = _Logged(LoggedIndex.open(newest))
            except (OSError, ValueError):  # removed meanwhile: build
                candidate = None
            state = candidate if candidate is not None and _refreshed(candidate, logs) else None
        if state is None:
            state = _built(model_id, logs)
            _refreshed(state, logs)  # the faces logged while it was built
    _states[model_id] = state
    return state


def logged_faces_top(*, embedding: np.ndarray, model_id: str, limit: int) -> list[tuple[int, float]]:
    """(log id, float32 cosine) of the `limit` logged faces most like `embedding`, most alike
    first; only faces that still hold their embedding when asked."""
    query = l2_normalize(np.atleast_2d(np.asarray(embedding, np.float32)))[0]
    logs = _logs(model_id)
    with _lock:
        state = _current(model_id, logs)
        ask = 2 * limit
        while True:
            ids, scores = state.top(query, ask)
            alive = set(logs.filter(pk__in=ids.tolist()).values_list("id", flat=True))
            kept = [(int(i), float(s)) for i, s in zip(ids, scores) if int(i) in alive]
            if len(kept) >= limit or ask >= len(state):
                return kept[:limit]
            ask *= 4  # removed since the count: look further


def logged_files_remove() -> int:
    """Delete this machine's logged-face files now (erasure, retention: embeddings that must go are
    in them). Processes that map one keep it until their next search, which rebuilds."""
    return index_files_remove(f"{PREFIX}*{SUFFIX}")


def logged_faces_forget() -> None:
    """Drop this process's base and delta: the next search reads them again."""
    with _lock:
        _states.clear()
