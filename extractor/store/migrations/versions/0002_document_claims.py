"""One running job item per document: two batches on one database never extract a document twice.

Revision ID: 0002
Revises: 0001
Create Date: 2027-01-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a database where two items of one document run at once (before this claim existed): requeue all but one
    op.execute("UPDATE job_items SET status = 'queued', worker = NULL WHERE status = 'running' "
               "AND document_id IS NOT NULL AND id NOT IN (SELECT min(id) FROM job_items "
               "WHERE status = 'running' AND document_id IS NOT NULL GROUP BY document_id)")
    op.create_index("uq_job_items_running_document", "job_items", ["document_id"], unique=True,
                    sqlite_where=sa.text("status = 'running'"), postgresql_where=sa.text("status = 'running'"))


def downgrade() -> None:
    op.drop_index("uq_job_items_running_document", table_name="job_items")
