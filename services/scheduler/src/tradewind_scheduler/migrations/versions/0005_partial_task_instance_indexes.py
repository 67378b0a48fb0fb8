"""partial indexes for a run's open and a DAG's, task's and pool's active task instances;
the scheduler that queued each try; a pool's ready queue in aged-priority order

Revision ID: 0005
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

OPEN_TI = sa.text(
    "state IS NULL OR state IN ('scheduled', 'queued', 'running', 'up_for_retry', 'restarting')"
)
ACTIVE_TI = sa.text("state IN ('queued', 'running', 'restarting')")


def upgrade() -> None:
    with op.batch_alter_table("task_instance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("queue_rank", sa.Float(), nullable=True))
        batch_op.drop_index("task_instance_pool_queue_idx")
        batch_op.create_index(
            "task_instance_pool_rank_idx", ["pool", "state", "queue_rank", "id"], unique=False
        )
    # Tasks waiting now keep their priority order: ranked as if ready when they became so.
    op.execute(
        "UPDATE task_instance SET queue_rank = EXTRACT(EPOCH FROM scheduled_when)"
        " - priority_weight * 60.0 WHERE state = 'scheduled'"
        if op.get_bind().dialect.name == "postgresql"
        else "UPDATE task_instance SET queue_rank = CAST(strftime('%s', scheduled_when) AS REAL)"
        " - priority_weight * 60.0 WHERE state = 'scheduled'"
    )
    for table in ("task_instance", "task_instance_history"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "queued_by_job_id",
                    sqlmodel.sql.sqltypes.AutoString(length=100),
                    nullable=True,
                )
            )
    with op.batch_alter_table("task_instance", schema=None) as batch_op:
        batch_op.drop_index("task_instance_run_state_idx")
        batch_op.drop_index("task_instance_dag_task_state_idx")
        batch_op.create_index(
            "task_instance_run_open_idx",
            ["dag_run_pk"],
            unique=False,
            postgresql_where=OPEN_TI,
            sqlite_where=OPEN_TI,
        )
        batch_op.create_index(
            "task_instance_active_idx",
            ["dag_id", "task_id"],
            unique=False,
            postgresql_where=ACTIVE_TI,
            sqlite_where=ACTIVE_TI,
        )
        batch_op.create_index(
            "task_instance_pool_active_idx",
            ["pool", "state", "pool_slots"],
            unique=False,
            postgresql_where=ACTIVE_TI,
            sqlite_where=ACTIVE_TI,
        )


def downgrade() -> None:
    with op.batch_alter_table("task_instance", schema=None) as batch_op:
        batch_op.drop_index("task_instance_pool_rank_idx")
        batch_op.create_index(
            "task_instance_pool_queue_idx",
            ["pool", "state", sa.text("priority_weight DESC"), "scheduled_when", "id"],
            unique=False,
        )
        batch_op.drop_column("queue_rank")
    with op.batch_alter_table("task_instance", schema=None) as batch_op:
        batch_op.drop_index("task_instance_pool_active_idx")
        batch_op.drop_index("task_instance_active_idx")
        batch_op.drop_index("task_instance_run_open_idx")
        batch_op.create_index(
            "task_instance_dag_task_state_idx", ["dag_id", "task_id", "state"], unique=False
        )
        batch_op.create_index("task_instance_run_state_idx", ["dag_run_pk", "state"], unique=False)
    for table in ("task_instance", "task_instance_history"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("queued_by_job_id")
