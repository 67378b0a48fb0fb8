"""variables, connections, event log, import errors

Revision ID: 0007
Revises: 0006
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "variable",
        sa.Column("id", _BigId, sa.Identity(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("val", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("is_encrypted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "connection",
        sa.Column("id", _BigId, sa.Identity(), nullable=False),
        sa.Column("conn_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("conn_type", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("host", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("schema", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("login", sa.Text(), nullable=True),
        sa.Column("password", sa.Text(), nullable=True),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.Column("is_encrypted", sa.Boolean(), nullable=False),
        sa.Column("is_extra_encrypted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conn_id"),
    )
    op.create_table(
        "event_log",
        sa.Column("id", _BigId, sa.Identity(), nullable=False),
        sa.Column("dttm", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("dag_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=True),
        sa.Column("task_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=True),
        sa.Column("run_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=True),
        sa.Column("map_index", sa.Integer(), nullable=True),
        sa.Column("try_number", sa.Integer(), nullable=True),
        sa.Column("logical_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_event_log_dttm", "event_log", ["dttm"], unique=False)
    op.create_index("ix_event_log_event", "event_log", ["event"], unique=False)
    op.create_index("ix_event_log_dag_id_when", "event_log", ["dag_id", "dttm"], unique=False)
    op.create_table(
        "import_error",
        sa.Column("id", _BigId, sa.Identity(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=False),
        sa.Column("dag_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=True),
        sa.Column("stacktrace", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_import_error_dag_id", "import_error", ["dag_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_import_error_dag_id", table_name="import_error")
    op.drop_table("import_error")
    op.drop_index("ix_event_log_dag_id_when", table_name="event_log")
    op.drop_index("ix_event_log_event", table_name="event_log")
    op.drop_index("ix_event_log_dttm", table_name="event_log")
    op.drop_table("event_log")
    op.drop_table("connection")
    op.drop_table("variable")
