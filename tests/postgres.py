"""An empty PostgreSQL database made for a test or a benchmark run on a server whose role may create
databases (``.ci/postgres.sh`` sets one up), dropped after."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def fresh_database(server_url: str, prefix: str = "xxgk_t") -> Iterator[str]:
    """The URL of a new empty database on the server of ``server_url``; dropped when the block ends."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        _drop_database(admin, name)
        admin.dispose()


def _drop_database(admin, name: str) -> None:
    """Not ``WITH (FORCE)``: that must terminate every session in it and fails when one is an autovacuum
    worker (a superuser's); the plain DROP makes autovacuum leave by itself, so only this role's leftover
    sessions are ended here, and a session still closing gets a moment."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    with admin.connect() as conn:
        for attempt in range(50):
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name "
                              "AND usename = current_user AND pid <> pg_backend_pid()"), {"name": name})
            try:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                return
            except OperationalError:  # "is being accessed by other users": a session is still going away
                if attempt == 49:
                    raise
                time.sleep(0.1)
