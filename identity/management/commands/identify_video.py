"""``manage.py identify_video PATH|0``: name the enrolled people in a video or a webcam feed
with the live cameras' recognizer and tracks, and give strangers IDs that stay stable for the
run (S-1, S-2, ...; not stored). The default threshold is the 1:N one the cameras use."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from identity.face_engine import get_face_engine
from identity.matching import Gallery
from identity.models import Person
from identity.services.calibration import threshold_for
from identity.services.gallery_rows import gallery_load
from identity.video import EnrolledPerson, FaceRow, VideoError, identify_video
from identity.vision import ImageError, ModelError


def _enrolled_gallery(*, model_id: str) -> tuple[Gallery, dict[int, EnrolledPerson]]:
    gallery = gallery_load(model_id=model_id)
    people = Person.objects.filter(pk__in=[int(p) for p in gallery.person_ids])
    return gallery, {p.pk: EnrolledPerson(p.display_id, p.name) for p in people}


class Command(BaseCommand):
    help = (
        "Identify the faces of a video file (or webcam number, e.g. 0) frame by frame: enrolled people "
        "get their names, strangers get IDs stable for this run (S-1, S-2, ...). Writes an annotated "
        "video and/or a CSV; prints a summary. Ctrl-C stops a webcam run."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="video file path, or a webcam device number such as 0")
        parser.add_argument("--out", help="write the annotated video here (.mp4, mp4v codec)")
        parser.add_argument("--csv", help="write one row per face: frame,time_s,id,label,decision,box,...,track")
        parser.add_argument("--visits", help="write one row per visit (track): track,id,label,first/last frame,...")
        parser.add_argument("--every", type=int, default=1, help="analyse every Nth frame (default 1: all)")
        parser.add_argument("--threshold", type=float, help="cosine similarity to name a person (default: the 1:N threshold in force)")
        parser.add_argument("--margin", type=float, help="lead over the runner-up (default: FACEAPP_MATCH_MARGIN)")
        parser.add_argument("--max-frames", type=int, help="stop after this many frames (webcam runs)")
        parser.add_argument("--print-faces", action="store_true", help="print each face as it is identified")

    def handle(self, *args, **options):
        if options["every"] < 1:
            raise CommandError("--every must be 1 or more")
        engine = get_face_engine()
        threshold = threshold_for(None) if options["threshold"] is None else options["threshold"]
        margin = settings.FACEAPP_MATCH_MARGIN if options["margin"] is None else options["margin"]
        gallery, people = _enrolled_gallery(model_id=engine.model_id)
        try:
            summary = identify_video(
                options["source"], engine=engine, gallery=gallery, people=people, threshold=threshold,
                margin=margin, every=options["every"], out_path=options["out"], csv_path=options["csv"],
                max_frames=options["max_frames"], on_row=self._print_face if options["print_faces"] else None,
                visits_path=options["visits"],
            )
        except VideoError as exc:
            raise CommandError(str(exc)) from exc
        except (ImageError, ModelError) as exc:
            raise CommandError(f"face engine problem: {exc}") from exc
        except OSError as exc:
            raise CommandError(f"cannot write output: {exc}") from exc

        self.stdout.write(
            f"frames: {summary.frames} ({summary.analysed_frames} analysed), faces: {summary.faces}, "
            f"{summary.size[0]}x{summary.size[1]} at {summary.fps:.1f} fps; {gallery.person_count} people enrolled "
            f"for {engine.model_id}, threshold {threshold:.3f}, margin {margin:.3f}"
            + (" (interrupted)" if summary.interrupted else "")
        )
        self.stdout.write(f"IDs seen: {len(summary.ids)} in {summary.visits} visit(s)")
        for assigned_id, count in summary.ids.most_common():
            label = summary.labels[assigned_id]
            name = f" {label}" if label != assigned_id else " (stranger)"
            self.stdout.write(f"  {assigned_id:<12}{name:<30} {count} face(s)")
        for what, path in (("annotated video", options["out"]), ("CSV", options["csv"]), ("visits", options["visits"])):
            if path:
                self.stdout.write(f"{what}: {path}")

    def _print_face(self, row: FaceRow) -> None:
        self.stdout.write(f"frame {row.frame} {row.time_s:.2f}s {row.id} {row.label} {row.decision} "
                          f"{row.similarity:.3f} {row.box}")
