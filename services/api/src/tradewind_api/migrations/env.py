from tradewind_api.models import metadata
from tradewind_core.db import run_alembic_env

run_alembic_env(metadata)
