"""The first schema: documents, extractions, review, audit, jobs and LLM batches.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("name", sa.String(1024), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("uploaded_at", TS, nullable=False),
        sa.Column("uploaded_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
        sa.UniqueConstraint("sha256", name="uq_documents_sha256"),
    )
    op.create_table(
        "document_files",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name="fk_document_files_document_id_documents",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id", name="pk_document_files"),
    )
    op.create_table(
        "extractions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("extractor", sa.String(64), nullable=False),
        sa.Column("model", sa.String(200), nullable=True),
        sa.Column("template", sa.String(8), nullable=True),
        sa.Column("agency", sa.String(500), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("usage", sa.JSON(), nullable=False),
        sa.Column("n_error", sa.Integer(), nullable=False),
        sa.Column("n_warning", sa.Integer(), nullable=False),
        sa.Column("n_info", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name="fk_extractions_document_id_documents",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_extractions"),
        sa.UniqueConstraint("document_id", "version", name="uq_extractions_document_id_version"),
    )
    for col in ("document_id", "template", "agency", "year"):
        op.create_index(f"ix_extractions_{col}", "extractions", [col])
    op.create_table(
        "reviews",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reviewer", sa.String(200), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("confirmed_extraction_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_values", sa.JSON(), nullable=True),
        sa.Column("confirmed_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name="fk_reviews_document_id_documents",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["confirmed_extraction_id"], ["extractions.id"],
                                name="fk_reviews_confirmed_extraction_id_extractions"),
        sa.PrimaryKeyConstraint("document_id", name="pk_reviews"),
    )
    op.create_index("ix_reviews_state", "reviews", ["state"])
    op.create_table(
        "review_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("old_state", sa.String(16), nullable=False),
        sa.Column("new_state", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name="fk_review_events_document_id_documents",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_review_events"),
    )
    op.create_index("ix_review_events_document_id", "review_events", ["document_id"])
    op.create_table(
        "edits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("extraction_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("old_value", sa.JSON(), nullable=True),
        sa.Column("new_value", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name="fk_edits_document_id_documents",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["extraction_id"], ["extractions.id"], name="fk_edits_extraction_id_extractions"),
        sa.PrimaryKeyConstraint("id", name="pk_edits"),
    )
    op.create_index("ix_edits_document_id", "edits", ["document_id"])
    op.create_table(
        "finding_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("extraction_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(200), nullable=False),
        sa.Column("keys", sa.JSON(), nullable=False),
        sa.Column("finding_key", sa.String(2000), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"],
                                name="fk_finding_decisions_document_id_documents", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["extraction_id"], ["extractions.id"],
                                name="fk_finding_decisions_extraction_id_extractions"),
        sa.PrimaryKeyConstraint("id", name="pk_finding_decisions"),
    )
    op.create_index("ix_finding_decisions_document_id", "finding_decisions", ["document_id"])
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
    )
    op.create_index("ix_jobs_status", "jobs", ["status"])
    op.create_table(
        "job_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(32), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("document_sha", sa.String(64), nullable=True),
        sa.Column("file_name", sa.String(1024), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("extraction_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(200), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name="fk_job_items_job_id_jobs", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name="fk_job_items_document_id_documents"),
        sa.ForeignKeyConstraint(["extraction_id"], ["extractions.id"], name="fk_job_items_extraction_id_extractions"),
        sa.PrimaryKeyConstraint("id", name="pk_job_items"),
    )
    op.create_index("ix_job_items_job_id_status", "job_items", ["job_id", "status"])
    op.create_index("ix_job_items_document_sha", "job_items", ["document_sha"])
    op.create_table(
        "llm_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.String(200), nullable=True),
        sa.Column("job_id", sa.String(32), nullable=True),
        sa.Column("input_file_id", sa.String(200), nullable=True),
        sa.Column("output_file_id", sa.String(200), nullable=True),
        sa.Column("error_file_id", sa.String(200), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("requests", sa.JSON(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name="fk_llm_batches_job_id_jobs", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_llm_batches"),
        sa.UniqueConstraint("batch_id", name="uq_llm_batches_batch_id"),
    )
    op.create_index("ix_llm_batches_job_id", "llm_batches", ["job_id"])
    op.create_index("ix_llm_batches_status", "llm_batches", ["status"])
    _immutable_extractions()


def _immutable_extractions() -> None:
    """An extraction is a version: the database itself refuses to change one."""
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION xxgk_extractions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'extractions are immutable: save a new version instead'; END $$"
        )
        op.execute(
            "CREATE TRIGGER extractions_immutable BEFORE UPDATE ON extractions "
            "FOR EACH ROW EXECUTE FUNCTION xxgk_extractions_immutable()"
        )
    else:
        op.execute(
            "CREATE TRIGGER extractions_immutable BEFORE UPDATE ON extractions "
            "BEGIN SELECT RAISE(ABORT, 'extractions are immutable: save a new version instead'); END"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS extractions_immutable ON extractions")
        op.execute("DROP FUNCTION IF EXISTS xxgk_extractions_immutable()")
    else:
        op.execute("DROP TRIGGER IF EXISTS extractions_immutable")
    for table in ("llm_batches", "job_items", "jobs", "finding_decisions", "edits", "review_events", "reviews",
                  "extractions", "document_files", "documents"):
        op.drop_table(table)
