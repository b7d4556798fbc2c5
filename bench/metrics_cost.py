"""What counting costs the live frame loop: the metrics calls of one processed frame (frames read
and processed counted, recognition and overlay latency observed), in memory, as the loop makes
them; flushing to Redis is another thread's, once a second (faceapp/metrics.py).

    .venv/bin/python bench/metrics_cost.py [--frames 100000]
"""

import argparse
import os
import sys
import tempfile
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "faceapp.settings")
os.environ.setdefault("FACEAPP_DATA_DIR", tempfile.mkdtemp(prefix="faceapp-metrics-cost-"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=100_000)
    args = parser.parse_args()
    import django

    django.setup()
    from faceapp import metrics

    metrics.FLUSH_SECONDS = 3600.0  # no Redis is needed: the frame loop never waits for it

    def frame() -> None:
        metrics.count("faceapp_frames_read_total", camera=7)
        metrics.observe("faceapp_recognition_seconds", 0.04, camera=7)
        metrics.count("faceapp_frames_processed_total", camera=7)
        metrics.observe("faceapp_overlay_latency_seconds", 0.12, camera=7)

    seconds = min(timeit.repeat(frame, number=args.frames, repeat=3))
    print(f"{seconds / args.frames * 1e6:.2f} us a frame (2 counts + 2 observations, best of 3 x {args.frames})")
    os._exit(0)  # the unflushed counts go nowhere: there is no Redis to reach


if __name__ == "__main__":
    main()
