"""Writes a new Alembic revision for one service from the difference between its models
and its migration history: `uv run python scripts/revision.py scheduler "add pools"`.

It migrates a scratch SQLite database to head, then autogenerates against it; review the
file before committing (PostgreSQL-only constructs need writing by hand)."""

import importlib
import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine


def main(service: str, message: str) -> None:
    package = importlib.import_module(f"tradewind_{service}")
    migrations = Path(package.__file__).parent / "migrations"
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{tmp}/scratch.db")
        with engine.begin() as conn:
            config = Config()
            config.set_main_option("script_location", str(migrations))
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
            command.revision(config, message=message, autogenerate=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
