"""The face engine's settings: read from the environment once, when the process starts."""

import os
import subprocess
import sys

from django.conf import settings

PRINT_CONFIG = """
import os
from identity.face_engine import get_face_engine
os.environ["FACEAPP_THRESHOLD"] = "0.9"  # changed after start-up: not seen
config = get_face_engine().config
engine = get_face_engine()
print(config.threshold, config.flip, config.intra_op_threads, config.min_face_px, engine.min_name_px)
"""


def test_it_configures_the_engine_from_the_environment_read_once_at_start_up(tmp_path):
    env = {**os.environ, "FACEAPP_DATA_DIR": str(tmp_path), "FACEAPP_THRESHOLD": "0.31", "FACEAPP_FLIP": "adaptive",
           "FACEAPP_MIN_FACE_PX": "20", "FACEAPP_MIN_NAME_PX": "24"}
    env.pop("FACEAPP_ORT_THREADS", None)
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PRINT_CONFIG], cwd=settings.BASE_DIR, env=env,
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].split() == ["0.31", "adaptive", "1", "20", "24"]  # one ONNX thread per process by default
