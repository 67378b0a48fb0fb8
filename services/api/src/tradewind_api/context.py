"""What every route needs: the api's database and its clients of the other services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import Request

from tradewind_api.auth.directory import Directory
from tradewind_api.auth.tokens import TokenSigner
from tradewind_api.clients import DispatcherClient, SchedulerClient
from tradewind_api.secrets import SecretBox
from tradewind_api.settings import ApiSettings
from tradewind_core.db import Database

if TYPE_CHECKING:
    from tradewind_api.state_changes import StateChangeHub


@dataclass
class AppContext:
    settings: ApiSettings
    db: Database
    scheduler: SchedulerClient
    dispatcher: DispatcherClient
    # Live state changes for watching clients; set once the process serves.
    state_changes: StateChangeHub | None = None
    # Built from the settings unless given (the key file is read once, at start).
    secrets: SecretBox = field(default=None)  # type: ignore[assignment]
    # Users and their tokens; the key that signs access tokens (read once, at start).
    directory: Directory = field(default=None)  # type: ignore[assignment]
    signer: TokenSigner = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.secrets is None:
            self.secrets = SecretBox.from_settings(self.settings)
        if self.directory is None:
            self.directory = Directory(self.db)
        if self.signer is None:
            self.signer = TokenSigner.from_settings(self.settings)


def get_context(request: Request) -> AppContext:
    return request.app.state.context
