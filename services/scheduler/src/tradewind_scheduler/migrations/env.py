from tradewind_core.db import run_alembic_env
from tradewind_scheduler.models import metadata

run_alembic_env(metadata)
