"""task instance history, attempt stops, run timeouts, task instance notes

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
        "task_instance_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_instance_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("dag_run_pk", sa.Integer(), nullable=False),
        sa.Column("dag_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("run_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("task_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("map_index", sa.Integer(), nullable=False),
        sa.Column("try_number", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("max_tries", sa.Integer(), nullable=False),
        sa.Column("operator", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("queue", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("pool", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column("pool_slots", sa.Integer(), nullable=False),
        sa.Column("priority_weight", sa.Integer(), nullable=False),
        sa.Column("hostname", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("scheduled_when", sa.DateTime(timezone=True), nullable=True),
        sa.Column("queued_when", sa.DateTime(timezone=True), nullable=True),
        sa.Column("start_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("failure_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("dag_version_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task_instance_id", "try_number", name="task_instance_history_try_key"),
    )
    with op.batch_alter_table("task_instance_history", schema=None) as batch_op:
        batch_op.create_index("task_instance_history_run_idx", ["dag_run_pk"], unique=False)

    op.create_table(
        "attempt_stop",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_instance_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("try_number", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dag_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timeout_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("dag_run_timeout_idx", ["state", "timeout_at"], unique=False)
    with op.batch_alter_table("task_instance", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("task_instance", schema=None) as batch_op:
        batch_op.drop_column("note")
    with op.batch_alter_table("dag_run", schema=None) as batch_op:
        batch_op.drop_index("dag_run_timeout_idx")
        batch_op.drop_column("timeout_at")
    op.drop_table("attempt_stop")
    with op.batch_alter_table("task_instance_history", schema=None) as batch_op:
        batch_op.drop_index("task_instance_history_run_idx")
    op.drop_table("task_instance_history")
