"""Health checks for /healthz: liveness (for anyone), and the checks of each part for admins,
each returning (ok, detail)."""

import redis
from django.conf import settings
from django.db import connection

from faceapp.celery import app as celery_app
from identity.face_engine import get_face_engine, model_files_status
from identity.services.gallery_rows import people_without_model


def check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, connection.vendor
    except Exception as exc:  # any driver error means "down"
        return False, f"{type(exc).__name__}: {exc}"


def check_broker() -> tuple[bool, str]:
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2).ping()
        return True, "embedded valkey" if settings.EMBEDDED_VALKEY else "redis"
    except redis.RedisError as exc:
        return False, f"{type(exc).__name__}: {exc}"


def check_workers(timeout: float = 1.5) -> tuple[bool, list[str] | str]:
    try:
        replies = celery_app.control.ping(timeout=timeout) or []
    except Exception as exc:  # kombu raises many types when the broker is gone
        return False, f"{type(exc).__name__}: {exc}"
    workers = sorted(name for reply in replies for name in reply)
    return (True, workers) if workers else (False, "no worker answered a ping")


def check_models() -> tuple[bool, dict | str]:
    try:

        return True, model_files_status()
    except Exception as exc:  # a missing file or a wrong checksum, named in the message
        return False, str(exc)


def check_enrolments() -> tuple[bool, str]:
    """Everyone enrolled has a photo embedded by the active model: after a profile switch the
    others are named by no camera until ``manage.py reembed`` runs, which this says."""
    model_id = get_face_engine().model_id
    missing = people_without_model(model_id=model_id).count()
    if missing:
        who = "1 enrolled person has" if missing == 1 else f"{missing} enrolled people have"
        return False, (f"{who} no photo embedded by {model_id}, the active profile's model: "
                       f"no camera can name them until `manage.py reembed` runs")
    return True, f"every enrolled person has a photo embedded by {model_id}"


def liveness_report() -> dict:
    """This server answers: nothing is checked (no database, broker or worker is asked) and nothing named."""
    return {"status": "ok"}


def health_report() -> tuple[bool, dict]:
    broker, database = check_broker(), check_database()
    checks = {
        "database": database,
        "broker": broker,
        "workers": check_workers() if broker[0] else (False, "broker down"),
        "models": check_models(),
        "enrolments": check_enrolments() if database[0] else (False, "database down"),
    }
    report = {name: {"ok": ok, "detail": detail} for name, (ok, detail) in checks.items()}
    healthy = all(ok for ok, _ in checks.values())
    report["status"] = "ok" if healthy else "failing: " + ", ".join(n for n, (ok, _) in checks.items() if not ok)
    return healthy, report
