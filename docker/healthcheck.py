"""The image's HEALTHCHECK: a container serving the web (daphne, runstack) answers /healthz;
another role is healthy while it runs (its workers' health is in /healthz's list, for admins)."""

import os
import sys
import urllib.request
from pathlib import Path

SERVES_WEB = (b"daphne", b"runstack")

if any(name in Path("/proc/1/cmdline").read_bytes() for name in SERVES_WEB):
    port = os.environ.get("FACEAPP_PORT", "8000")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        sys.exit(0 if response.status == 200 else 1)
