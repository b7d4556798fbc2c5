"""Shared fixtures: a real Valkey/Redis for the whole session, a real Celery worker
(in a thread, consuming from that broker), users of each role, a private media folder."""

import shutil
from pathlib import Path

import pytest
import redis
from django.conf import settings

from faceapp.embedded_valkey import start_valkey

FIXTURES = Path(__file__).parent / "fixtures"
SHARED_FACES = Path(settings.BASE_DIR).parent / "shared" / "faces"


@pytest.fixture(scope="session", autouse=True)
def redis_server():
    """The embedded Valkey (started here) or the REDIS_URL server (emptied first)."""
    process = None
    if settings.EMBEDDED_VALKEY:
        process = start_valkey(settings.VALKEY_SOCKET, persist=False)
    else:
        redis.Redis.from_url(settings.REDIS_URL).flushdb()
    yield settings.REDIS_URL
    if process is not None:
        process.terminate()
        process.wait(10)


@pytest.fixture(autouse=True)
def fresh_gallery(redis_server):
    """Test databases roll back and reuse ids; the shared gallery version in Redis must move too."""
    from identity.services.gallery import gallery_changed

    gallery_changed()


@pytest.fixture
def celery_worker(redis_server):
    """A real Celery worker consuming from the real broker, in a thread of this process."""
    from celery.contrib.testing.worker import start_worker

    from faceapp.celery import app

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as worker:
        yield worker


@pytest.fixture
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _user_with_role(django_user_model, role: str):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(username=role, password="pw-" + role)
    # A transactional test before this one may have flushed the migration-made groups.
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def operator_user(django_user_model):
    return _user_with_role(django_user_model, "operator")


@pytest.fixture
def viewer_user(django_user_model):
    return _user_with_role(django_user_model, "viewer")


@pytest.fixture
def shared_faces() -> Path:
    if not SHARED_FACES.is_dir():
        pytest.skip(f"{SHARED_FACES} is absent: the shared face data set is not beside this checkout")
    return SHARED_FACES


def copy_fixture(name: str, destination: Path) -> Path:
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / name, destination)
    return destination
