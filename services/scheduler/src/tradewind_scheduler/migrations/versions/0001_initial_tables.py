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
        sa.Column("latest_version_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("is_paused", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dag_id"),
    )
    op.create_table(
        "dag_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dag_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("run_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("dag_version_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("run_type", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("triggered_by", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("logical_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("start_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("conf", sa.JSON(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dag_id", "run_id", name="dag_run_dag_id_run_id_key"),
    )
    with op.batch_alter_table("dag_run", schema=None) as batch_op:
        batch_op.create_index("dag_run_state_idx", ["state"], unique=False)

    op.create_table(
        "scheduler_job",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("hostname", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("latest_heartbeat", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "task_instance",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("dag_run_pk", sa.Integer(), nullable=False),
        sa.Column("dag_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("run_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("task_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("map_index", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("try_number", sa.Integer(), nullable=False),
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
        sa.Column("next_retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failure_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["dag_run_pk"], ["dag_run.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dag_run_pk", "task_id", "map_index", name="task_instance_key"),
    )
    with op.batch_alter_table("task_instance", schema=None) as batch_op:
        batch_op.create_index("task_instance_dag_state_idx", ["dag_id", "state"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("task_instance", schema=None) as batch_op:
        batch_op.drop_index("task_instance_dag_state_idx")

    op.drop_table("task_instance")
    op.drop_table("scheduler_job")
    with op.batch_alter_table("dag_run", schema=None) as batch_op:
        batch_op.drop_index("dag_run_state_idx")

    op.drop_table("dag_run")
    op.drop_table("dag")
