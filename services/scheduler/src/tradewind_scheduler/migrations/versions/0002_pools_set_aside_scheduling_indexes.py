"""pools, set-aside runs, scheduling indexes

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pool",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("include_deferred", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "set_aside_run",
        sa.Column("dag_run_pk", sa.Integer(), nullable=False),
        sa.Column("dag_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("run_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("set_aside_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["dag_run_pk"], ["dag_run.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("dag_run_pk"),
    )
    with op.batch_alter_table("set_aside_run", schema=None) as batch_op:
        batch_op.create_index("set_aside_run_next_attempt_idx", ["next_attempt_at"], unique=False)

    with op.batch_alter_table("dag_run", schema=None) as batch_op:
        batch_op.create_index(
            "dag_run_dag_logical_date_idx", ["dag_id", "logical_date"], unique=False
        )
        batch_op.create_index("dag_run_dag_state_idx", ["dag_id", "state"], unique=False)

    with op.batch_alter_table("task_instance", schema=None) as batch_op:
        batch_op.create_index(
            "task_instance_dag_task_state_idx", ["dag_id", "task_id", "state"], unique=False
        )
        batch_op.create_index(
            "task_instance_pool_queue_idx",
            ["pool", "state", sa.text("priority_weight DESC"), "scheduled_when", "id"],
            unique=False,
        )
        batch_op.create_index("task_instance_run_state_idx", ["dag_run_pk", "state"], unique=False)
        batch_op.create_index(
            "task_instance_state_queued_idx", ["state", "queued_when"], unique=False
        )
        batch_op.create_index(
            "task_instance_state_retry_idx", ["state", "next_retry_at"], unique=False
        )

    # Every task names a pool; this one is there from the start (Airflow's 128 slots).
    pool = sa.table(
        "pool",
        sa.column("name", sa.String),
        sa.column("slots", sa.Integer),
        sa.column("description", sa.String),
        sa.column("include_deferred", sa.Boolean),
    )
    op.bulk_insert(
        pool,
        [
            {
                "name": "default_pool",
                "slots": 128,
                "description": "Default pool",
                "include_deferred": False,
            }
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("task_instance", schema=None) as batch_op:
        batch_op.drop_index("task_instance_state_retry_idx")
        batch_op.drop_index("task_instance_state_queued_idx")
        batch_op.drop_index("task_instance_run_state_idx")
        batch_op.drop_index("task_instance_pool_queue_idx")
        batch_op.drop_index("task_instance_dag_task_state_idx")

    with op.batch_alter_table("dag_run", schema=None) as batch_op:
        batch_op.drop_index("dag_run_dag_state_idx")
        batch_op.drop_index("dag_run_dag_logical_date_idx")

    with op.batch_alter_table("set_aside_run", schema=None) as batch_op:
        batch_op.drop_index("set_aside_run_next_attempt_idx")

    op.drop_table("set_aside_run")
    op.drop_table("pool")
