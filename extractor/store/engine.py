"""Engines that are safe with several writers, and migrations run on open.

SQLite: WAL (readers never block the writer), foreign keys on, a busy timeout so that a second
writer waits instead of failing, and transactions begun by SQLAlchemy itself so that a writing
transaction can start with ``BEGIN IMMEDIATE`` (taking the write lock before its first read; a
deferred transaction that reads then writes can fail with SQLITE_BUSY whatever the timeout).
PostgreSQL: psycopg 3, pre-ping, and an advisory lock around migrations.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import StaticPool

from extractor._errors import ConfigError

BUSY_TIMEOUT_MS = 30_000
MIGRATIONS = Path(__file__).with_name("migrations")
_PG_MIGRATION_LOCK = 0x78786B67  # "xxgk": one migrator at a time per database
IMMEDIATE = "xxgk_sqlite_immediate"  # execution option: this transaction writes


def _dumps(obj: Any) -> str:
    """Compact JSON that keeps Chinese as UTF-8 (half the size of \\uXXXX escapes; readable in psql)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def make_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, json_serializer=_dumps)


def _sqlite_engine(url: URL) -> Engine:
    memory = url.database in (None, "", ":memory:")
    if not memory:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {"connect_args": {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
                              "json_serializer": _dumps}
    if memory:
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy emit BEGIN (see _on_begin)
        cur = dbapi_conn.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def writer(engine: Engine) -> Engine:
    """The same pool, with transactions that take SQLite's write lock up front."""
    return engine.execution_options(**{IMMEDIATE: True})


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` in one transaction, one migrator at a time."""
    current = current_revision(engine)
    if revision == "head" and current == head_revision():
        return
    cfg = _alembic_config()
    try:
        with writer(engine).begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except CommandError as exc:  # typically a database migrated by a newer xxgk
        raise ConfigError(f"cannot migrate the database (at revision {current!r}, this xxgk knows up to "
                          f"{head_revision()!r}): {exc}") from exc


def downgrade(engine: Engine, revision: str) -> None:
    cfg = _alembic_config()
    with writer(engine).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
