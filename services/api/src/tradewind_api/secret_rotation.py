"""Re-encrypting every stored secret with the first configured Fernet key: the middle step
of a key rotation (new key first in TRADEWIND_FERNET_KEY, rotate, then drop the old key)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from tradewind_api.main import MIGRATIONS
from tradewind_api.models import Connection, Variable
from tradewind_api.secrets import SecretBox
from tradewind_api.settings import ApiSettings
from tradewind_core.db import Database


@dataclass
class Rotated:
    variables: int = 0
    connections: int = 0


async def rotate_secrets(settings: ApiSettings) -> Rotated:
    """One transaction: a secret no key can decrypt stops the rotation and changes nothing."""
    box = SecretBox.from_settings(settings)
    db = Database(settings.database_url_for("api"), schema=settings.schema_for("api"))
    rotated = Rotated()
    try:
        await db.migrate(MIGRATIONS)
        async with db.transaction() as session:
            for variable in await session.scalars(
                select(Variable).where(Variable.is_encrypted).with_for_update()
            ):
                if variable.val:
                    variable.val = box.rotate(variable.val)
                    rotated.variables += 1
            for conn in await session.scalars(select(Connection).with_for_update()):
                touched = False
                if conn.is_encrypted and conn.password:
                    conn.password, touched = box.rotate(conn.password), True
                if conn.is_extra_encrypted and conn.extra:
                    conn.extra, touched = box.rotate(conn.extra), True
                rotated.connections += touched
    finally:
        await db.dispose()
    return rotated
