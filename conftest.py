"""Before Django loads: a throw-away FACEAPP_DATA_DIR, so that tests never touch var/, and the
site's clock in UTC."""

import os
import shutil
import tempfile

_created_data_dir = None
if not os.environ.get("FACEAPP_DATA_DIR"):
    # Short path: a unix socket path must stay under ~100 characters.
    _created_data_dir = tempfile.mkdtemp(prefix="faceapp-test-")
    os.environ["FACEAPP_DATA_DIR"] = _created_data_dir
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "faceapp.settings")
# The site's clock is the machine's zone unless set: the suite's expected times are in UTC.
os.environ.setdefault("FACEAPP_TIME_ZONE", "UTC")


def pytest_unconfigure(config):
    if _created_data_dir:
        shutil.rmtree(_created_data_dir, ignore_errors=True)
