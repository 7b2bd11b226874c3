"""Engines that are safe with several writers, and migrations run on open.

SQLite: WAL (readers never block the writer), foreign keys on, a busy timeout so that a second
writer waits instead of failing, and transactions begun by SQLAlchemy itself so that a writing
transaction can start with ``BEGIN IMMEDIATE`` (taking the write lock before its first read; a
deferred transaction that reads then writes can fail with SQLITE_BUSY whatever the timeout).
PostgreSQL: psycopg 3, pre-ping, and an advisory lock around migrations.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import StaticPool

from extractor._errors import ConfigError

BUSY_TIMEOUT_MS = 30_000
LOCKED_WAIT = 60.0  # seconds a store waits out SQLite's "database is locked" (many processes opening it)
UNREACHABLE_WAIT = 3.0  # seconds opening a store waits for a server that refuses (then one clear line)
log = logging.getLogger("xxgk.store")
T = TypeVar("T")
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


def _private_file(path: Path) -> None:
    """Create the database file owner-only before SQLite does (it would use the umask, often 0644);
    SQLite gives its -wal and -shm files the database file's mode."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass


def _sqlite_engine(url: URL) -> Engine:
    memory = url.database in (None, "", ":memory:")
    if not memory:
        _private_file(Path(url.database))  # type: ignore[arg-type]
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


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """One migrator at a time, the others waiting (not failing): a lock file beside a SQLite database
    (flock, released by the kernel if the process dies); PostgreSQL takes an advisory lock in the
    migration's own transaction."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or database in (None, "", ":memory:"):
        yield
        return
    fd = os.open(f"{database}.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` in one transaction, one migrator at a time."""
    if revision == "head" and current_revision(engine) == head_revision():
        return
    cfg = _alembic_config()
    with _migration_lock(engine):
        current = current_revision(engine)  # another process may have migrated while this one waited
        if revision == "head" and current == head_revision():
            return
        try:
            with writer(engine).begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
        except CommandError as exc:  # typically a database migrated by a newer xxgk
            raise ConfigError(f"cannot migrate the database (at revision {current!r}, this xxgk knows up to "
                              f"{head_revision()!r}): {exc}") from exc


def is_locked(err: BaseException) -> bool:
    """SQLite's "database is locked" / "busy": worth waiting and trying again."""
    text_ = str(getattr(err, "orig", err)).lower()
    return isinstance(err, OperationalError) and ("locked" in text_ or "busy" in text_)


def is_disconnect(err: BaseException) -> bool:
    """A database connection that dropped or could not be made (a server restarting, a network cut)."""
    return isinstance(err, DBAPIError) and (err.connection_invalidated or isinstance(err, OperationalError)
                                            and not is_locked(err))


def retrying(fn: Callable[[], T], *, locked: float = LOCKED_WAIT, unreachable: float = UNREACHABLE_WAIT,
             what: str = "") -> T:
    """``fn()``, tried again with a growing pause while SQLite says "locked" (for up to ``locked``
    seconds) or the server cannot be reached (``unreachable`` seconds); then the error stands."""
    start = time.monotonic()
    pause = 0.05
    while True:
        try:
            return fn()
        except DBAPIError as err:
            budget = locked if is_locked(err) else unreachable if is_disconnect(err) else 0.0
            if time.monotonic() + pause > start + budget:
                raise
            log.info("database %s: %s; trying again in %.1f s", what or "call", one_line(err), pause)
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


def one_line(err: BaseException) -> str:
    """A database error's first line, without SQLAlchemy's SQL and background link."""
    orig = getattr(err, "orig", None) or err
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0][:300]


def downgrade(engine: Engine, revision: str) -> None:
    cfg = _alembic_config()
    with writer(engine).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
