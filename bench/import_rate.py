"""Bulk import rate into a pre-filled gallery: ``manage.py import_people --inline`` of LFW photos
into a fresh database holding ``--prefill`` synthetic enrolled people (one accepted sample
each, random unit embeddings), timed; photos/s at the start and the end of the import from
the imported samples' processed_at (the first and last ``--window`` photos). ``--root`` runs
another checkout's code (e.g. the code before a change) with this virtualenv, read-only.

    .venv/bin/python bench/import_rate.py --photos 1000 --prefill 5000 --data-dir /tmp/import-bench
    .venv/bin/python bench/import_rate.py --root /work/main --data-dir /tmp/import-bench-main
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LFW = ROOT.parent / "shared" / "faces" / "lfw" / "images"

PREFILL = """
import numpy as np
from django.utils import timezone
from identity.face_engine import get_face_engine
from identity.models import FaceSample, Person, embedding_to_bytes
n, model_id, now = {count}, get_face_engine().model_id, timezone.now()
people = Person.objects.bulk_create([Person(name=f"Prefill {{i}}", consent_given_at=now) for i in range(n)])
rng = np.random.default_rng(0)
vectors = rng.standard_normal((n, 512)).astype(np.float32)
vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
FaceSample.objects.bulk_create([FaceSample(person=p, status=FaceSample.ACCEPTED, model_id=model_id, photo="prefill.jpg",
    embedding=embedding_to_bytes(v), source="prefill", processed_at=now) for p, v in zip(people, vectors)], batch_size=1000)
"""
RATES = """
import json
from identity.models import FaceSample
times = [t.timestamp() for t in FaceSample.objects.filter(source="import").exclude(processed_at=None)
         .order_by("processed_at").values_list("processed_at", flat=True)]
w = min({window}, len(times) // 2)
rate = lambda part: (len(part) - 1) / (part[-1] - part[0]) if len(part) > 1 and part[-1] > part[0] else 0.0
print("RATES " + json.dumps({{"processed": len(times), "start": rate(times[:w]), "end": rate(times[-w:])}}))
"""


def photos_folder(folder: Path, count: int) -> int:
    """`count` LFW photos, up to 3 a person, a sub-folder each (copies: the import refuses links out)."""
    copied = 0
    for person in sorted(LFW.iterdir()):
        for photo in sorted(person.glob("*.jpg"))[:3]:
            (folder / person.name).mkdir(parents=True, exist_ok=True)
            shutil.copy(photo, folder / person.name / photo.name)
            copied += 1
            if copied == count:
                return copied
    return copied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=1000)
    parser.add_argument("--prefill", type=int, default=5000)
    parser.add_argument("--window", type=int, default=200, help="photos the start and end rates are taken over")
    parser.add_argument("--root", default=str(ROOT), help="the checkout whose manage.py runs")
    parser.add_argument("--data-dir", required=True, help="a private FACEAPP_DATA_DIR (emptied first)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12", help="a Redis database of its own")
    args = parser.parse_args()
    data = Path(args.data_dir)
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    env = {**os.environ, "FACEAPP_DATA_DIR": str(data), "REDIS_URL": args.redis_url, "PYTHONDONTWRITEBYTECODE": "1",
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    env.pop("DATABASE_URL", None)
    manage = lambda *a, **kw: subprocess.run([sys.executable, "manage.py", *a], cwd=args.root, env=env,  # noqa: E731
                                             check=True, **kw)
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    manage("migrate", "-v0")
    manage("shell", "-c", PREFILL.format(count=args.prefill))
    photos = photos_folder(data / "photos", args.photos)
    started = time.perf_counter()
    manage("import_people", str(data / "photos"), "--consent", "--inline", stdout=subprocess.DEVNULL,
           stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    out = manage("shell", "-c", RATES.format(window=args.window), capture_output=True, text=True).stdout
    rates = json.loads(out.split("RATES ", 1)[1])
    print(json.dumps({"root": args.root, "prefill": args.prefill, "photos": photos, "seconds": round(elapsed, 1),
                      "photos_per_s": round(photos / elapsed, 2), "start_per_s": round(rates["start"], 2),
                      "end_per_s": round(rates["end"], 2), "processed": rates["processed"]}))


if __name__ == "__main__":
    main()
