"""Class photos of enrolled people at face widths of 16 to 64 px: found, named right, named
wrongly, "too small to name", and the time per photo, for today's detector (one pass at 640 px)
and with FACEAPP_MIN_FACE_PX tiling, same photos, same run (issue 26).

Enrolled: the first photo of each of the first ``--people`` LFW people with two or more photos
(bench/identify.py's split and embedding cache). Each class photo (bench/crowd_scenes.py) holds
``--faces`` of them, each in another of their photos, at one face width on a 1920x1080 scene; some
faces tilted, some blurred by the scaling. Each photo goes through each detector setting as an
upload does (``FaceEngine.detect`` with that ``min_face_px``, ``FaceEngine.faces``,
``Gallery.search`` and the adaptive step, ``PersonMatch.is_known`` at the naming threshold and
margin), the settings taking turns. A pasted face is found when a detection overlaps its box
(IoU 0.3); found faces under the model's name size (``FaceEngine.min_name_px``, ``--min-name-px``)
are "too small", the others named right, named wrongly, or left unknown. "guessed" gives right and
wrong as they would be with no size limit (every found face decided): the size where wrong names
begin is the model's name size (identity/vision/embedder.py MIN_NAME_PX).
Time per photo is CPU time, one ONNX Runtime thread: detect, align, embed, search, decide.

    .venv/bin/python bench/crowd.py                          # 1,000 enrolled, 6 widths x 20 photos x 30 faces, ~5 min CPU
    .venv/bin/python bench/crowd.py --people 100 --photos 1  # quick
    .venv/bin/python bench/crowd.py --tiles 16,24,32 --json crowd.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one face at a time: a BLAS pool only spins

import cv2  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from crowd_scenes import Subject, class_photo  # noqa: E402
from identify import DEFAULT_CACHE, DEFAULT_LFW, EmbeddingCache, embed_missing, split_lfw  # noqa: E402
from lfw_faces import central_order, detect_with_fallback  # noqa: E402

from identity.live.recognizer import DEFAULT_MARGIN  # noqa: E402
from identity.live.boxes import box_iou, greedy_pairs  # noqa: E402
from identity.matching import Gallery, refine_face_matches  # noqa: E402
from identity.vision import EngineConfig, FaceEngine  # noqa: E402
from identity.vision.profiles import model_profile  # noqa: E402

WIDTHS = (16, 20, 24, 32, 48, 64)
FOUND_IOU = 0.3


@dataclass
class Tally:
    faces: int = 0
    found: int = 0
    right: int = 0
    wrong: int = 0
    too_small: int = 0
    guessed_right: int = 0
    guessed_wrong: int = 0
    photos: int = 0
    cpu_s: float = 0.0
    sizes: list = field(default_factory=list)  # measured size of each found face

    def row(self) -> dict:
        n = max(self.faces, 1)
        return {"faces": self.faces, "recall": self.found / n, "right": self.right / n, "wrong": self.wrong / n,
                "too_small": self.too_small / n, "guessed_right": self.guessed_right / n,
                "guessed_wrong": self.guessed_wrong / n, "ms_per_photo": 1000 * self.cpu_s / max(self.photos, 1),
                "size_px": [round(float(np.percentile(self.sizes, q)), 1) for q in (5, 50, 95)] if self.sizes else None}


def setting_name(min_face_px: int) -> str:
    return "640 px, one pass" if min_face_px == 0 else f"tiles, min face {min_face_px}"


def subjects_of(engine: FaceEngine, photos: dict[int, str], images_dir: Path) -> dict[int, Subject]:
    """Each person's probe photo and its subject's box at full size; photos whose subject the
    detector does not find at full size are left out (nothing would be fair to ask of them)."""
    found = {}
    for person, photo in photos.items():
        bgr = cv2.imread(str(images_dir / photo))
        detections, fallback = detect_with_fallback(engine, bgr)
        if fallback is None:
            best = central_order(detections, bgr.shape[1], bgr.shape[0])[0]
            found[person] = Subject(photo=bgr, box=best.box.astype(np.float32), person=person)
    return found


def recognize(engine: FaceEngine, gallery: Gallery, image: np.ndarray, *, threshold: float, margin: float):
    """One class photo as an upload sees it: (faces, their matches)."""
    faces = engine.faces([(image, engine.detect(image))])[0]
    if not faces:
        return [], []
    matches = gallery.search(np.stack([f.embedding for f in faces]))
    refined = refine_face_matches(engine=engine, faces=faces, matches=matches, gallery=gallery,
                                  threshold=threshold, margin=margin)
    return faces, refined.matches


def score(tally: Tally, scene, faces, matches, *, threshold: float, margin: float,
          min_name_px: int) -> None:
    tally.faces += len(scene.people)
    if not faces:
        return
    overlap = box_iou(scene.boxes, np.stack([f.box for f in faces]))
    for row, col in greedy_pairs(overlap, FOUND_IOU):
        face, match, person = faces[col], matches[col], scene.people[row]
        tally.found += 1
        tally.sizes.append(face.quality.size_px)
        named = match.is_known(threshold=threshold, margin=margin)
        tally.guessed_right += named and match.person_id == person
        tally.guessed_wrong += named and match.person_id != person
        if face.quality.size_px < min_name_px:
            tally.too_small += 1
        else:
            tally.right += named and match.person_id == person
            tally.wrong += named and match.person_id != person


def pct(x: float) -> str:
    return f"{100 * x:.1f}"


def report(results: dict, widths: list[int], settings: list[int]) -> None:
    print(f"\n{'width':>5} {'detector':<20}{'recall %':>9}{'right %':>9}{'wrong %':>9}{'too small %':>12}"
          f"{'guessed right/wrong %':>23}{'ms/photo':>10}{'size px 5/50/95':>16}")
    for width in widths:
        for setting in settings:
            r = results[width][setting].row()
            size = "-" if r["size_px"] is None else "{:.0f}..{:.0f}..{:.0f}".format(*r["size_px"])
            print(f"{width:>5} {setting_name(setting):<20}{pct(r['recall']):>9}{pct(r['right']):>9}{pct(r['wrong']):>9}"
                  f"{pct(r['too_small']):>12}{pct(r['guessed_right']) + ' / ' + pct(r['guessed_wrong']):>23}"
                  f"{r['ms_per_photo']:>10.0f}{size:>14}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lfw", default=str(DEFAULT_LFW), help="LFW folder (images/<Name>/<Name>_NNNN.jpg)")
    parser.add_argument("--people", type=int, default=1000, help="people enrolled (LFW people with 2+ photos)")
    parser.add_argument("--photos", type=int, default=20, help="class photos per face width")
    parser.add_argument("--faces", type=int, default=30, help="faces per class photo")
    parser.add_argument("--widths", default=",".join(map(str, WIDTHS)), help="face widths, px")
    parser.add_argument("--tiles", help="FACEAPP_MIN_FACE_PX values tried beside one pass (default: 16 and the "
                        "engine's default, the name size)")
    parser.add_argument("--min-name-px", type=int, help="too small to name below this (default: the model's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="ONNX Runtime intra-op threads")
    parser.add_argument("--cache", default=str(DEFAULT_CACHE), help="enrolled embeddings cache (.npz)")
    parser.add_argument("--json", help="write the table to this file")
    args = parser.parse_args()

    images_dir = Path(args.lfw) / "images"
    if not images_dir.is_dir():
        parser.error(f"no LFW images at {images_dir}")
    widths = [int(w) for w in args.widths.split(",")]
    default = FaceEngine(EngineConfig.from_env()).min_face_px  # no model loaded
    tiles = [int(t) for t in args.tiles.split(",") if t.strip()] if args.tiles else sorted({16, default} - {0})
    settings = [0] + tiles
    engines = {m: FaceEngine(EngineConfig.from_env(intra_op_threads=args.threads, inter_op_threads=1,
                                                   min_face_px=m)).load() for m in settings}
    engine = engines[0]
    min_name_px = args.min_name_px if args.min_name_px is not None else engine.min_name_px
    # the profile's (FACEAPP_PROFILE), as the app's settings take it
    threshold = float(os.environ.get("FACEAPP_MATCH_THRESHOLD", model_profile(engine.config.profile).match_threshold))
    margin = float(os.environ.get("FACEAPP_MATCH_MARGIN", DEFAULT_MARGIN))

    split = split_lfw(images_dir, args.people)
    flip_model_id = engine.flip_model_id if engine.adaptive else None
    cache = EmbeddingCache(Path(args.cache), engine.model_id, flip_model_id=flip_model_id)
    embed_missing(engine, split.enrolled, images_dir, cache)
    gallery = Gallery(np.stack([cache.embeddings[n] for n in split.enrolled]), split.enrolled_person,
                      flip_embeddings=np.stack([cache.flips[n] for n in split.enrolled]) if flip_model_id else None)

    rng = np.random.default_rng(args.seed)
    others: dict[int, list[str]] = {}
    for photo, person in zip(split.known_probes, split.known_probe_person):
        others.setdefault(person, []).append(photo)
    wanted = min(len(others), args.photos * args.faces)
    shown = {int(p): str(rng.choice(others[int(p)])) for p in rng.choice(sorted(others), wanted, replace=False)}
    subjects = list(subjects_of(engine, shown, images_dir).values())
    print(f"{len(split.enrolled)} enrolled ({engine.model_id}, {engine.config.flip} flip), {len(subjects)} "
          f"people shown ({wanted - len(subjects)} left out: no face at full size), {args.photos} photos x "
          f"{args.faces} faces per width, seed {args.seed}; too small to name under {min_name_px} px; "
          f"threshold {threshold}, margin {margin}; {args.threads} ORT thread(s)", flush=True)

    results = {w: {s: Tally() for s in settings} for w in widths}
    for width in widths:
        for number in range(args.photos):
            scene_rng = np.random.default_rng([args.seed, width, number])  # the same photo whatever ran before
            chosen = scene_rng.choice(len(subjects), min(args.faces, len(subjects)), replace=False)
            scene = class_photo([subjects[i] for i in chosen], width, scene_rng)
            order = settings if number % 2 == 0 else settings[::-1]
            for setting in order:
                tally = results[width][setting]
                began = time.process_time()
                faces, matches = recognize(engines[setting], gallery, scene.image, threshold=threshold, margin=margin)
                tally.cpu_s += time.process_time() - began
                tally.photos += 1
                score(tally, scene, faces, matches, threshold=threshold, margin=margin,
                      min_name_px=min_name_px)
        print(f"  width {width} done", flush=True)
    report(results, widths, settings)
    if args.json:
        Path(args.json).write_text(json.dumps({
            "model_id": engine.model_id, "enrolled": len(split.enrolled), "seed": args.seed,
            "photos": args.photos, "faces": args.faces, "min_name_px": min_name_px, "threshold": threshold,
            "margin": margin, "rows": [{"width": w, "min_face_px": s, **results[w][s].row()}
                                       for w in widths for s in settings],
        }, indent=1))


if __name__ == "__main__":
    main()
