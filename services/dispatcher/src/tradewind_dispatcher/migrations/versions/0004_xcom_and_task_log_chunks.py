"""xcom and task log chunks

Revision ID: 0004
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "xcom",
        sa.Column("dag_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("run_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("task_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("map_index", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("attempt_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dag_id", "run_id", "task_id", "map_index", "key"),
    )
    op.create_table(
        "task_log_chunk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=True),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("task_log_chunk", schema=None) as batch_op:
        batch_op.create_index("task_log_chunk_attempt_idx", ["attempt_id", "id"], unique=False)
        batch_op.create_index("task_log_chunk_batch_key", ["attempt_id", "batch"], unique=True)


def downgrade() -> None:

    op.drop_table("task_log_chunk")
    op.drop_table("xcom")
