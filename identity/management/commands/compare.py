"""``manage.py compare IMG1 IMG2``: are these two photos the same person?"""

from __future__ import annotations

import dataclasses
import json

from django.core.management.base import BaseCommand, CommandError

from identity.face_engine import get_face_engine
from identity.vision import ImageError, ModelError, NoFaceError, get_engine


class Command(BaseCommand):
    help = (
        "Compare the largest face of two photos and say whether they show the same person. "
        "Exits non-zero when a file is unreadable or shows no face."
    )

    def add_arguments(self, parser):
        parser.add_argument("image1", help="first photo (path)")
        parser.add_argument("image2", help="second photo (path)")
        parser.add_argument("--threshold", type=float, help="cosine similarity for 'same person' (default: configured)")
        modes = parser.add_mutually_exclusive_group()
        modes.add_argument("--flip", action="store_true", help="flip test-time augmentation (slower)")
        modes.add_argument("--adaptive", action="store_true",
                           help="mirror the faces only when the similarity is close to the threshold (the default)")
        modes.add_argument("--plain", action="store_true", help="never mirror the faces")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, **options):
        engine = get_face_engine()
        changes = {}
        if options["threshold"] is not None:
            changes["threshold"] = options["threshold"]
        for mode in ("flip", "adaptive", "plain"):
            if options[mode]:
                changes["flip"] = mode
        if changes:
            engine = get_engine(dataclasses.replace(engine.config, **changes))
        paths = (options["image1"], options["image2"])
        try:
            result = engine.verify(*paths)
        except ImageError as exc:
            raise CommandError(f"cannot use image: {exc}") from exc
        except NoFaceError as exc:
            raise CommandError(f"{exc} ({paths[exc.image - 1]})" if exc.image else str(exc)) from exc
        except ModelError as exc:
            raise CommandError(f"face model problem: {exc}") from exc
        if options["json"]:
            payload = {
                "image1": paths[0], "image2": paths[1], "similarity": round(result.similarity, 4),
                "threshold": result.threshold, "same": result.same, "verdict": result.verdict, "close": result.close,
                "band": result.band, "limits": result.limits,
                "model_id": result.model_id, "mirrored": result.mirrored, "notes": result.notes,
            }
            self.stdout.write(json.dumps(payload))
            return
        for note in result.notes:
            self.stdout.write(f"note: {note}")
        self.stdout.write(f"similarity: {result.similarity:.4f} (threshold {result.threshold:.4f}, {result.model_id})")
        for limit in result.limits:
            self.stdout.write(f"limited by {limit}")
        if result.close:
            self.stdout.write(f"{result.verdict}: within {result.band:.2f} of the threshold")
        else:
            self.stdout.write(result.verdict)
