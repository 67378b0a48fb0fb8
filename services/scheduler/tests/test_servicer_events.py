"""ReportTaskEvents over real gRPC: a malformed event in a batch is set aside with its
reason and shown in the scheduler's status; the good events of the batch are applied and
answered, so the reporter's resends never queue behind it."""

from __future__ import annotations

import pytest

from services.scheduler.tests.test_pools_limits_poison import make_env  # noqa: F401
from services.scheduler.tests.test_scheduling import bash, states, trigger
from tradewind.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from tradewind_core.grpc_server import GrpcServer, channel
from tradewind_scheduler.servicer import SchedulerServicer

pytestmark = pytest.mark.postgres


async def test_a_bad_event_is_set_aside_and_the_good_ones_are_answered(
    make_env,  # noqa: F811
    internal_secret,
):
    env = await make_env()
    db, catalog, dispatcher, loop = env
    server = GrpcServer(
        "127.0.0.1:0",
        ["tradewind.scheduler.v1.SchedulerService"],
        internal_secret=internal_secret,
    )
    scheduler_pb2_grpc.add_SchedulerServiceServicer_to_server(
        SchedulerServicer(db, catalog, loop),
        server.server,  # type: ignore[arg-type]
    )
    await server.start()
    try:
        await trigger(env, {"dag_id": "mixed", "tasks": [bash("a"), bash("b", "a")]})
        [a] = await dispatcher.wait_for(1)
        async with channel(f"127.0.0.1:{server.port}", internal_secret=internal_secret) as ch:
            stub = scheduler_pb2_grpc.SchedulerServiceStub(ch)
            finished = scheduler_pb2.TASK_EVENT_KIND_FINISHED
            request = scheduler_pb2.ReportTaskEventsRequest(
                events=[
                    scheduler_pb2.TaskEvent(task_instance_id="nonsense", try_number=1),
                    scheduler_pb2.TaskEvent(
                        task_instance_id=a.task_instance_id,
                        try_number=1,
                        kind=finished,
                        state="exploded",
                    ),
                    scheduler_pb2.TaskEvent(
                        task_instance_id=a.task_instance_id,
                        try_number=1,
                        kind=finished,
                        state="success",
                    ),
                ]
            )
            reply = await stub.ReportTaskEvents(request, timeout=10)
            assert [t.task_id for t in reply.ready_tasks] == ["b"]
            # Sent again, as the dispatcher's outbox does after a lost reply: answered again.
            again = await stub.ReportTaskEvents(request, timeout=10)
            assert list(again.ready_tasks) == []
            status = await stub.GetSchedulerStatus(
                scheduler_pb2.GetSchedulerStatusRequest(), timeout=10
            )
        reasons = [e.reason for e in status.refused_events]
        assert any("has no kind" in r for r in reasons)
        assert any("'exploded'" in r for r in reasons)
        assert status.stats.steps > 0 and status.stats.queued_task_instances == 2
        assert (await states(env, "mixed"))[1]["a"] == ("success", 1)
    finally:
        await server.stop()
