"""What every route needs: the api's database and its clients of the other services."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from tradewind_api.clients import DispatcherClient, SchedulerClient
from tradewind_api.settings import ApiSettings
from tradewind_core.db import Database


@dataclass
class AppContext:
    settings: ApiSettings
    db: Database
    scheduler: SchedulerClient
    dispatcher: DispatcherClient


def get_context(request: Request) -> AppContext:
    return request.app.state.context
