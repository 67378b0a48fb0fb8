"""initial tables

Revision ID: 0001
Revises:
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "dag",
        sa.Column("dag_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("dag_display_name", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("schedule", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("is_paused", sa.Boolean(), nullable=False),
        sa.Column("owners", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("max_active_runs", sa.Integer(), nullable=False),
        sa.Column("max_active_tasks", sa.Integer(), nullable=False),
        sa.Column("latest_version_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dag_id"),
    )
    op.create_table(
        "dag_tag",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("dag_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.ForeignKeyConstraint(["dag_id"], ["dag.dag_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("name", "dag_id"),
    )
    op.create_table(
        "dag_version",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("dag_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["dag_id"], ["dag.dag_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dag_id", "content_hash", name="dag_version_hash_key"),
        sa.UniqueConstraint("dag_id", "version_number", name="dag_version_number_key"),
    )


def downgrade() -> None:

    op.drop_table("dag_version")
    op.drop_table("dag_tag")
    op.drop_table("dag")
