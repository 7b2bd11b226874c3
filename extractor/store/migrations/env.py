"""Alembic environment, run only by ``extractor.store.engine.upgrade``.

That function hands over a connection already inside a transaction (holding the migration lock),
so the whole upgrade commits or rolls back as one.
"""

from __future__ import annotations

from alembic import context

from extractor.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through extractor.store.engine.upgrade(engine)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
