"""Zhengqi settings: the one place that reads the environment.

With no environment at all this runs the embedded default: SQLite and the
in-memory channel layer. ``DATABASE_URL`` switches to PostgreSQL and
``REDIS_URL`` switches the channel layer, cache and live positions to Redis.
Malformed values stop start-up with a message that names the variable.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false)")


def envint(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None
    if value < minimum or (maximum is not None and value > maximum):
        raise ImproperlyConfigured(f"{name}={value} is outside {minimum}..{maximum}")
    return value


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


ZHENGQI_ENV = envstr("ZHENGQI_ENV", "development")
if ZHENGQI_ENV not in ("development", "production"):
    raise ImproperlyConfigured(f"ZHENGQI_ENV={ZHENGQI_ENV!r} must be 'development' or 'production'")
PRODUCTION = ZHENGQI_ENV == "production"

# --- secrets -----------------------------------------------------------------
_DEV_SECRET = "django-insecure-zhengqi-development-only-never-use-in-production"  # noqa: S105 (development only; production refuses it)
SECRET_KEY = envstr("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET)
if PRODUCTION and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure") or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured(
        "ZHENGQI_ENV=production needs SECRET_KEY: at least 50 characters, random, "
        "not starting with 'django-insecure'. Generate one with "
        "`python -c 'import secrets; print(secrets.token_urlsafe(64))'`."
    )
SECRET_KEY_FALLBACKS = envlist("SECRET_KEY_FALLBACKS", [])

# Keys for personal data encrypted at rest (ID numbers). Separate from
# SECRET_KEY so that rotating the session key never makes data unreadable.
# Comma-separated Fernet keys, newest first; older ones still decrypt.
FIELD_ENCRYPTION_KEYS = envlist("ZHENGQI_FIELD_KEYS", [])
if PRODUCTION and not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "ZHENGQI_ENV=production needs ZHENGQI_FIELD_KEYS (Fernet keys; generate with "
        "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)."
    )

DEBUG = envbool("DEBUG", not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when ZHENGQI_ENV=production")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

# --- applications ------------------------------------------------------------
INSTALLED_APPS = [
    "daphne",  # first, so `runserver` is the ASGI one
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "ninja",
    "axes",
    "core",
    "realtime",
    "liaisons",
    "dispatch",
    "training",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "core.middleware.StaticFilesMiddleware",
    "core.middleware.BodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "core.middleware.MethodNotAllowedMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last of the real ones, as django-axes asks
    "core.middleware.SyncChainMiddleware",  # innermost: the chain runs in one thread under ASGI
]

ROOT_URLCONF = "core.urls"
ASGI_APPLICATION = "core.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- database ----------------------------------------------------------------
DATABASE_URL = envstr("DATABASE_URL")
if DATABASE_URL:
    if urlsplit(DATABASE_URL).scheme not in ("postgres", "postgresql", "pgsql", "sqlite"):
        raise ImproperlyConfigured(f"DATABASE_URL must be a postgres:// or sqlite:// URL, not {DATABASE_URL!r}")
    try:
        _db = dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from None
    if _db["ENGINE"].endswith("postgresql"):
        _db.setdefault("OPTIONS", {})["connect_timeout"] = envint("DATABASE_CONNECT_TIMEOUT", 5, minimum=1)
        _db["CONN_HEALTH_CHECKS"] = True
        _pool_size = envint("DATABASE_POOL_MAX_SIZE", 16, minimum=0, maximum=1000)
        if _pool_size:
            # Under ASGI every concurrent request runs on a thread of its own, so persistent
            # per-thread connections pile up until PostgreSQL refuses more ("too many clients",
            # found by bench/soak.py). A pool bounds them per process; with CONN_HEALTH_CHECKS each
            # checkout is checked, so connections broken by a database restart are replaced, not handed out.
            _db["CONN_MAX_AGE"] = 0
            _db["OPTIONS"]["pool"] = {
                "min_size": 1,
                "max_size": _pool_size,
                "timeout": envint("DATABASE_POOL_TIMEOUT", 3, minimum=1),
                # The pool retries a lost server with doubling delays; giving each round up after
                # a few seconds lets the next request start a fresh one, so recovery after a long
                # outage takes seconds, not as long as the outage lasted.
                "reconnect_timeout": 5.0,
            }
    DATABASES = {"default": _db}
else:
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(BASE_DIR / "var" / "zhengqi.sqlite3")}}
if DATABASES["default"]["ENGINE"].endswith("sqlite3") and DATABASES["default"]["NAME"] != ":memory:":
    # The embedded database is one file that several processes (the demo's server, its jobs, a
    # second server in the tests) write at once:
    # - WAL lets them read while another writes;
    # - the timeout makes a writer wait for the lock instead of failing at once;
    # - IMMEDIATE takes the write lock when a transaction starts. A deferred transaction that
    #   has read and then writes fails at once with "database is locked" (a 503) when another
    #   process wrote in between: SQLite cannot wait there without risking a deadlock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20, transaction_mode="IMMEDIATE", init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- redis: real-time fan-out, presence, channel layer, cache -----------------
REDIS_URL = envstr("REDIS_URL")
# Every Redis key and pub/sub channel Zhengqi uses starts with this, so that
# several deployments (or test runs) can share one Redis: pub/sub ignores the
# database number.
REDIS_PREFIX = envstr("ZHENGQI_REDIS_PREFIX", "zq")
if not REDIS_PREFIX.replace("-", "").replace("_", "").isalnum():
    raise ImproperlyConfigured(f"ZHENGQI_REDIS_PREFIX={REDIS_PREFIX!r} must be letters, digits, '-' or '_'")
if REDIS_URL:
    if urlsplit(REDIS_URL).scheme not in ("redis", "rediss", "unix"):
        raise ImproperlyConfigured(f"REDIS_URL must be a redis:// URL, not {REDIS_URL!r}")
    # Live delivery does not use the channel layer (realtime/transport.py publishes
    # once per event on Redis pub/sub); the layer stays configured for anything
    # generic that needs one.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py's default socket timeout tears down idle consumers
                # (channels_redis #422), so it is off here.
                "hosts": [{"address": REDIS_URL, "socket_timeout": None}],
                "prefix": f"{REDIS_PREFIX}:asgi",
                "capacity": 1000,
                "expiry": 60,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_PREFIX,
            # A Redis that is down or unreachable fails a cache call quickly instead of hanging the request.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Every Redis key Zhengqi creates itself (live positions) starts with this, so
# several deployments or parallel test runs can share one Redis server.
REDIS_PREFIX = envstr("ZHENGQI_REDIS_PREFIX", "zq")

# --- dispatch ------------------------------------------------------------------
# An alert with fewer than `needed` acceptances this long after it was raised
# (or after its last widening) is escalated: its radius doubles, up to the county.
ESCALATION_DELAY_S = envint("ZHENGQI_ESCALATION_DELAY_S", 60, minimum=5, maximum=24 * 3600)
# A raised alert expires after this long unless the coordinator says otherwise.
ALERT_DEFAULT_TTL_MINUTES = envint("ZHENGQI_ALERT_TTL_MINUTES", 240, minimum=1, maximum=14 * 24 * 60)
# Who Zhengqi says it is in the CAP 1.2 documents it exports.
CAP_SENDER = envstr("ZHENGQI_CAP_SENDER", "zhengqi@hebi.example.cn")

# Server processes run periodic jobs (escalation, reminders) in a background
# thread when this is on; `make demo` and `make serve` turn it on.
JOBS_IN_PROCESS = envbool("ZHENGQI_JOBS_IN_PROCESS", False)
# `make demo` turns this on: a share of the seeded members stay on duty and move about their
# township (core/demo_activity.py), so that the demo's maps and alerts have someone to show.
DEMO_ACTIVITY = envbool("ZHENGQI_DEMO_ACTIVITY", False)
if PRODUCTION and DEMO_ACTIVITY:
    raise ImproperlyConfigured("ZHENGQI_DEMO_ACTIVITY simulates members on duty; it must never run in production")

# --- real-time sockets (docs/PROTOCOL.md) ---------------------------------------
# Acknowledged stream events older than this are deleted by `manage.py prune_streams`.
STREAM_RETENTION_DAYS = envint("ZHENGQI_STREAM_RETENTION_DAYS", 30, minimum=1)
# `manage.py retention` deletes audit entries (and login records) older than this; the Cybersecurity
# Law asks for network logs to be kept at least six months.
AUDIT_RETENTION_DAYS = envint("ZHENGQI_AUDIT_RETENTION_DAYS", 730, minimum=180)
# ... and API tokens this long after they expired or were revoked.
TOKEN_RETENTION_DAYS = envint("ZHENGQI_TOKEN_RETENTION_DAYS", 30, minimum=1)
# A socket that has not said hello within this many seconds is closed (4408).
WS_HELLO_TIMEOUT = envint("ZHENGQI_WS_HELLO_TIMEOUT", 10, minimum=1)
# Frames a client may send per second (burst twice that) before it is closed (4429).
WS_MAX_FRAMES_PER_SECOND = envint("ZHENGQI_WS_MAX_FRAMES_PER_SECOND", 20, minimum=1)
# Sockets (phone and dashboard together) one user may have past the hello on one server process;
# the next is refused with `too_many_sockets` and closed 4429. Counted per process, not cluster-wide.
WS_MAX_SOCKETS_PER_USER = envint("ZHENGQI_WS_MAX_SOCKETS_PER_USER", 5, minimum=1)
# Frames waiting for a slow reader; beyond this the socket is closed and replays later.
WS_SEND_QUEUE = envint("ZHENGQI_WS_SEND_QUEUE", 256, minimum=8)
# Threads (each with a database connection) per server process for hellos, replays and acks.
WS_DB_THREADS = envint("ZHENGQI_WS_DB_THREADS", 4, minimum=1, maximum=64)
# Keep sockets' long-lived objects out of the garbage collector's full passes (realtime/collector.py).
WS_GC_FREEZE = envbool("ZHENGQI_WS_GC_FREEZE", True)
# Ephemeral updates a dashboard receives per second at most; the rest are coalesced.
DASHBOARD_UPDATES_PER_SECOND = envint("ZHENGQI_DASHBOARD_UPDATES_PER_SECOND", 4, minimum=1, maximum=100)
# A server process's presence record expires this long after its last heartbeat.
PRESENCE_TTL_SECONDS = envint("ZHENGQI_PRESENCE_TTL_SECONDS", 30, minimum=3)
# Proxies whose X-Forwarded-For/-Proto `manage.py serve` trusts (comma-separated addresses).
ZHENGQI_FORWARDED_ALLOW_IPS = envstr("ZHENGQI_FORWARDED_ALLOW_IPS", "127.0.0.1")

# --- training and meetings (issue 5) -----------------------------------------
# Join link of a venue's video room: {session} is the session's room key, {venue} the venue's.
TRAINING_VIDEO_URL_TEMPLATE = envstr(
    "ZHENGQI_VIDEO_URL_TEMPLATE", "https://meet.example.invalid/zhengqi-{session}-{venue}"
)
try:
    TRAINING_REMINDER_OFFSETS_MIN = sorted(
        {int(m) for m in envlist("ZHENGQI_REMINDER_OFFSETS_MIN", ["30", "5"])}, reverse=True
    )
except ValueError:
    raise ImproperlyConfigured("ZHENGQI_REMINDER_OFFSETS_MIN must be comma-separated minutes, e.g. 30,5") from None
TRAINING_CHECKIN_OPENS_MIN = envint("ZHENGQI_CHECKIN_OPENS_MIN", 30, maximum=24 * 60)
TRAINING_GRACE_MIN = envint("ZHENGQI_CHECKIN_GRACE_MIN", 10, maximum=24 * 60)
TRAINING_CHECKIN_FAILURES_PER_MIN = envint("ZHENGQI_CHECKIN_FAILURES_PER_MIN", 5, minimum=1)
# Default receipt deadline for relayed units: this long before the start.
TRAINING_RELAY_LEAD_MIN = envint("ZHENGQI_RELAY_LEAD_MIN", 120)
# Units a session reaches after that deadline (a county confirmed late) get this long, capped at the start.
TRAINING_LATE_RELAY_GRACE_MIN = envint("ZHENGQI_TRAINING_LATE_RELAY_GRACE_MINUTES", 60, minimum=1, maximum=7 * 24 * 60)

# --- auth --------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # lockout check before any password is tried
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/login/"

# Bearer tokens for the API and the sockets.
TOKEN_TTL = timedelta(hours=envint("ZHENGQI_TOKEN_TTL_HOURS", 24 * 7, minimum=1, maximum=24 * 90))

# django-axes: lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = envint("ZHENGQI_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=envint("ZHENGQI_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_PROXY_COUNT = envint("ZHENGQI_PROXY_COUNT", 0)
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "core.auth.lockout_response"

# --- i18n --------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "core" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# Browser libraries come from pinned npm packages (core/frontend/package-lock.json), installed
# by `make assets`; collectstatic copies them under /static/vendor/. Nothing comes from a CDN.
FRONTEND_MODULES = BASE_DIR / "core" / "frontend" / "node_modules"
STATICFILES_DIRS = [
    ("vendor/leaflet", FRONTEND_MODULES / "leaflet" / "dist"),
    ("vendor/chartjs", FRONTEND_MODULES / "chart.js" / "dist"),
]

# --- pages (phone app /m/, dashboard /dashboard/) ------------------------------
# Base map tiles for the dashboard. The map works without tiles (polygons, points and
# hexagons are drawn from our own data), so an unreachable tile server only loses the background.
# "osm" (WGS-84), "amap" and "tianditu" (GCJ-02 / WGS-84 respectively), or "none".
_MAP_TILE_PRESETS = {
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "wgs84", "© OpenStreetMap contributors"),
    "amap": (
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        "gcj02",
        "© 高德地图",
    ),
    "tianditu": (
        "https://t{s}.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk=" + envstr("ZHENGQI_TIANDITU_KEY", ""),
        "wgs84",
        "© 天地图",
    ),
    "none": ("", "wgs84", ""),
}
MAP_TILES = envstr("ZHENGQI_MAP_TILES", "osm")
if MAP_TILES not in _MAP_TILE_PRESETS:
    raise ImproperlyConfigured(f"ZHENGQI_MAP_TILES must be one of {sorted(_MAP_TILE_PRESETS)}, not {MAP_TILES!r}")
MAP_TILE_URL, MAP_TILE_DATUM, MAP_TILE_ATTRIBUTION = _MAP_TILE_PRESETS[MAP_TILES]
MAP_TILE_URL = envstr("ZHENGQI_MAP_TILE_URL", MAP_TILE_URL)  # a private tile server overrides the preset's URL

# --- request limits ----------------------------------------------------------
# JSON bodies beyond this are refused with 413 before they are read.
API_MAX_BODY_BYTES = envint("ZHENGQI_API_MAX_BODY_BYTES", 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
# Spreadsheet uploads (liaison imports) may be larger than a JSON body; the importer
# refuses anything over this with a clear error, and the middleware lets these paths through up to it.
API_UPLOAD_PATHS = ("/api/v1/liaisons/imports",)
API_MAX_UPLOAD_BYTES = envint("ZHENGQI_API_MAX_UPLOAD_BYTES", 8 * 1024 * 1024, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = API_MAX_UPLOAD_BYTES
# API calls one user may make per minute (all processes together with REDIS_URL); 0 turns the limit off.
API_RATE_PER_MINUTE = envint("ZHENGQI_API_RATE_PER_MINUTE", 600)

# --- liaisons and coverage -------------------------------------------------------
LIAISON_IMPORT_MAX_ROWS = envint("ZHENGQI_LIAISON_IMPORT_MAX_ROWS", 50_000, minimum=1)
# An import with a progress_key tells the importer's dashboards every this many rows checked.
LIAISON_IMPORT_PROGRESS_EVERY = envint("ZHENGQI_LIAISON_IMPORT_PROGRESS_EVERY", 1000, minimum=1)
COVERAGE_H3_RESOLUTION = envint("ZHENGQI_COVERAGE_H3_RESOLUTION", 8, minimum=5, maximum=10)
# At most one live coverage update per county per this many seconds (dashboards refetch on it).
COVERAGE_ANNOUNCE_EVERY_S = envint("ZHENGQI_COVERAGE_ANNOUNCE_EVERY_S", 5, minimum=1)

# --- security headers ----------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 12 * 3600
if PRODUCTION:
    # TLS ends at the proxy (docs/DEPLOY.md), which sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("ZHENGQI_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = envint("ZHENGQI_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- logging -------------------------------------------------------------------
LOG_LEVEL = envstr("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r} is not a logging level")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {"()": "core.logging.formatter", "json": PRODUCTION},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Replaces Django's own console handler, so each record is printed once.
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
