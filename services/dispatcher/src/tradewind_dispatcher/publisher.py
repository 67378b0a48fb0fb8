"""Turns recorded attempts into task messages on their worker queues."""

from __future__ import annotations

import json
from collections.abc import Sequence

from tradewind_core.broker import Broker, OutgoingMessage
from tradewind_dispatcher.models import TaskAttempt


def task_message(attempt: TaskAttempt) -> OutgoingMessage:
    # The message names the attempt and nothing more that matters: the worker claims the
    # attempt and gets the task from the claim, so a stale copy can carry nothing stale.
    body = {
        "attempt_id": attempt.id,
        "dag_id": attempt.dag_id,
        "dag_run_id": attempt.run_id,
        "task_id": attempt.task_id,
        "try_number": attempt.try_number,
    }
    return OutgoingMessage(
        queue=attempt.queue,
        body=json.dumps(body).encode(),
        headers={"dag_id": attempt.dag_id, "dag_run_id": attempt.run_id},
        priority=attempt.priority_weight,
    )


async def publish_attempts(broker: Broker, items: Sequence[TaskAttempt]) -> None:
    if items:
        await broker.publish([task_message(a) for a in items])
