"""faceapp settings: everything comes from the environment, in this one file.

With nothing set, a local install works: SQLite and an embedded Valkey (started by
`manage.py runstack`) on a unix socket, both under FACEAPP_DATA_DIR (default `var/`).
Every setting is listed in README.md and `.env.example`.
"""

import os
import secrets
from pathlib import Path

import dj_database_url

from faceapp.clock import machine_time_zone
from faceapp.media_storage import media_storage
from faceapp.private import FILE_MODE, FOLDER_MODE, private_umask
from identity.live.addresses import networks_parse  # plain Python, as is the next one
from identity.vision.config import EngineConfig  # plain Python: the app loads it anyway
from identity.vision.profiles import model_profile

BASE_DIR = Path(__file__).resolve().parent.parent


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def envfloat(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in envstr(name, default).split(",") if item.strip()]


# Before anything is written: what faceapp creates is its user's alone (faceapp/private.py).
private_umask()
DATA_DIR = Path(envstr("FACEAPP_DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in DATA_DIR."""
    if envstr("SECRET_KEY"):
        return envstr("SECRET_KEY")
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = envbool("DEBUG", False)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files as our static files: the CSP allows no CDN
    "identity",
    "attendance",
    "integrations",
    "audit",
    "imports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "faceapp.middleware.user_time_zone_middleware",  # a user's own zone (their profile) for their pages
    "faceapp.middleware.password_change_due_middleware",  # a password an admin set: changed before anything else
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy, Permissions-Policy and no-store on every response Django makes.
    "faceapp.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "faceapp.urls"
ASGI_APPLICATION = "faceapp.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "identity.roles.role_context",
                "faceapp.clock.clock_context",
                "faceapp.navigation.navigation_context",
            ],
        },
    },
]

# Database: DATABASE_URL (PostgreSQL in production), else SQLite in DATA_DIR.
DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"), conn_max_age=0
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The worker and the server write at once: WAL and IMMEDIATE avoid "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    # The test database is a file so that a worker process can share it.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test_db.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis/Valkey: REDIS_URL, else the embedded Valkey on a unix socket in DATA_DIR.
VALKEY_SOCKET = DATA_DIR / "valkey.sock"
REDIS_URL = envstr("REDIS_URL")
EMBEDDED_VALKEY = not REDIS_URL
if EMBEDDED_VALKEY:
    REDIS_URL = f"unix://{VALKEY_SOCKET}"
    CELERY_BROKER_URL = f"redis+socket://{VALKEY_SOCKET}"
else:
    CELERY_BROKER_URL = REDIS_URL
# Every Redis/Valkey client gives up on a server that does not answer (frozen, half-open
# connection) after this many seconds, to connect and to answer: a request then fails or
# degrades (logged) instead of hanging. Blocking reads stay below it (live frames 0.5 s, the
# MQTT stream 1 s); the channel layer's own 5 s wait for a message is added to its reads.
FACEAPP_REDIS_TIMEOUT = envfloat("FACEAPP_REDIS_TIMEOUT", 5.0)
_REDIS_TIMEOUTS = {"socket_connect_timeout": FACEAPP_REDIS_TIMEOUT, "socket_timeout": FACEAPP_REDIS_TIMEOUT}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "faceapp",
        "OPTIONS": _REDIS_TIMEOUTS,
    }
}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "faceapp.channel_layer.OutageTolerantChannelLayer",  # waits out a Redis outage
        "CONFIG": {
            "hosts": [{"address": REDIS_URL, **_REDIS_TIMEOUTS, "socket_timeout": FACEAPP_REDIS_TIMEOUT + 5}],
            "prefix": "faceapp-asgi", "capacity": 200, "expiry": 30,
            # Sockets re-join their groups every 15 s (identity/consumers.py): a member that never
            # left (its server killed) is dropped from the group after a minute instead of a day.
            "group_expiry": 60,
        },
    }
}

# Celery: at-least-once delivery; tasks are idempotent, keyed by the row they process.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = envint("FACEAPP_TASK_TIME_LIMIT", 120)
CELERY_TASK_SOFT_TIME_LIMIT = max(CELERY_TASK_TIME_LIMIT - 10, 5)
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task running when the broker connection drops finishes; Redis keeps its delivery tag, so
# the ack still lands after the reconnect (cancelling it would only run it twice).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# A message taken by a worker that died (SIGKILL, lost machine) is put back in the queue by
# any live worker once it has been unacknowledged this long: keep it above the task time
# limit and the longest retry delay (60 s), or a slow task also runs a second time.
FACEAPP_BROKER_VISIBILITY_TIMEOUT = envint("FACEAPP_BROKER_VISIBILITY_TIMEOUT", CELERY_TASK_TIME_LIMIT * 3)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": FACEAPP_BROKER_VISIBILITY_TIMEOUT,
    # kombu looks for such messages at worker start, then only every 10 x 10 s by default.
    "unacked_restore_interval": max(1, min(10, FACEAPP_BROKER_VISIBILITY_TIMEOUT // 10)),
    "unacked_restore_throttle": 1,
    "unacked_mutex_expire": max(5, min(300, FACEAPP_BROKER_VISIBILITY_TIMEOUT)),
    **_REDIS_TIMEOUTS,
}
# A publish to a broker that does not answer is tried twice, not four times: the row stays
# pending (the stale sweep queues it again) and the request answers. (No result backend is
# configured: results are ignored, so it needs no timeouts.)
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
CELERY_WORKER_CONCURRENCY = envint("FACEAPP_WORKER_CONCURRENCY", 1)
CELERY_TIMEZONE = envstr("TIME_ZONE", "UTC")
# Retention: how long recognition data is kept (days); 0 keeps it forever.
FACEAPP_KEEP_SNAPSHOTS_DAYS = envint("FACEAPP_KEEP_SNAPSHOTS_DAYS", 30)
FACEAPP_KEEP_CROPS_DAYS = envint("FACEAPP_KEEP_CROPS_DAYS", 90)
FACEAPP_KEEP_STRANGERS_DAYS = envint("FACEAPP_KEEP_STRANGERS_DAYS", 30)
# Snapshots still pending or processing this long after they arrived are queued again
# (queued while the broker was down, lost with a non-persistent Redis, time limit hit).
FACEAPP_REQUEUE_STALE_MINUTES = envint("FACEAPP_REQUEUE_STALE_MINUTES", 10)
CELERY_BEAT_SCHEDULE = {
    "purge-expired-data": {
        "task": "identity.tasks.purge_expired_task",
        "schedule": envint("FACEAPP_PURGE_EVERY_MINUTES", 60) * 60,
    },
    "requeue-stale-snapshots": {
        "task": "identity.tasks.requeue_stale_snapshots_task",
        "schedule": 60,
    },
    "requeue-stale-samples": {"task": "identity.tasks.requeue_stale_samples_task", "schedule": 60},
    "alerts-not-arrived": {"task": "integrations.tasks.alerts_not_arrived_task", "schedule": 60},
    "register-due": {"task": "attendance.register_due", "schedule": 60},
    "requeue-stale-roll-calls": {"task": "attendance.roll_calls_requeue_stale", "schedule": 60},
    "attendance-notices-due": {"task": "attendance.notices_due", "schedule": 60},
    "webhooks-due": {"task": "integrations.tasks.webhooks_due_task", "schedule": 30},
    "purge-expired-events": {"task": "integrations.tasks.events_purge_task", "schedule": 3600},
    "end-stuck-imports": {"task": "imports.end_stuck", "schedule": 60},
}
# Backups (faceapp/backup/): sealed with this key when set; with a folder, celery beat writes one
# every FACEAPP_BACKUP_EVERY_HOURS there and keeps the newest FACEAPP_BACKUP_KEEP.
FACEAPP_BACKUP_KEY = envstr("FACEAPP_BACKUP_KEY")
FACEAPP_BACKUP_DIR = envstr("FACEAPP_BACKUP_DIR")
FACEAPP_BACKUP_KEEP = envint("FACEAPP_BACKUP_KEEP", 7)
if FACEAPP_BACKUP_DIR:
    CELERY_BEAT_SCHEDULE["backup"] = {
        "task": "identity.tasks.backup_scheduled_task", "schedule": envint("FACEAPP_BACKUP_EVERY_HOURS", 24) * 3600,
    }

AUTHENTICATION_BACKENDS = ["identity.auth_backend.ProfileBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
# The site's one clock (faceapp/clock.py): pages, exports and attendance days.
TIME_ZONE = envstr("FACEAPP_TIME_ZONE") or envstr("TIME_ZONE") or machine_time_zone()
FORMAT_MODULE_PATH = ["faceapp.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Media: MEDIA_ROOT, or with FACEAPP_MEDIA_S3_BUCKET an S3-compatible bucket (faceapp/media_storage.py).
STORAGES = {
    "default": media_storage(
        bucket=envstr("FACEAPP_MEDIA_S3_BUCKET"), endpoint_url=envstr("FACEAPP_MEDIA_S3_ENDPOINT_URL"),
        access_key=envstr("FACEAPP_MEDIA_S3_ACCESS_KEY_ID"), secret_key=envstr("FACEAPP_MEDIA_S3_SECRET_ACCESS_KEY"),
        region=envstr("FACEAPP_MEDIA_S3_REGION"), prefix=envstr("FACEAPP_MEDIA_S3_PREFIX"),
    ),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Biometric media lives outside STATIC and has no public URL: views check permissions.
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = None
FILE_UPLOAD_PERMISSIONS = FILE_MODE
FILE_UPLOAD_DIRECTORY_PERMISSIONS = FOLDER_MODE

DATA_UPLOAD_MAX_MEMORY_SIZE = envint("FACEAPP_MAX_UPLOAD_MB", 20) * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

# Face engine (identity/vision): models, thresholds, limits from the FACEAPP_* variables that
# EngineConfig.from_env reads (here only); one ONNX thread per process unless FACEAPP_ORT_THREADS
# says otherwise, the worker pool giving the parallelism.
# FACEAPP_PROFILE (research, commercial: identity/vision/profiles.py) picks the models and thresholds.
FACEAPP_ENGINE = EngineConfig.from_env(defaults={"intra_op_threads": 1})
FACEAPP_PROFILE = model_profile(FACEAPP_ENGINE.profile)  # its thresholds are the defaults below
# 1:N identification threshold: the profile's (calibration can override it globally or per camera).
FACEAPP_MATCH_THRESHOLD = envfloat("FACEAPP_MATCH_THRESHOLD", FACEAPP_PROFILE.match_threshold)
FACEAPP_MATCH_MARGIN = envfloat("FACEAPP_MATCH_MARGIN", 0.05)
FACEAPP_API_WAIT_SECONDS = envfloat("FACEAPP_API_WAIT_SECONDS", 10.0)
FACEAPP_CAMERA_FPS = envfloat("FACEAPP_CAMERA_FPS", 2.0)
# Rate limits (0 turns one off): frames a camera may send per second (more are dropped,
# acked "rate-limited"); API requests per minute per token or user (more get 429).
FACEAPP_RATE_CAMERA_FPS = envint("FACEAPP_RATE_CAMERA_FPS", 5)
FACEAPP_RATE_API_PER_MINUTE = envint("FACEAPP_RATE_API_PER_MINUTE", 120)
FACEAPP_RATE_COMPARE_PER_MINUTE = envint("FACEAPP_RATE_COMPARE_PER_MINUTE", 10)  # compare page, per user
FACEAPP_COMPARE_WAIT_SECONDS = envfloat("FACEAPP_COMPARE_WAIT_SECONDS", 30.0)  # for a worker's answer
# Test connection's whole deadline (open, first frame, a snapshot's request), in a worker: keep
# it under FACEAPP_COMPARE_WAIT_SECONDS, which the page waits.
FACEAPP_CAMERA_TEST_SECONDS = envfloat("FACEAPP_CAMERA_TEST_SECONDS", 10.0)
# The duplicates page searches every face against every other: up to this many faces at once,
# above it in a worker (identity/services/duplicate_search.py).
FACEAPP_DUPLICATES_INLINE_FACES = envint("FACEAPP_DUPLICATES_INLINE_FACES", 2000)

# Live cameras: frames wait in Redis (the newest replaces an older one); each shard of cameras
# (camera id modulo FACEAPP_LIVE_SHARDS) is served by one live-worker process at a time.
FACEAPP_LIVE_SHARDS = max(1, envint("FACEAPP_LIVE_SHARDS", 2))
FACEAPP_LIVE_RUN_SECONDS = envfloat("FACEAPP_LIVE_RUN_SECONDS", 30.0)  # one live task's turn
# Tracks: how a face followed over frames gets its identity (see identity/live/track.py and tracking.py).
FACEAPP_UNKNOWN_THRESHOLD = envfloat("FACEAPP_UNKNOWN_THRESHOLD", FACEAPP_PROFILE.unknown_threshold)
FACEAPP_STRANGER_THRESHOLD = envfloat("FACEAPP_STRANGER_THRESHOLD", FACEAPP_MATCH_THRESHOLD)
# Bulk enrolment: an uploaded ZIP may hold this much once unpacked (each photo the upload cap).
FACEAPP_IMPORT_MAX_MB = envint("FACEAPP_IMPORT_MAX_MB", 4096)
# An import pending or running with no batch saved for this long lost its work (a broker restarted
# without its queue, a worker killed past its time limit): the scheduler fails it. Keep it well
# above the task time limit plus the broker's visibility timeout (a dead worker's batch comes back).
FACEAPP_IMPORT_STUCK_MINUTES = envint("FACEAPP_IMPORT_STUCK_MINUTES", 30)
# The strangers page suggests merging two strangers whose closest faces are this alike.
FACEAPP_STRANGER_SUGGEST_THRESHOLD = envfloat("FACEAPP_STRANGER_SUGGEST_THRESHOLD", 0.3)
FACEAPP_TRACK_STRONG_THRESHOLD = envfloat("FACEAPP_TRACK_STRONG_THRESHOLD", FACEAPP_PROFILE.strong_threshold)
FACEAPP_TRACK_CONFIRM_FRAMES = envint("FACEAPP_TRACK_CONFIRM_FRAMES", 3)
FACEAPP_TRACK_MIN_FACE_PX = envfloat("FACEAPP_TRACK_MIN_FACE_PX", 16.0)
FACEAPP_TRACK_MIN_BLUR = envfloat("FACEAPP_TRACK_MIN_BLUR", 15.0)
FACEAPP_TRACK_REEMBED_FRAMES = envint("FACEAPP_TRACK_REEMBED_FRAMES", 8)
FACEAPP_TRACK_TIMEOUT_SECONDS = envfloat("FACEAPP_TRACK_TIMEOUT_SECONDS", 3.0)
# Live cameras skip the face detector on frames where nothing moved and no face is followed
# (identity.live.motion); a camera can turn it off on its page.
FACEAPP_MOTION_GATE = envbool("FACEAPP_MOTION_GATE", True)
FACEAPP_MOTION_LEVEL = envfloat("FACEAPP_MOTION_LEVEL", 8.0)
FACEAPP_MOTION_SHARE = envfloat("FACEAPP_MOTION_SHARE", 0.002)
# Live cameras: the smallest face to find (camera pixels), which sizes the detector's input; a camera
# can set its own. None: the name size (every face that can be named); 0: the usual input (640 px).
FACEAPP_CAMERA_MIN_FACE_PX = envint("FACEAPP_CAMERA_MIN_FACE_PX", None)
# Video-file cameras play files from this folder only.
FACEAPP_VIDEO_DIR = Path(envstr("FACEAPP_VIDEO_DIR", str(DATA_DIR / "videos"))).resolve()
# Stream cameras may only be in these networks (CIDRs, comma separated; empty: anywhere the server reaches).
FACEAPP_CAMERA_NETWORKS = networks_parse(envstr("FACEAPP_CAMERA_NETWORKS"), name="FACEAPP_CAMERA_NETWORKS")
# The same identity seen again on the same camera this soon extends its visit.
FACEAPP_VISIT_COOLDOWN_SECONDS = envfloat("FACEAPP_VISIT_COOLDOWN_SECONDS", 120.0)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "identity.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "identity.api.parsers.BoundedJSONParser",  # size and nesting bounded: a 400, never a 500
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["identity.api.throttling.ApiRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "faceapp API", "VERSION": "1.0.0", "SERVE_INCLUDE_SCHEMA": False,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "identity.api.schema.refusals_add"],
    # /api/docs/: Swagger UI from drf-spectacular-sidecar (no CDN), calling out to no online validator.
    "SWAGGER_UI_DIST": "SIDECAR", "SWAGGER_UI_FAVICON_HREF": "SIDECAR", "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# Production: FACEAPP_HTTPS=1 behind a TLS reverse proxy turns on the secure defaults.
FACEAPP_HTTPS = envbool("FACEAPP_HTTPS", False)
SESSION_COOKIE_SECURE = FACEAPP_HTTPS
CSRF_COOKIE_SECURE = FACEAPP_HTTPS
SECURE_SSL_REDIRECT = FACEAPP_HTTPS
SECURE_HSTS_SECONDS = envint("FACEAPP_HSTS_SECONDS", 31536000 if FACEAPP_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = FACEAPP_HTTPS
SECURE_HSTS_PRELOAD = FACEAPP_HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if FACEAPP_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_AGE = envint("FACEAPP_SESSION_HOURS", 12) * 3600

# ---- Hardening (issue 13): request size caps, login throttling, security headers. ----
# Enforced by faceapp/middleware.py (and Daphne's command line in manage.py runstack).
# Largest request body, refused with 413 while it arrives: the largest legitimate one is an API
# enrolment of 20 photos of FACEAPP_MAX_UPLOAD_MB each, plus its multipart framing.
FACEAPP_MAX_REQUEST_BYTES = envint("FACEAPP_MAX_REQUEST_MB", 20 * (DATA_UPLOAD_MAX_MEMORY_SIZE // 2**20) + 1) * 2**20
# Largest websocket message Daphne buffers: room over the upload cap, so that a camera frame a
# little too large is answered "frame too large" by its consumer instead of being cut off.
FACEAPP_WS_MAX_MESSAGE_BYTES = DATA_UPLOAD_MAX_MEMORY_SIZE + 2**20
# Failed sign-ins per account and per client address in one lockout window; past them a
# sign-in is refused (429) until the window, which starts at the first failure, ends.
FACEAPP_LOGIN_FAILURES_PER_ACCOUNT = envint("FACEAPP_LOGIN_FAILURES_PER_ACCOUNT", 5)
FACEAPP_LOGIN_FAILURES_PER_ADDRESS = envint("FACEAPP_LOGIN_FAILURES_PER_ADDRESS", 20)
FACEAPP_LOGIN_LOCKOUT_MINUTES = envint("FACEAPP_LOGIN_LOCKOUT_MINUTES", 15)
# ---- end of the hardening block ----

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"daphne": {"level": "WARNING"}},
}

# ---- Events, webhooks and alerts (issue 15: integrations/) ----
# Every event is also appended to this Redis stream (XADD faceapp:events MAXLEN ~ this many).
FACEAPP_EVENTS_STREAM_MAX = envint("FACEAPP_EVENTS_STREAM_MAX", 10000)
FACEAPP_KEEP_EVENTS_DAYS = envint("FACEAPP_KEEP_EVENTS_DAYS", 30)  # events and their deliveries; 0 keeps forever
# Webhook deliveries: timeouts (s), retries with doubling delays, a destination failing this long is paused.
FACEAPP_WEBHOOK_CONNECT_TIMEOUT = envfloat("FACEAPP_WEBHOOK_CONNECT_TIMEOUT", 5.0)
FACEAPP_WEBHOOK_READ_TIMEOUT = envfloat("FACEAPP_WEBHOOK_READ_TIMEOUT", 10.0)
FACEAPP_WEBHOOK_MAX_ATTEMPTS = envint("FACEAPP_WEBHOOK_MAX_ATTEMPTS", 30)
FACEAPP_WEBHOOK_RETRY_SECONDS = envfloat("FACEAPP_WEBHOOK_RETRY_SECONDS", 10.0)
FACEAPP_WEBHOOK_RETRY_MAX_SECONDS = envfloat("FACEAPP_WEBHOOK_RETRY_MAX_SECONDS", 3600.0)
FACEAPP_WEBHOOK_PAUSE_AFTER = envfloat("FACEAPP_WEBHOOK_PAUSE_AFTER", 86400.0)
FACEAPP_WEBHOOK_CROP_URL_SECONDS = envint("FACEAPP_WEBHOOK_CROP_URL_SECONDS", 600)
FACEAPP_WEBHOOK_QUEUE = envstr("FACEAPP_WEBHOOK_QUEUE", "celery")  # a slow receiver must not hold up photos: a queue of its own
# Where receivers fetch signed crop URLs from: this server as the outside world reaches it.
FACEAPP_PUBLIC_URL = envstr(
    "FACEAPP_PUBLIC_URL", f"http://{envstr('FACEAPP_HOST', '127.0.0.1')}:{envstr('FACEAPP_PORT', '8000')}"
).rstrip("/")
CELERY_TASK_ROUTES = {
    "identity.tasks.live_shard_task": {"queue": "live"},  # camera shards: the live workers
    "integrations.tasks.webhook_deliver_task": {"queue": FACEAPP_WEBHOOK_QUEUE},
}
# ---- end of the events, webhooks and alerts block ----

# ---- MQTT and Home Assistant (issue 15, part 3: integrations/mqtt, `manage.py mqttbridge`) ----
# The broker: mqtt://[user:pass@]host[:port] (1883), or mqtts://... (TLS, 8883); empty: MQTT off
# (runstack starts the bridge only when set). Credentials are never logged or shown.
FACEAPP_MQTT_URL = envstr("FACEAPP_MQTT_URL")
FACEAPP_MQTT_TLS_CA = envstr("FACEAPP_MQTT_TLS_CA")  # CA file for mqtts://; empty: the system's CAs
FACEAPP_MQTT_CLIENT_ID = envstr("FACEAPP_MQTT_CLIENT_ID", "faceapp-bridge")
# Topics: <prefix>/events/<type>, <prefix>/person/<id>/present, <prefix>/camera/<id>/..., and Home
# Assistant discovery configs under the discovery prefix (empty: no discovery).
FACEAPP_MQTT_PREFIX = envstr("FACEAPP_MQTT_PREFIX", "faceapp")
FACEAPP_MQTT_DISCOVERY_PREFIX = envstr("FACEAPP_MQTT_DISCOVERY_PREFIX", "homeassistant")
# A person stays present ("on") this long after their last visit ended; 0: off at visit.ended.
FACEAPP_MQTT_PRESENCE_TIMEOUT_SECONDS = envfloat("FACEAPP_MQTT_PRESENCE_TIMEOUT_SECONDS", 300.0)
# ---- end of the MQTT block ----

# ---- Metrics (issue 27: faceapp/metrics.py, GET /metrics) ----
# The bearer token a Prometheus scraper sends (`Authorization: Bearer <token>`); empty: /metrics is off (404).
FACEAPP_METRICS_TOKEN = envstr("FACEAPP_METRICS_TOKEN")
# ---- end of the metrics block ----

# ---- E-mail (attendance's digests and absence notices: attendance/mail.py) ----
# An SMTP server; empty (the embedded default): e-mail is off, each message is written to the log.
FACEAPP_EMAIL_HOST = envstr("FACEAPP_EMAIL_HOST")
EMAIL_BACKEND = ("django.core.mail.backends.smtp.EmailBackend" if FACEAPP_EMAIL_HOST
                 else "attendance.mail.LogBackend")
EMAIL_HOST = FACEAPP_EMAIL_HOST or "localhost"
EMAIL_USE_TLS = envbool("FACEAPP_EMAIL_USE_TLS", False)  # STARTTLS
EMAIL_PORT = envint("FACEAPP_EMAIL_PORT", 587 if EMAIL_USE_TLS else 25)
EMAIL_HOST_USER = envstr("FACEAPP_EMAIL_USER")
EMAIL_HOST_PASSWORD = envstr("FACEAPP_EMAIL_PASSWORD")
EMAIL_TIMEOUT = 20  # seconds: a server that does not answer fails the attempt, never holds a worker
DEFAULT_FROM_EMAIL = SERVER_EMAIL = envstr("FACEAPP_EMAIL_FROM", "faceapp@localhost")
# ---- end of the e-mail block ----

# ---- Media by role (README Privacy) ----
# Viewers see match-log face crops and snapshots of this many last hours (what the live
# dashboard shows them); older ones, and every enrolment photo, need the operator role. 0: none.
FACEAPP_VIEWER_MEDIA_HOURS = envint("FACEAPP_VIEWER_MEDIA_HOURS", 24)
# ---- end of the media block ----
