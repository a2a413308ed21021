"""mybili settings, read from the environment (12-factor).

Every knob has a default that runs the embedded stack (SQLite, LocMem cache,
ORM broker) with no server; production sets DATABASE_URL and REDIS_URL.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Without a key and with debug off, the servers (mybili.wsgi, mybili.asgi, and runserver,
# which loads mybili.wsgi) refuse to start with a clear message (mybili.startup). Commands
# that sign nothing (check, makemigrations, migrate) still run; anything that signs fails
# on Django's own "The SECRET_KEY setting must not be empty".
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "insecure-debug-only-key"  # noqa: S105 - only ever used with DEBUG on
SECRET_KEY_MISSING = not SECRET_KEY

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
# Behind a TLS-terminating proxy: the origins the admin's forms are posted from, and the
# header the proxy sets, so CSRF's origin check and request.is_secure() see https.
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_prometheus",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "videos",
    "hotrank",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = env.str("DJANGO_ROOT_URLCONF", default="mybili.urls")

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
            ],
        },
    },
]

WSGI_APPLICATION = "mybili.wsgi.application"

# --- Database -------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
_db = DATABASES["default"]
if "mysql" in _db["ENGINE"]:
    # Reuse connections, but well below the server's wait_timeout (28800 s by
    # default) so a pooled connection is never one the server already closed.
    _db["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=300)
    _db["CONN_HEALTH_CHECKS"] = True
    _db.setdefault("OPTIONS", {}).update({"charset": "utf8mb4"})
    _db["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
elif "sqlite" in _db["ENGINE"]:
    # WAL lets the web server read while qcluster or recompute_hot write.
    _db.setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "transaction_mode": "IMMEDIATE"}
    )
# The django-prometheus wrappers count queries per backend.
_db["ENGINE"] = _db["ENGINE"].replace("django.db.backends.", "django_prometheus.db.backends.")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "mybili",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",  # redis-py parses with hiredis when installed
                # Fail fast: a dead Redis must cost a request milliseconds, not seconds.
                "SOCKET_CONNECT_TIMEOUT": 0.25,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "mybili"}}

# --- Auth, i18n, static ----------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# --- Logging ---------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Django's own config would print request warnings a second time through its handler.
    "loggers": {"django": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}

# --- Recompute ---------------------------------------------------------------
RECOMPUTE_BATCH_SIZE = env.int("RECOMPUTE_BATCH_SIZE", default=1000)
# A running run whose heartbeat is older than this is presumed dead.
RECOMPUTE_STALE_SECONDS = env.int("RECOMPUTE_STALE_SECONDS", default=300)
# Parallel writer connections on MySQL (see hotrank.engine._write_in_parallel).
RECOMPUTE_WRITERS = env.int("RECOMPUTE_WRITERS", default=2)
# How long a process trusts its copy of the ranking generation (seconds): a new ranking
# reaches every process within this delay, and warm requests skip the database.
RANKING_GENERATION_TTL = env.float("RANKING_GENERATION_TTL", default=1.0)
# The scheduled full pass splits into this many django-q2 tasks when above 1.
RECOMPUTE_PARTITIONS = env.int("RECOMPUTE_PARTITIONS", default=0)

# --- django-q2 -----------------------------------------------------------------
Q_CLUSTER = {
    "name": "mybili",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT", default=1800),
    "retry": env.int("Q_RETRY", default=2100),  # must exceed timeout
    "max_attempts": 3,
    "catch_up": False,
    "orm": "default",
}
if env.str("Q_BROKER", default="orm") == "redis":
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["django_redis"] = "default"

# django_q's Task model declares a conditional index; MariaDB ignores the condition,
# which costs nothing here (the broker's queries do not rely on it).
SILENCED_SYSTEM_CHECKS = ["models.W037"]

# --- API ------------------------------------------------------------------------
API_ANON_RATE = env.str("API_ANON_RATE", default="1200/min")
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["mybili.api.envelope.OrjsonRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_THROTTLE_CLASSES": [] if API_ANON_RATE == "off" else ["mybili.api.throttling.AnonThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": None if API_ANON_RATE == "off" else API_ANON_RATE},
    "EXCEPTION_HANDLER": "mybili.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    # Proxies in front of the app whose X-Forwarded-For entries are trusted for the client's
    # address (0: clients connect directly, so a forged header cannot dodge the throttle).
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "mybili API",
    "DESCRIPTION": "Hot-video rankings and the video service. Every response is the envelope "
    "`{code, msg, data}`; `code` 0 is success, see the error-code table in the design.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# `manage.py loaddata demo` finds fixtures/demo.json.
FIXTURE_DIRS = [BASE_DIR / "fixtures"]
