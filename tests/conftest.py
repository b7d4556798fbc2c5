"""Shared fixtures: a real Valkey/Redis for the whole session, a real Celery worker
(in a thread, consuming from that broker), users of each role, a private media folder."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import redis
from django.conf import settings

from faceapp.embedded_valkey import start_valkey

FIXTURES = Path(__file__).parent / "fixtures"
SHARED_FACES = Path(settings.BASE_DIR).parent / "shared" / "faces"


class EmbeddedValkey:
    """The session's embedded Valkey (no persistence), which a fault test may stop and start."""

    process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = start_valkey(settings.VALKEY_SOCKET, persist=False)

    def stop(self) -> None:
        """Killed, as in a crash: without persistence it comes back empty."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


_valkey = EmbeddedValkey()


@pytest.fixture(scope="session", autouse=True)
def redis_server():
    """The embedded Valkey (started here) or the REDIS_URL server (emptied first)."""
    if settings.EMBEDDED_VALKEY:
        _valkey.start()
    else:
        redis.Redis.from_url(settings.REDIS_URL).flushdb()
    yield settings.REDIS_URL
    if _valkey.process is not None:
        _valkey.process.terminate()
        _valkey.process.wait(10)


@pytest.fixture
def embedded_valkey(redis_server) -> EmbeddedValkey:
    """The embedded Valkey, to stop and start again; running again when the test ends."""
    if not settings.EMBEDDED_VALKEY:
        pytest.skip("REDIS_URL points at a shared Redis server, which a test must not restart")
    yield _valkey
    if not _valkey.running():
        _valkey.start()


@pytest.fixture(scope="session", autouse=True)
def stray_connections_closed(django_db_setup, django_db_blocker):
    """Worker and server threads keep their own PostgreSQL connections, which would stop the
    test database from being dropped at the end: close them first."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


@pytest.fixture(autouse=True)
def fresh_gallery(redis_server):
    """Test databases roll back and reuse ids; the shared gallery and strangers' versions in
    Redis must move too, so that no process keeps the last test's people or strangers."""
    from identity.services.gallery import gallery_changed
    from identity.services.recognizer import strangers_changed

    gallery_changed()
    strangers_changed()


@pytest.fixture
def celery_worker(redis_server):
    """A real Celery worker consuming from the real broker, in a thread of this process."""
    from celery.contrib.testing.worker import start_worker

    from faceapp.celery import app

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30, queues=["celery"]) as worker:
        yield worker


@pytest.fixture
def live_worker(redis_server, settings):
    """A real Celery worker on the live queue (camera shards) and the default one, in a thread
    of this process (kombu's event loop is one per process: never two in-thread workers at
    once); short live turns, so that enrolment photos wait little and it stops soon."""
    from celery.contrib.testing.worker import start_worker

    from faceapp.celery import app
    from identity.services import live

    settings.FACEAPP_LIVE_RUN_SECONDS = 5.0
    # Live tasks queued by earlier tests (no live worker ran then) are stale: drop them.
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete("live", *client.keys("faceapp:live:s:*"))  # and their leases and "starting" marks
    live._cameras.clear()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30, queues=["celery", "live"]) as worker:
        yield worker
    live._cameras.clear()


@pytest.fixture
def fresh_live_state():
    """No camera state or recognizer left over from an earlier test in this process."""
    from identity.services import live
    from identity.services.recognizer import recognizer_forget

    recognizer_forget()
    live._cameras.clear()
    yield
    live._cameras.clear()
    recognizer_forget()


@pytest.fixture
def worker_enrolled_aaron(live_worker):
    """Aaron Peirsol, enrolled from one photo through the real worker."""
    from identity.services import enrolment
    from identity.services.recognizer import recognizer_forget
    from tests import faces_data

    recognizer_forget()
    person, samples = enrolment.person_enroll(
        name="Aaron Peirsol", code="AP", consent=True, photos=[("a1.jpg", faces_data.photo("lfw_person_a_1.jpg"))]
    )
    done = enrolment.samples_wait(sample_ids=[s.pk for s in samples], timeout=120)
    assert [s.status for s in done] == ["accepted"]
    return person


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs what waits for the commit when the block ends, as a commit
    would (identity.events: attendance follows a visit, a review, a merge once they commit)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def aaron(django_capture_on_commit_callbacks):
    """Aaron Peirsol, enrolled from one photo in this thread (no worker)."""
    from tests import faces_data

    return faces_data.enrol_aaron(django_capture_on_commit_callbacks)


@pytest.fixture
def receiver():
    """A real webhook receiver on 127.0.0.1 (tests/webhook_receiver.py)."""
    from tests.webhook_receiver import Receiver

    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def empty_broker():
    """No message left over from other tests, delivered or not."""
    from faceapp.celery import app
    from faceapp.redis_client import redis_client
    from tests.celery_workers import UNACKED

    app.control.purge()
    redis_client().delete(UNACKED, "unacked_index")


@pytest.fixture
def stalled_photo(empty_broker):
    """submit() stores the group photo as a snapshot whose file is a FIFO: a worker that opens
    it waits there (as on a stalled network disk) with the snapshot PROCESSING, until
    release() puts the photo back."""
    from identity.services import recognition
    from tests import faces_data

    stalled: list[Path] = []
    data = faces_data.photo("bbt_group.jpg")

    def submit():
        snapshot = recognition.snapshot_submit(image=("group.jpg", data))
        path = Path(snapshot.image.path)
        path.unlink()
        os.mkfifo(path)
        stalled.append(path)
        return snapshot

    def release() -> None:
        for path in stalled:
            spare = path.with_name(path.name + ".part")
            spare.write_bytes(data)
            os.replace(spare, path)  # a worker still waiting on the FIFO keeps waiting on the old one

    submit.release = release
    yield submit
    release()


@pytest.fixture
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(scope="session")
def s3_server():
    """A real S3-compatible server on 127.0.0.1: moto's standalone server (moto[server], pip-installed
    by requirements-dev.txt, well kept, no binary to fetch), a process speaking the S3 protocol over
    HTTP, so boto3 and django-storages run unmocked; the tests skip, saying why, where it cannot start."""
    from tests.s3_server import S3Server

    server = S3Server().start()
    yield server
    server.stop()


@pytest.fixture
def s3_media(s3_server, tmp_path, settings):
    """Media in a fresh bucket of that server (STORAGES["default"] the S3 backend, as the
    FACEAPP_MEDIA_S3_* settings make it); MEDIA_ROOT a folder that must stay absent."""
    if s3_server.problem:
        pytest.skip(s3_server.problem)
    media = s3_server.bucket(tmp_path / "local-media")
    settings.MEDIA_ROOT = media.local_media
    settings.STORAGES = {**settings.STORAGES, "default": media.storage_settings()}
    yield media


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


@pytest.fixture
def browser_site(tmp_path, monkeypatch):
    """(base URL, browser): faceapp under Daphne and a headless Chromium (tests.browser), for a test
    whose rows are committed (django_db(transaction=True)); screenshots go to tests/artifacts."""
    from tests.browser import ARTIFACTS, launch_chromium, live_server, require_chromium

    require_chromium()
    from playwright.sync_api import sync_playwright  # only where Chromium is there

    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(tmp_path) as base_url, sync_playwright() as playwright:
        # Playwright's loop runs in this thread and the ORM calls here are sequential; set after the
        # server took its environment, so that Daphne still refuses sync ORM calls in async code.
        monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = launch_chromium(playwright)
        yield base_url, browser
        browser.close()


@pytest.fixture
def readers():
    """The stream readers' supervisor running in a thread for the test, stopped after it."""
    import threading

    from identity.services.readers import ReaderSupervisor  # needs the app registry: imported here

    stop = threading.Event()
    supervisor = ReaderSupervisor()
    thread = threading.Thread(target=supervisor.run, args=(stop,), daemon=True)
    thread.start()
    yield supervisor
    stop.set()
    thread.join(30)
