"""Memory of two worker processes, each a bench script run with `--worker MODE ...`, read from
/proc/<pid>/smaps_rollup while both are alive: PSS counts a page two processes share (a
memory-mapped index) once between them."""

from __future__ import annotations

import json
import subprocess
import sys


def two_workers_memory(script: str, modes: list[str], *args: str) -> dict[str, dict]:
    """{mode: {"rss_mb": [a, b], "pss_mb": [a, b], "pss_total_mb": a + b}} of two `script --worker
    MODE *args` processes per mode, each of which calls :func:`worker_measured` once it is ready."""
    results = {}
    for mode in modes:
        workers = [subprocess.Popen([sys.executable, script, "--worker", mode, *args],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(2)]
        for worker in workers:  # each has opened what it searches and searched every probe
            assert worker.stdout.readline().strip() == "ready", f"worker {mode} failed"
        readings = []
        for worker in workers:
            worker.stdin.write("measure\n")
            worker.stdin.flush()
            readings.append(json.loads(worker.stdout.readline()))
        for worker in workers:
            worker.stdin.close()
            worker.wait(60)
        results[mode] = {"rss_mb": [r["rss_mb"] for r in readings], "pss_mb": [r["pss_mb"] for r in readings],
                         "pss_total_mb": sum(r["pss_mb"] for r in readings)}
    return results


def worker_measured() -> None:
    """In a worker: say it is ready, then report its own RSS and PSS when asked, then wait to be closed."""
    print("ready", flush=True)
    sys.stdin.readline()
    fields = {line.split(":")[0]: int(line.split()[1]) for line in open("/proc/self/smaps_rollup") if ":" in line
              and line.split()[1].isdigit()}
    print(json.dumps({"rss_mb": fields["Rss"] / 1024, "pss_mb": fields["Pss"] / 1024}), flush=True)
    sys.stdin.readline()
