"""Identify the faces of a video file or a webcam with the live cameras' recognizer and
tracks: faces are followed across frames and each track's identity is decided from all its
frames; enrolled people get their names, strangers get IDs that stay stable for the run
("S-1", "S-2", ..., never stored). Plain Python (OpenCV, numpy), no Django:
``manage.py identify_video`` supplies the gallery and names.

Writes an annotated copy of the video (boxes and labels, mp4v), a CSV with one row per face
of each analysed frame (with its track's decided ID) and a CSV with one row per visit (track).
"""

from __future__ import annotations

import csv
import itertools
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from identity.live.pipeline import CameraPipeline
from identity.live.recognizer import Recognizer, Thresholds
from identity.live.track import NAMED_BY_TRACK, FaceView, Track, TrackSettings, named_by
from identity.matching import Gallery, person_display_id
from identity.vision import FaceEngine

CSV_COLUMNS = ["frame", "time_s", "id", "label", "decision", "x1", "y1", "x2", "y2", "similarity",
               "stranger_similarity", "track", "named_by"]
VISIT_COLUMNS = ["track", "id", "label", "decision", "first_frame", "last_frame", "first_s", "last_s", "frames",
                 "similarity"]
# Offline, every analysed frame is embedded, and every face ends in a decided track.
VIDEO_TRACKING = TrackSettings(reembed_frames=1, min_frames=1)
STRANGER_PREFIX = "S-"
WEBCAM_FPS = 15.0  # written-video rate when the camera does not report one
KNOWN_COLOUR, STRANGER_COLOUR = (60, 180, 60), (0, 140, 255)  # BGR


class VideoError(Exception):
    """The video cannot be read; the message says why, for a human."""


@dataclass(frozen=True)
class EnrolledPerson:
    display_id: str  # Person.display_id: code or P-<pk>
    name: str


@dataclass(frozen=True)
class FaceRow:
    """One face of one analysed frame, as written to the CSV."""

    frame: int
    time_s: float
    id: str
    label: str
    decision: str  # "known" or "unknown"
    box: tuple[int, int, int, int]
    similarity: float  # cosine to the closest enrolled person (-1.0 with an empty gallery)
    stranger_similarity: float | None  # to the stranger ID it joined; None when known or new
    track: int = 0
    # Who put the name on this face: "face" (its own similarity names the person) or "track" (the
    # track's vote did; the face alone would not); "" when no name is shown.
    named_by: str = ""

    def as_csv(self) -> list[object]:
        stranger = "" if self.stranger_similarity is None else f"{self.stranger_similarity:.4f}"
        return [self.frame, f"{self.time_s:.3f}", self.id, self.label, self.decision, *self.box,
                f"{self.similarity:.4f}", stranger, self.track, self.named_by]


@dataclass
class TrackRows:
    """The faces of one track, written once the track ends and its identity is final."""

    faces: list[tuple[int, float, FaceView]] = field(default_factory=list)  # (frame, time_s, view)


@dataclass
class VideoSummary:
    frames: int = 0  # frames read
    analysed_frames: int = 0
    faces: int = 0
    fps: float = 0.0
    size: tuple[int, int] = (0, 0)  # width, height
    ids: Counter = field(default_factory=Counter)  # id -> faces seen with it
    labels: dict[str, str] = field(default_factory=dict)  # id -> label (name or stranger ID)
    visits: int = 0  # tracks
    interrupted: bool = False


def open_video(source: str) -> cv2.VideoCapture:
    """A capture for a file path, or a webcam for a device number such as "0"."""
    if source.isdigit():
        capture = cv2.VideoCapture(int(source))
        if not capture.isOpened():
            raise VideoError(f"cannot open webcam {source}")
        return capture
    path = Path(source)
    if not path.is_file():
        raise VideoError(f"file not found: {source}")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise VideoError(f"cannot read video {source}: not a video OpenCV can decode")
    return capture


def stranger_labels(prefix: str = STRANGER_PREFIX) -> Callable[[], str]:
    """S-1, S-2, ...: IDs for the strangers of one run."""
    counter = itertools.count(1)
    return lambda: f"{prefix}{next(counter)}"


def identity_of(track: Track, people: Mapping[int, EnrolledPerson]) -> tuple[str, str, str]:
    """(id, label, decision) of a track: the enrolled person's, the stranger's, or pending."""
    identity = track.identity
    if identity is None:
        return "", "…", "pending"
    if identity.known:
        unnamed = person_display_id(identity.person_id)  # enrolled after the gallery was read
        person = people.get(identity.person_id, EnrolledPerson(unnamed, unnamed))
        return person.display_id, person.name, "known"
    return str(identity.stranger_label), str(identity.stranger_label), "unknown"


def face_row(frame: int, time_s: float, track: Track, view: FaceView, people: Mapping[int, EnrolledPerson]) -> FaceRow:
    assigned_id, label, decision = identity_of(track, people)
    similarity = view.match.similarity if view.match else track.best_similarity
    return FaceRow(frame=frame, time_s=time_s, id=assigned_id, label=label, decision=decision,
                   box=tuple(int(round(float(v))) for v in view.box), similarity=similarity,
                   stranger_similarity=None, track=track.track_id, named_by=named_by(track, view) or "")


def draw_faces(image: np.ndarray, rows: list[FaceRow]) -> None:
    """Boxes with "label similarity" captions, in place; text grows with the frame."""
    scale = max(0.45, min(image.shape[:2]) / 600)
    thickness = max(1, round(scale * 1.5))
    for row in rows:
        x1, y1, x2, y2 = row.box
        colour = KNOWN_COLOUR if row.decision == "known" else STRANGER_COLOUR
        cv2.rectangle(image, (x1, y1), (x2, y2), colour, thickness + 1)
        score = row.similarity if row.decision == "known" else row.stranger_similarity
        caption = row.label if score is None else f"{row.label} {score:.2f}"
        caption += " (by the track)" if row.named_by == NAMED_BY_TRACK else ""
        (width, height), baseline = cv2.getTextSize(caption, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        top = max(y1 - height - baseline - 4, 0)
        cv2.rectangle(image, (x1, top), (x1 + width + 4, top + height + baseline + 4), colour, -1)
        cv2.putText(image, caption, (x1 + 2, top + height + 2), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (255, 255, 255), thickness, cv2.LINE_AA)


def identify_video(
    source: str,
    *,
    engine: FaceEngine,
    gallery: Gallery,
    people: Mapping[int, EnrolledPerson],
    threshold: float,
    margin: float,
    every: int = 1,
    out_path: str | Path | None = None,
    csv_path: str | Path | None = None,
    max_frames: int | None = None,
    on_row: Callable[[FaceRow], None] | None = None,
    visits_path: str | Path | None = None,
) -> VideoSummary:
    """Analyse every `every`-th frame; frames in between are written with the last boxes.

    Raises VideoError when the source cannot be opened or yields no frame. Ctrl-C stops
    a webcam run cleanly: the files written so far are closed and the summary returned.
    """
    if every < 1:
        raise ValueError("every must be 1 or more")
    capture = open_video(source)
    writer = table = csv_file = pipeline = None
    summary = VideoSummary()
    try:
        ok, image = capture.read()
        if not ok or image is None:
            raise VideoError(f"cannot read video {source}: no frames")
        is_webcam = source.isdigit()
        summary.fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        summary.size = (image.shape[1], image.shape[0])
        if out_path is not None:
            fourcc = cv2.VideoWriter.fourcc(*"mp4v")
            writer = cv2.VideoWriter(str(out_path), fourcc, summary.fps or WEBCAM_FPS, summary.size)
            if not writer.isOpened():
                raise VideoError(f"cannot write video {out_path}")
        if csv_path is not None:
            csv_file = open(csv_path, "w", newline="")
            table = csv.writer(csv_file)
            table.writerow(CSV_COLUMNS)
        recognizer = Recognizer(gallery=gallery, new_stranger=stranger_labels(),
                                thresholds=Thresholds(name=threshold, margin=margin, stranger=threshold))
        pipeline = CameraPipeline(engine=engine, recognizer=recognizer, settings=VIDEO_TRACKING)
        pending: dict[int, TrackRows] = {}
        started, rows = time.monotonic(), []
        face_rows: list[FaceRow] = []
        visit_rows: list[list[object]] = []

        def close(ended: list[Track]) -> None:
            for track in ended:
                faces = pending.pop(track.track_id, TrackRows()).faces
                face_rows.extend(face_row(frame, t, track, view, people) for frame, t, view in faces)
                assigned_id, label, decision = identity_of(track, people)
                summary.visits += 1
                visit_rows.append([track.track_id, assigned_id, label, decision, faces[0][0], faces[-1][0],
                                   f"{faces[0][1]:.3f}", f"{faces[-1][1]:.3f}", len(faces),
                                   f"{track.identity.similarity:.4f}" if track.identity else ""])

        while ok and (max_frames is None or summary.frames < max_frames):
            index = summary.frames
            time_s = time.monotonic() - started if is_webcam or not summary.fps else index / summary.fps
            if index % every == 0:
                result = pipeline.process(image, now=time_s)
                for track, view in result.views:
                    pending.setdefault(track.track_id, TrackRows()).faces.append((index, time_s, view))
                rows = [face_row(index, time_s, track, view, people) for track, view in result.views]
                close(result.ended)
                summary.analysed_frames += 1
            if writer is not None:
                draw_faces(image, rows)
                writer.write(image)
            summary.frames += 1
            ok, image = capture.read()
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        if pipeline is not None:
            close(pipeline.finish())
            _write_rows(sorted(face_rows, key=lambda r: (r.frame, r.box)), visit_rows, summary, table,
                        visits_path, on_row)
        capture.release()
        if writer is not None:
            writer.release()
        if csv_file is not None:
            csv_file.close()
    return summary


def _write_rows(face_rows: list[FaceRow], visit_rows: list[list[object]], summary: VideoSummary, table,
                visits_path: str | Path | None, on_row: Callable[[FaceRow], None] | None) -> None:
    for row in face_rows:
        summary.faces += 1
        summary.ids[row.id] += 1
        summary.labels[row.id] = row.label
        if table is not None:
            table.writerow(row.as_csv())
        if on_row is not None:
            on_row(row)
    if visits_path is not None:
        with open(visits_path, "w", newline="") as handle:
            visits = csv.writer(handle)
            visits.writerow(VISIT_COLUMNS)
            visits.writerows(visit_rows)
