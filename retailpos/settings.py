"""Settings for Retail POS, read from the environment.

Embedded default (no variables set): SQLite under ``var/``, in-memory channel layer, one
ASGI process. Production: set ``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY``,
``ALLOWED_HOSTS`` and ``RETAILPOS_PRODUCTION=1``.
"""

import os
import secrets
from decimal import Decimal
from pathlib import Path

from retailpos.environment import database_from_url, env_bool, env_list

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("RETAILPOS_VAR_DIR", BASE_DIR / "var"))

PRODUCTION = env_bool("RETAILPOS_PRODUCTION")
DEBUG = env_bool("DJANGO_DEBUG", default=False) and not PRODUCTION


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    if PRODUCTION:
        raise RuntimeError("SECRET_KEY must be set when RETAILPOS_PRODUCTION=1")
    # Embedded default: a key generated once per installation, kept out of git.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "retailpos.admin_site.BackOfficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "channels",
    "import_export",
    "audit",
    "inventory",
    "devices",
    "loyalty",
    "sales",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.middleware.RecordRefusalsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "retailpos.urls"

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

ASGI_APPLICATION = "retailpos.asgi.application"

# Database: PostgreSQL from DATABASE_URL, else the embedded SQLite file.
if database_url := os.environ.get("DATABASE_URL"):
    DATABASES = {"default": database_from_url(database_url)}
    if not env_bool("DATABASE_POOL", default=True):
        DATABASES["default"]["OPTIONS"].pop("pool")
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            # Another file for a server process that a test starts on its test database.
            "NAME": Path(os.environ.get("RETAILPOS_SQLITE_PATH", VAR_DIR / "db.sqlite3")),
            "OPTIONS": {
                # Take the write lock at BEGIN so concurrent sales queue instead of failing.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not shared memory, so threaded tests really contend for the lock.
            "TEST": {"NAME": VAR_DIR / "test.sqlite3"},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Channels: Redis when REDIS_URL is set (several workers), in-memory for one process.
if redis_url := os.environ.get("REDIS_URL"):
    REDIS_PREFIX = os.environ.get("REDIS_PREFIX", "retailpos")
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url], "prefix": REDIS_PREFIX},
        }
    }
    # Every request reads its session: from the shared cache, not a database query; written
    # through to the database, so a Redis restart logs nobody out. Shared by all workers, so a
    # logout anywhere ends the session everywhere.
    CACHES = {
        "default": {
            # Django's Redis cache, with one connection pool and client per process.
            "BACKEND": "retailpos.redis_cache.ProcessRedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": REDIS_PREFIX,
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTHENTICATION_BACKENDS = ["retailpos.auth_backends.ModelBackendLoadingPermissions"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "pos:register-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env_bool("RETAILPOS_COLLECTSTATIC", default=PRODUCTION)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Without collectstatic (embedded default), WhiteNoise serves straight from the finders.
WHITENOISE_USE_FINDERS = not env_bool("RETAILPOS_COLLECTSTATIC", default=PRODUCTION)
if WHITENOISE_USE_FINDERS:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "rest_framework.views.exception_handler",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

SPECTACULAR_SETTINGS = {
    "TITLE": "Retail POS API",
    "DESCRIPTION": "Registers, catalogue and sales. Every retried write carries a client UUID.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No call-outs to the public Swagger validator: the docs load nothing from other hosts.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# Security: safe defaults everywhere, HTTPS-only cookies and HSTS in production.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# The register warns when a sale rung up offline has waited this long for the server (hours).
OFFLINE_QUEUE_WARN_HOURS = Decimal(os.environ.get("RETAILPOS_OFFLINE_WARN_HOURS", "12"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
