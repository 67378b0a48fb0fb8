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
        "scheduler_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "task_attempt",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("task_instance_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("try_number", sa.Integer(), nullable=False),
        sa.Column("dag_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("run_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("task_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("map_index", sa.Integer(), nullable=False),
        sa.Column("queue", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("priority_weight", sa.Integer(), nullable=False),
        sa.Column("task", sa.JSON(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("fencing_token", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("worker_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=True),
        sa.Column("hostname", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task_instance_id", "try_number", name="task_attempt_ti_try_key"),
    )
    with op.batch_alter_table("task_attempt", schema=None) as batch_op:
        batch_op.create_index("task_attempt_state_idx", ["state"], unique=False)

    op.create_table(
        "task_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("task_log", schema=None) as batch_op:
        batch_op.create_index("task_log_attempt_idx", ["attempt_id", "id"], unique=False)

    op.create_table(
        "worker",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("hostname", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("queues", sa.JSON(), nullable=False),
        sa.Column("concurrency", sa.Integer(), nullable=False),
        sa.Column("running", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_heartbeat", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:

    op.drop_table("worker")
    with op.batch_alter_table("task_log", schema=None) as batch_op:
        batch_op.drop_index("task_log_attempt_idx")

    op.drop_table("task_log")
    with op.batch_alter_table("task_attempt", schema=None) as batch_op:
        batch_op.drop_index("task_attempt_state_idx")

    op.drop_table("task_attempt")
    op.drop_table("scheduler_outbox")
