"""PostgreSQL compresses the stored results and files with lz4 instead of pglz, where the server has it.

A stored result is about 60 KB of JSON; pglz spent about 0.75 ms of the server's CPU on each, lz4 about 0.3 ms
for nearly the same size (JSON shrinks about tenfold either way), and reads back faster too. On a machine
that runs the server beside a batch's workers, that CPU is theirs. Only values written from now on are
compressed the new way; SQLite stores text as it is and is left alone.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COMPRESSED = (("extractions", "result"), ("extractions", "values"), ("extractions", "findings"),
              ("document_files", "data"))


def _has_lz4() -> bool:
    """PostgreSQL 14 or later built with lz4 (its setting then offers the method)."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or (bind.dialect.server_version_info or (0,)) < (14,):
        return False
    offered = bind.execute(sa.text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'"))
    return "lz4" in (offered.scalar() or [])


def _set(method: str) -> None:
    for table, column in COMPRESSED:
        op.execute(f'ALTER TABLE {table} ALTER COLUMN "{column}" SET COMPRESSION {method}')


def upgrade() -> None:
    if _has_lz4():
        _set("lz4")


def downgrade() -> None:
    if _has_lz4():
        _set("default")
