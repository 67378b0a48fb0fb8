import pytest

from tradewind_core.states import (
    DagRunState,
    IllegalTransition,
    check_run_move,
    check_task_move,
)
from tradewind_core.states import (
    TaskInstanceState as TI,
)


def test_the_life_of_a_task_with_one_retry():
    path = [
        None,
        TI.SCHEDULED,
        TI.QUEUED,
        TI.RUNNING,
        TI.UP_FOR_RETRY,
        TI.SCHEDULED,
        TI.QUEUED,
        TI.SUCCESS,
    ]
    for current, target in zip(path, path[1:], strict=False):
        check_task_move(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (TI.SUCCESS, TI.RUNNING),
        (TI.FAILED, TI.QUEUED),
        (None, TI.RUNNING),
        (TI.SKIPPED, TI.SUCCESS),
    ],
)
def test_illegal_task_moves_are_refused_by_name(current, target):
    with pytest.raises(IllegalTransition, match=f"to {target.value}"):
        check_task_move(current, target)


def test_a_finished_run_stays_finished():
    check_run_move(DagRunState.QUEUED, DagRunState.RUNNING)
    with pytest.raises(IllegalTransition):
        check_run_move(DagRunState.SUCCESS, DagRunState.RUNNING)
