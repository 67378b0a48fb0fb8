"""The first start: with no user yet, make `admin` (role Admin), with the password from
TRADEWIND_ADMIN_PASSWORD or a generated one printed once. There is never a default
password."""

from __future__ import annotations

import sys

from tradewind_api.auth import passwords
from tradewind_api.auth.directory import ADMIN, Directory
from tradewind_api.auth.policy import Role
from tradewind_api.settings import ApiSettings
from tradewind_core.errors import AlreadyExists
from tradewind_core.logging import get_logger

log = get_logger(__name__)


async def ensure_admin(directory: Directory, settings: ApiSettings) -> None:
    if await directory.count_users() > 0:
        return
    # An empty value counts as unset (a compose file passing an empty variable through).
    given = (settings.admin_password.get_secret_value() if settings.admin_password else "") or None
    if given is not None:
        try:
            passwords.check_strength(given)
        except ValueError as exc:
            raise SystemExit(f"TRADEWIND_ADMIN_PASSWORD: {exc}") from None
    password = given or passwords.generate_password()
    try:
        await directory.create_user(ADMIN, password, Role.ADMIN.value)
    except AlreadyExists:
        return  # another api replica made it first
    log.info(
        "made the first user",
        username=ADMIN,
        password_from="TRADEWIND_ADMIN_PASSWORD" if given else "generated",
    )
    if given is None:
        # Printed once, here, and kept nowhere in clear: change it with
        # `tradewind users reset-password admin`.
        print(
            f"\n  Tradewind made the first user: {ADMIN} / {password}\n"
            "  This password is shown only now. Change it with "
            "`tradewind users reset-password admin`.\n",
            file=sys.stderr,
            flush=True,
        )
