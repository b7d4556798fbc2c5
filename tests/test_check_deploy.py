import os
import subprocess
import sys

from django.conf import settings


def test_it_is_clean_under_production_settings(tmp_path):
    env = dict(os.environ)
    env.update(
        DEBUG="0",
        SECRET_KEY="prod-" + "k3y-" * 16,
        ALLOWED_HOSTS="faceapp.example.org",
        FACEAPP_HTTPS="1",
        FACEAPP_DATA_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_warns_without_https_settings(tmp_path):
    env = dict(os.environ, DEBUG="0", FACEAPP_HTTPS="0", FACEAPP_DATA_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT" in result.stderr + result.stdout
