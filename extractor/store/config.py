"""Where the store lives: one rule for every entry point (CLI, API, UI, tests).

Precedence: an explicit URL or path > ``XXGK_DATABASE_URL`` > a SQLite file ``xxgk.sqlite`` in the
data directory. The data directory is ``$XXGK_DATA_DIR``, else ``$XDG_DATA_HOME/xxgk``, else
``~/.local/share/xxgk`` — a per-user location, so that the CLI, the API and the UI started from
different working directories see the same reports.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from extractor._errors import ConfigError
from extractor.settings import settings

DB_FILE = "xxgk.sqlite"


def data_dir() -> Path:
    """The directory for the default SQLite file (not created here)."""
    return settings().store_dir()


def resolve_url(url: str | os.PathLike[str] | None = None) -> URL:
    """The SQLAlchemy URL to open.

    A bare path (no ``://``) means a SQLite file. ``postgres://`` and ``postgresql://`` are pinned to
    the psycopg 3 driver, the one the ``store`` extra installs.
    """
    raw = os.fspath(url) if url is not None else settings().database_url
    if not raw:
        return URL.create("sqlite", database=str(data_dir() / DB_FILE))
    if "://" not in raw:
        return URL.create("sqlite", database=str(Path(raw).expanduser()))
    try:
        parsed = make_url(raw)
    except ArgumentError as exc:
        raise ConfigError(f"bad database URL {raw!r}: {exc}") from exc
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError(f"unsupported database {backend!r}: use SQLite or PostgreSQL (postgresql+psycopg://…)")
    return parsed
