"""schedules and backfills

Revision ID: 0003
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0003"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "backfill",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dag_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("dag_version_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("from_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("to_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dag_run_conf", sa.JSON(), nullable=False),
        sa.Column("is_paused", sa.Boolean(), nullable=False),
        sa.Column(
            "reprocess_behavior", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False
        ),
        sa.Column("max_active_runs", sa.Integer(), nullable=False),
        sa.Column("run_backwards", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("backfill", schema=None) as batch_op:
        batch_op.create_index(
            "backfill_dag_id_completed_at_idx", ["dag_id", "completed_at"], unique=False
        )

    op.create_table(
        "backfill_dag_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("backfill_id", sa.Integer(), nullable=False),
        sa.Column("dag_run_id", sa.Integer(), nullable=True),
        sa.Column("logical_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sort_ordinal", sa.Integer(), nullable=False),
        sa.Column("exception_reason", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.ForeignKeyConstraint(["backfill_id"], ["backfill.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["dag_run_id"], ["dag_run.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("backfill_id", "sort_ordinal", name="backfill_dag_run_ordinal_key"),
    )
    with op.batch_alter_table("backfill_dag_run", schema=None) as batch_op:
        batch_op.create_index("backfill_dag_run_dag_run_id_idx", ["dag_run_id"], unique=False)

    with op.batch_alter_table("dag", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_dagrun", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("next_dagrun_data_interval_start", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("next_dagrun_data_interval_end", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("next_dagrun_create_after", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("next_dagrun_stale", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.create_index(
            "dag_next_dagrun_create_after_idx", ["next_dagrun_create_after"], unique=False
        )

    with op.batch_alter_table("dag_run", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("data_interval_start", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("data_interval_end", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_unique_constraint(
            "dag_run_dag_id_logical_date_key", ["dag_id", "logical_date"]
        )


def downgrade() -> None:
    with op.batch_alter_table("dag_run", schema=None) as batch_op:
        batch_op.drop_constraint("dag_run_dag_id_logical_date_key", type_="unique")
        batch_op.drop_column("data_interval_end")
        batch_op.drop_column("data_interval_start")

    with op.batch_alter_table("dag", schema=None) as batch_op:
        batch_op.drop_index("dag_next_dagrun_create_after_idx")
        batch_op.drop_column("next_dagrun_stale")
        batch_op.drop_column("next_dagrun_create_after")
        batch_op.drop_column("next_dagrun_data_interval_end")
        batch_op.drop_column("next_dagrun_data_interval_start")
        batch_op.drop_column("next_dagrun")

    with op.batch_alter_table("backfill_dag_run", schema=None) as batch_op:
        batch_op.drop_index("backfill_dag_run_dag_run_id_idx")

    op.drop_table("backfill_dag_run")
    with op.batch_alter_table("backfill", schema=None) as batch_op:
        batch_op.drop_index("backfill_dag_id_completed_at_idx")

    op.drop_table("backfill")
