"""AttemptControlService, for the scheduler: proto in, stop, proto out."""

from __future__ import annotations

import grpc

from tradewind.dispatch.v1 import control_pb2, control_pb2_grpc
from tradewind_core.db import Database
from tradewind_core.errors import InvalidArgument
from tradewind_core.grpc_server import maps_domain_errors
from tradewind_core.logging import get_logger
from tradewind_dispatcher import outbox
from tradewind_dispatcher.scheduler_relay import SchedulerRelay
from tradewind_dispatcher.stopping import StopRequest, stop_attempts

log = get_logger(__name__)
MAX_ATTEMPTS = 1000


class AttemptControlServicer(control_pb2_grpc.AttemptControlServiceServicer):
    def __init__(self, db: Database, relay: SchedulerRelay | None = None) -> None:
        self._db = db
        self._relay = relay

    @maps_domain_errors
    async def StopAttempts(self, request, context: grpc.aio.ServicerContext):
        if len(request.attempts) > MAX_ATTEMPTS:
            raise InvalidArgument(f"at most {MAX_ATTEMPTS} attempts per call")
        for item in request.attempts:
            if not item.task_instance_id or item.try_number < 1:
                raise InvalidArgument("each attempt needs a task_instance_id and a try_number >= 1")
        requests = [
            StopRequest(a.task_instance_id, a.try_number, a.reason[:1000]) for a in request.attempts
        ]
        async with self._db.transaction() as session:
            stopped = await stop_attempts(session, requests)
        if self._relay is not None:  # the tries that ended: their events go out now
            self._relay.wake(outbox.new_rows(session))
        if stopped:
            log.info("attempts stopped", count=stopped)
        return control_pb2.StopAttemptsResponse(stopped=stopped)
