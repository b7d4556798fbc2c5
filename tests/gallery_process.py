"""Another process with its own gallery, as a worker has (tests/test_services_gallery.py): run
with the test database's environment (tests.celery_workers.worker_env), it answers one line of
JSON for each "<seed>" line it reads: whom gallery_current() names for unit_vector(seed), and
the base file it searched."""

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "faceapp.settings")
django.setup()

from identity.services.gallery import gallery_current  # noqa: E402
from tests.review_data import unit_vector  # noqa: E402

for line in sys.stdin:
    gallery = gallery_current()
    [match] = gallery.search(unit_vector(int(line)))
    print(json.dumps({"person_id": match.person_id, "path": str(gallery.path), "inode": os.stat(gallery.path).st_ino,
                      "delta": gallery.delta_rows.sample_ids.tolist()}), flush=True)
