"""The enrolled gallery, cached per process and kept up to date incrementally.

A *generation* of the gallery is one immutable base file under FACEAPP_DATA_DIR/index/
(identity.matching.Gallery.save: rows, people, sample ids, search index), built from the
database by the first process of a machine that needs it while the others wait on a file lock,
then memory-mapped by every process, so a machine's workers share one copy of it. What changed
since is the generation's change log in Redis (identity.services.gallery_log): the services
push each committed enrolment, deletion or deactivation there by id (:func:`gallery_noted`
pushes it after commit), and each process applies the entries it has not seen to its own
view (identity.matching.live_gallery.LiveGallery): added samples read from the database by
id into a small exact delta, removed samples and people masked out of the base. One Redis GET
per :func:`gallery_current` when nothing changed; one LRANGE and a small database read when
something did.

A new generation, built from the database, when: :func:`gallery_changed` (anything may have
changed: a merge, a reactivation, an erasure, tests), the log is lost (Redis
restarted or flushed), or a process finds the delta outgrown (:attr:`LiveGallery.outgrown`):
that one builds the next base before it moves the head, so the others keep searching theirs
until it is ready, then map it.
"""

import logging
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from django.db import transaction

from identity.face_engine import get_face_engine
from identity.matching import Gallery
from identity.matching.live_gallery import LiveGallery
from identity.services import gallery_log
from identity.services.gallery_log import Change, version_split
from identity.services.gallery_rows import gallery_load, gallery_samples, rejections_of, sample_rows
from identity.services.index_files import build_lock, file_stem, index_files_remove, index_folder
from identity.vision import FaceEngine

GALLERY_SUFFIX = ".gallery"

log = logging.getLogger(__name__)
_lock = threading.Lock()
_cached: dict[str, LiveGallery] = {}  # model_id -> this process's view; it carries its version
_distrusted: set[str] = set()  # versions whose view predates a change made by this process (gallery_forget)
_provisional: dict[str, set[int]] = {}  # model_id -> samples noted here, not yet seen in the log


def gallery_path(*, model_id: str, version: str) -> Path:
    """The base file of one generation (a version's part before its colon) of one model's gallery."""
    generation = version_split(version)[0]
    return index_folder() / f"{file_stem(model_id)}.{file_stem(generation)}{GALLERY_SUFFIX}"


def _older_removed(path: Path) -> None:
    """Remove the model's other gallery files: processes that map one keep their mapping."""
    stem = path.name.split(".")[0]
    for other in path.parent.glob(f"{stem}.*{GALLERY_SUFFIX}"):
        if other != path and other.name.count(".") == 2:
            other.unlink(missing_ok=True)


def _base_build(*, model_id: str, version: str, mirror_with: FaceEngine | None) -> Path:
    """Build a generation's base file from the database (call under build_lock)."""
    started, path = time.perf_counter(), gallery_path(model_id=model_id, version=version)
    gallery = gallery_load(model_id=model_id, mirror_with=mirror_with)
    gallery.version = version_split(version)[0]
    gallery.save(path)
    kind = gallery.index.kind if gallery.index else "no"
    log.info("built the gallery file %s (%d samples, %s index) in %.1f s", path.name, gallery.sample_count, kind,
             time.perf_counter() - started)
    return path


def gallery_mapped(*, model_id: str, version: str, mirror_with: FaceEngine | None = None) -> Gallery:
    """The base of `version`'s generation, memory-mapped from its file, which the first process
    to need it builds from the database (:func:`gallery_load`) while the others wait for it."""
    path = gallery_path(model_id=model_id, version=version)
    if not path.exists():
        with build_lock(path):
            if not path.exists():  # else another process built it while we waited
                _older_removed(_base_build(model_id=model_id, version=version, mirror_with=mirror_with))
    return Gallery.open(path)


def _base(*, model_id: str, version: str, mirror_with: FaceEngine | None) -> Gallery:
    try:
        return gallery_mapped(model_id=model_id, version=version, mirror_with=mirror_with)
    except (OSError, ValueError) as exc:  # unwritable folder, full disk, removed by a newer version
        log.warning("gallery file unusable (%s): loading the gallery into this process only", exc)
        return gallery_load(model_id=model_id, mirror_with=mirror_with)


def _applied(view: LiveGallery, changes: list[Change], *, version: str, model_id: str,
             mirror_with: FaceEngine | None) -> LiveGallery:
    """`view` with `changes` (and this process's provisional samples) applied, at `version`."""
    added = {pk for change in changes for pk in change.added}
    removed = [pk for change in changes for pk in change.removed]
    people = [pk for change in changes for pk in change.people]
    with _lock:
        provisional = _provisional.setdefault(model_id, set())
        provisional -= added  # in the log now: committed
        pending = set(provisional)
    # Read again each time: a noted sample whose transaction rolled back is gone from the database.
    wanted = (added - set(view.delta_rows.sample_ids.tolist())) | pending
    rows = rejections = None
    rejected_ids: Sequence[int] = ()
    everyones = any(change.rejections for change in changes)
    if wanted:
        # Race: a change in the log has committed, so the rows it names are visible (or deleted since).
        rows = sample_rows(samples=gallery_samples(model_id=model_id).filter(pk__in=wanted), mirror_with=mirror_with)
        found = set() if rows is None else set(rows.sample_ids.tolist())
        removed += sorted(pending - found)
        if not everyones:  # else all of them are read below
            people_now = set(view.delta_rows.person_ids.tolist()) | (
                set() if rows is None else set(rows.person_ids.tolist()))
            rejections, rejected_ids = rejections_of(model_id=model_id, person_ids=people_now)
    if everyones:  # a review rejected a face (or undid it): everyone's rejected faces, read again
        rejections, rejected_ids = rejections_of(model_id=model_id)
    return view.changed(version=version, added=rows, removed_samples=removed, removed_people=people,
                        rejections=rejections, rejected_ids=rejected_ids, base_rejections=everyones)


def _view_at(view: LiveGallery | None, version: str, *, model_id: str, mirror_with: FaceEngine | None) -> LiveGallery:
    """A view at `version`: `view` with the log's entries it lacks applied, or the generation's
    base with all of them; a new generation when the log cannot say (lost)."""
    for _ in range(3):  # a lost log starts a new generation, whose log is then empty
        generation, seq = version_split(version)
        current = view is not None and version_split(view.version)[0] == generation
        after = version_split(view.version)[1] if current else 0
        changes = gallery_log.changes_read(generation=generation, after=after, upto=seq)
        if changes is None:
            log.warning("the gallery's change log is lost (Redis restarted?): building a new base from the database")
            version, view = gallery_log.generation_new(replacing=generation), None
            continue
        if not current:
            base = _base(model_id=model_id, version=version, mirror_with=mirror_with)
            view = LiveGallery(base, version=f"{generation}:0")
        return _applied(view, changes, version=version, model_id=model_id, mirror_with=mirror_with)
    raise RuntimeError("the gallery's change log keeps changing under this process")


def _rebased(view: LiveGallery, *, model_id: str, mirror_with: FaceEngine | None) -> LiveGallery:
    """An outgrown view's next generation: its base built here, then made the head (others keep
    theirs meanwhile); `view` itself when another process or machine is building it."""
    generation = version_split(view.version)[0]
    if not gallery_log.rebuild_claim(generation=generation):
        return view
    try:
        new = uuid.uuid4().hex
        path = gallery_path(model_id=model_id, version=new)
        with build_lock(path):
            head = gallery_log.head_read()
            if version_split(head)[0] != generation:
                return view  # moved on meanwhile: the next call maps the new one
            # Race: read the head BEFORE the database: every change logged by then is in the new base,
            # and the ones after it carry over into the new log (applying one twice changes nothing).
            _base_build(model_id=model_id, version=new, mirror_with=mirror_with)
            if not gallery_log.generation_swap(replacing=generation, carry_after=version_split(head)[1], new=new):
                path.unlink(missing_ok=True)  # gallery_changed() won meanwhile
                return view
            _older_removed(path)
    finally:
        gallery_log.rebuild_release()
    return _view_at(None, gallery_log.head_read(), model_id=model_id, mirror_with=mirror_with)


def gallery_current() -> LiveGallery:
    """The process's gallery for the configured engine, brought up to the shared version (one
    Redis GET when it has not moved)."""
    engine = get_face_engine()
    model_id = engine.model_id
    # Read the version BEFORE applying: a change made meanwhile moves it again.
    version = gallery_log.head_read()
    with _lock:
        view = _cached.get(model_id)
        if view is not None and view.version == version:
            return view
        distrusted = version in _distrusted
    mirror_with = engine if engine.adaptive else None
    if distrusted:  # gallery_forget(): everything from the database, in this process only
        view = LiveGallery(gallery_load(model_id=model_id, mirror_with=mirror_with), version=version)
    else:
        view = _view_at(view, version, model_id=model_id, mirror_with=mirror_with)
        if view.outgrown:
            view = _rebased(view, model_id=model_id, mirror_with=mirror_with)
    with _lock:
        _cached[model_id] = view
    return view


def gallery_noted(*, added: Sequence[int] = (), removed: Sequence[int] = (), people: Sequence[int] = (),
                  rejections: bool = False, push: bool = True) -> None:
    """A change to the gallery by id (samples accepted, samples deleted, people deleted or
    deactivated; `rejections`: the faces reviewers rejected as someone changed), pushed to the
    shared log once the transaction commits; every process, this one included, applies it on
    its next use. Samples added are this process's at once
    (its next duplicate check must see them): provisional until the log names them, read
    again on each change and dropped if their transaction rolled back. `push` False: a
    change read from the database (committed), applied here now and logged by whoever made it."""
    change = Change(tuple(added), tuple(removed), tuple(people), rejections)
    engine = get_face_engine()
    with _lock:
        _provisional.setdefault(engine.model_id, set()).update(change.added)
        view = _cached.get(engine.model_id)
    if view is not None and (change.added or not push):
        # The added samples come in as provisional ones; a change not pushed removes here too.
        local = Change() if push else Change(removed=change.removed, people=change.people)
        view = _applied(view, [local], version=view.version,
                        model_id=engine.model_id, mirror_with=engine if engine.adaptive else None)
        with _lock:
            if _cached.get(engine.model_id) is not None and _cached[engine.model_id].version == view.version:
                _cached[engine.model_id] = view  # else a newer view is there, which reads the provisional ones too
    if push:
        transaction.on_commit(lambda: gallery_log.change_push(change))


def gallery_forget() -> None:
    """Drop this process's cached galleries: the next use loads the gallery from the database
    in this process, not from the current version's file and log, which predate a change this
    process made and has not logged yet; the next version is mapped and applied again."""
    shared = gallery_log.head_read()
    with _lock:
        _distrusted.clear()
        _distrusted.update(view.version for view in _cached.values())
        _distrusted.add(shared)
        _cached.clear()


def gallery_files_remove() -> int:
    """Delete this machine's gallery files now: an erased person's embeddings are in them. Processes
    that map one keep it until they see the generation move; the next use builds the new one."""
    return index_files_remove(f"*{GALLERY_SUFFIX}")


def gallery_changed() -> None:
    """Anything may have changed: a new generation, every process builds or maps its new base on next use."""
    gallery_log.generation_new()
