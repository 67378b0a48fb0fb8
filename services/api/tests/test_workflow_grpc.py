"""The public gRPC API (tradewind.v1 WorkflowService) against a live Tradewind: the same
answers and errors as REST, idempotent triggers, a run watched to its end, a log followed
while its task writes it, health checking and reflection."""

from __future__ import annotations

import asyncio
import json
import threading

import grpc
import pytest
from google.protobuf import struct_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from tradewind_client import Tradewind, run_state

from conftest import admin_token, signed_in_channel
from services.api.tests.live import live_tradewind
from tradewind.v1 import workflow_pb2 as pb
from tradewind.v1 import workflow_pb2_grpc

pytestmark = pytest.mark.postgres
WORKFLOW = "tradewind.v1.WorkflowService"


@pytest.fixture
async def tradewind(pg_database, schema_prefix, service_ports):
    async with live_tradewind(
        pg_database, schema_prefix, service_ports, api_watch_poll_interval=0.1
    ) as rest:
        token = await admin_token(rest)
        async with signed_in_channel(service_ports["api_grpc_address"], token) as channel:
            yield rest, workflow_pb2_grpc.WorkflowServiceStub(channel), channel


def spec(dag_id: str, *tasks: dict, **extra) -> str:
    return json.dumps({"dag_id": dag_id, "tasks": list(tasks), **extra})


def bash(task_id: str, command: str, *upstream: str) -> dict:
    return {
        "task_id": task_id,
        "operator": "bash",
        "bash_command": command,
        "upstream": list(upstream),
    }


async def rpc_error(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


async def test_dags_and_runs_answer_as_rest_does(tradewind):
    rest, stub, channel = tradewind
    # Health checking and reflection name the service.
    health = health_pb2_grpc.HealthStub(channel)
    reply = await health.Check(health_pb2.HealthCheckRequest(service=WORKFLOW))
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    services = set()
    async for answer in reflection.ServerReflectionInfo(iter([request])):
        services |= {s.name for s in answer.list_services_response.service}
    assert WORKFLOW in services

    created = await stub.CreateDag(pb.CreateDagRequest(spec=spec("etl", bash("a", "echo a"))))
    assert created.created and created.dag.dag_id == "etl"
    assert created.dag.latest_dag_version.version_number == 1
    again = await stub.CreateDag(pb.CreateDagRequest(spec=spec("etl", bash("a", "echo a"))))
    assert not again.created and again.dag.latest_dag_version.version_number == 1
    yaml_spec = "dag_id: etl\ntasks:\n  - {task_id: a, operator: bash, bash_command: echo b}\n"
    changed = await stub.CreateDag(pb.CreateDagRequest(spec=yaml_spec, format=pb.SPEC_FORMAT_YAML))
    assert changed.created and changed.dag.latest_dag_version.version_number == 2

    dag = (await stub.GetDag(pb.GetDagRequest(dag_id="etl"))).dag
    via_rest = (await rest.get("/dags/etl")).json()
    assert dag.latest_dag_version.id == via_rest["latest_dag_version"]["id"]
    assert dag.is_paused == via_rest["is_paused"] and list(dag.owners) == via_rest["owners"]

    conf = struct_pb2.Struct()
    conf.update({"limit": 5})
    run = (
        await stub.TriggerDagRun(pb.TriggerDagRunRequest(dag_id="etl", dag_run_id="r1", conf=conf))
    ).dag_run
    via_rest = (await rest.get("/dags/etl/dagRuns/r1")).json()
    assert run.dag_run_id == "r1" and via_rest["conf"] == {"limit": 5}
    assert run.dag_version.id == via_rest["dag_versions"][0]["id"]
    got = (await stub.GetDagRun(pb.GetDagRunRequest(dag_id="etl", dag_run_id="r1"))).dag_run
    assert got.dag_run_id == "r1" and dict(got.conf) == {"limit": 5}
    listed = await stub.ListDagRuns(pb.ListDagRunsRequest(dag_id="etl"))
    assert [r.dag_run_id for r in listed.dag_runs] == ["r1"] and listed.total_entries == 1
    tis = await stub.ListTaskInstances(pb.ListTaskInstancesRequest(dag_id="etl", dag_run_id="r1"))
    rest_tis = (await rest.get("/dags/etl/dagRuns/r1/taskInstances")).json()["task_instances"]
    assert [t.id for t in tis.task_instances] == [t["id"] for t in rest_tis]
    assert tis.total_entries == 1


async def test_bad_input_gets_the_rest_message_and_the_matching_status(tradewind):
    rest, stub, _ = tradewind
    error = await rpc_error(stub.GetDag(pb.GetDagRequest(dag_id="nope")))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error.details() == (await rest.get("/dags/nope")).json()["detail"]

    bad = spec("bad", bash("a", "echo", "missing"))
    error = await rpc_error(stub.CreateDag(pb.CreateDagRequest(spec=bad)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    rest_detail = (
        await rest.post("/dags", content=bad, headers={"Content-Type": "application/json"})
    ).json()["detail"]
    assert error.details() == rest_detail and "tasks[0].upstream" in rest_detail

    error = await rpc_error(stub.CreateDag(pb.CreateDagRequest(spec="{not json")))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and "not valid JSON" in error.details()
    error = await rpc_error(stub.CreateDag(pb.CreateDagRequest()))
    assert (
        error.code() == grpc.StatusCode.INVALID_ARGUMENT and error.details() == "spec: is required"
    )
    huge = spec("big", bash("a", "echo " + "x" * 5_000_000))
    error = await rpc_error(stub.CreateDag(pb.CreateDagRequest(spec=huge)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details() == "spec: larger than 4194304 bytes (TRADEWIND_API_MAX_BODY_BYTES)"
    deep = '{"dag_id": "deep", "tasks": [], "params": ' + "[" * 1000 + "]" * 1000 + "}"
    error = await rpc_error(stub.CreateDag(pb.CreateDagRequest(spec=deep)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details() == "spec: nested 1001 levels deep; at most 64"
    assert (await rest.get("/dags/bad")).status_code == 404  # nothing stored

    await stub.CreateDag(pb.CreateDagRequest(spec=spec("etl", bash("a", "echo a"))))
    error = await rpc_error(stub.ListDagRuns(pb.ListDagRunsRequest(dag_id="etl", limit=5000)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details() == "limit: Input should be less than or equal to 1000"
    error = await rpc_error(
        stub.TriggerDagRun(pb.TriggerDagRunRequest(dag_id="etl", dag_run_id="bad id!"))
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and error.details().startswith(
        "dag_run_id:"
    )
    error = await rpc_error(stub.GetDagRun(pb.GetDagRunRequest(dag_id="etl", dag_run_id="no")))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error.details() == (await rest.get("/dags/etl/dagRuns/no")).json()["detail"]
    error = await rpc_error(
        stub.TriggerDagRun(pb.TriggerDagRunRequest(dag_id="etl", run_after={"seconds": 2**40}))
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and "run_after" in error.details()
    assert (await rest.get("/dags/etl/dagRuns")).json()["total_entries"] == 0


async def test_a_repeated_trigger_gives_the_same_run_never_a_second(tradewind):
    rest, stub, _ = tradewind
    paused = spec("etl", bash("a", "echo a"), is_paused_upon_creation=True)
    await stub.CreateDag(pb.CreateDagRequest(spec=paused))
    first = await stub.TriggerDagRun(pb.TriggerDagRunRequest(dag_id="etl", dag_run_id="r1"))
    retry = await stub.TriggerDagRun(pb.TriggerDagRunRequest(dag_id="etl", dag_run_id="r1"))
    assert first.created and not retry.created
    assert retry.dag_run.dag_run_id == "r1" and retry.dag_run.queued_at == first.dag_run.queued_at
    conf = struct_pb2.Struct()
    conf.update({"other": True})
    error = await rpc_error(
        stub.TriggerDagRun(pb.TriggerDagRunRequest(dag_id="etl", dag_run_id="r1", conf=conf))
    )
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS

    keyed = pb.TriggerDagRunRequest(dag_id="etl", idempotency_key="k-1")
    one, two = await stub.TriggerDagRun(keyed), await stub.TriggerDagRun(keyed)
    assert one.created and not two.created and one.dag_run.dag_run_id == two.dag_run.dag_run_id
    # The same key over REST names the same run.
    via_rest = await rest.post("/dags/etl/dagRuns", json={}, headers={"Idempotency-Key": "k-1"})
    assert via_rest.json()["dag_run_id"] == one.dag_run.dag_run_id
    runs = (await rest.get("/dags/etl/dagRuns")).json()
    assert runs["total_entries"] == 2, runs


async def test_watch_sees_a_run_go_queued_running_success(tradewind, tmp_path):
    rest, stub, _ = tradewind
    release = tmp_path / "release"
    dag = spec(
        "watched",
        bash("work", f"while [ ! -e {release} ]; do sleep 0.05; done"),
        bash("after", "echo done", "work"),
        is_paused_upon_creation=True,
    )
    await stub.CreateDag(pb.CreateDagRequest(spec=dag))
    await stub.TriggerDagRun(pb.TriggerDagRunRequest(dag_id="watched", dag_run_id="r"))
    stream = stub.WatchDagRun(pb.WatchDagRunRequest(dag_id="watched", dag_run_id="r"))
    run_states: list[str] = []
    ti_states: dict[str, list[str]] = {"work": [], "after": []}
    sequences: list[int] = []
    async for change in stream:
        sequences.append(change.sequence)
        if change.HasField("dag_run"):
            state = pb.DagRunState.Name(change.dag_run.state).removeprefix("DAG_RUN_STATE_")
            run_states.append(state.lower())
            if state == "QUEUED" and len(run_states) == 1:
                # Seen queued while the DAG is paused; now let it run.
                reply = await rest.patch("/dags/watched", json={"is_paused": False})
                assert reply.status_code == 200
        else:
            ti = change.task_instance
            name = pb.TaskInstanceState.Name(ti.state).removeprefix("TASK_INSTANCE_STATE_")
            ti_states[ti.task_id].append(name.lower())
            if ti_states["work"][-1:] == ["running"]:
                release.touch()  # the task ends only once its running state was seen
    assert await stream.code() == grpc.StatusCode.OK
    assert run_states == ["queued", "running", "success"]
    assert "running" in ti_states["work"], ti_states
    assert ti_states["work"][-1] == ti_states["after"][-1] == "success", ti_states
    assert sequences == list(range(1, len(sequences) + 1))
    # A run that is final already: its final state, then the end.
    final = [
        c async for c in stub.WatchDagRun(pb.WatchDagRunRequest(dag_id="watched", dag_run_id="r"))
    ]
    assert final[-1].dag_run.state == pb.DAG_RUN_STATE_SUCCESS and len(final) == 3

    error = await rpc_error(
        stub.WatchDagRun(pb.WatchDagRunRequest(dag_id="watched", dag_run_id="nope")).read()
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND


async def test_stream_task_logs_follows_a_task_while_it_runs(tradewind, tmp_path):
    rest, stub, _ = tradewind
    release = tmp_path / "release"
    command = f"echo before; while [ ! -e {release} ]; do sleep 0.05; done; echo after"
    await stub.CreateDag(pb.CreateDagRequest(spec=spec("chatty", bash("talk", command))))
    await stub.TriggerDagRun(pb.TriggerDagRunRequest(dag_id="chatty", dag_run_id="r"))
    # Asked at once: the try has not started yet, and is waited for.
    stream = stub.StreamTaskLogs(
        pb.StreamTaskLogsRequest(dag_id="chatty", dag_run_id="r", task_id="talk")
    )
    seen: list[str] = []
    async for page in stream:
        assert page.try_number == 1 and page.continuation_token
        seen += [line.event for line in page.lines]
        if "before" in seen and not release.exists():
            # The task cannot end before the release: this line came while it runs (the
            # scheduler may not have heard of its start yet, but it is not over).
            ti = (await rest.get("/dags/chatty/dagRuns/r/taskInstances/talk")).json()
            assert ti["state"] in ("queued", "running")
            release.touch()
    assert await stream.code() == grpc.StatusCode.OK
    assert seen.index("before") < seen.index("after")
    run = (await rest.get("/dags/chatty/dagRuns/r")).json()
    assert run["state"] in ("running", "success")

    # A finished try streams whole and ends; a resumed stream gives only what follows.
    pages = [
        p
        async for p in stub.StreamTaskLogs(
            pb.StreamTaskLogsRequest(dag_id="chatty", dag_run_id="r", task_id="talk", try_number=1)
        )
    ]
    assert [line.event for p in pages for line in p.lines] == seen
    error = await rpc_error(
        stub.StreamTaskLogs(
            pb.StreamTaskLogsRequest(dag_id="chatty", dag_run_id="r", task_id="talk", try_number=5)
        ).read()
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error.details() == "task 'talk' has no try 5 in DAG run 'r'"


async def test_a_stream_ends_at_its_lifetime_limit_and_the_client_watches_again(
    pg_database, schema_prefix, service_ports
):
    address = service_ports["api_grpc_address"]
    async with live_tradewind(
        pg_database, schema_prefix, service_ports, api_stream_max_seconds=1
    ) as rest:
        token = await admin_token(rest)
        async with signed_in_channel(address, token) as channel:
            stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
            paused = spec("idle", bash("a", "echo"), is_paused_upon_creation=True)
            await stub.CreateDag(pb.CreateDagRequest(spec=paused))
            await stub.TriggerDagRun(pb.TriggerDagRunRequest(dag_id="idle", dag_run_id="r"))
            stream = stub.WatchDagRun(pb.WatchDagRunRequest(dag_id="idle", dag_run_id="r"))
            changes = []
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                async for change in stream:
                    changes.append(change)
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
            assert "TRADEWIND_API_STREAM_MAX_SECONDS" in caught.value.details()
            assert changes and changes[-1].dag_run.state == pb.DAG_RUN_STATE_QUEUED

        # The client's watch goes on through the ends of its streams, to the run's end.
        rewatched = threading.Event()

        def follow() -> list[str]:
            states = []
            with Tradewind.connect(address, token=token) as tradewind:
                for item in tradewind.watch("idle", "r"):
                    if isinstance(item, pb.DagRun):
                        states.append(run_state(item))
                        if states == ["queued", "queued"]:
                            rewatched.set()
            return states

        following = asyncio.create_task(asyncio.to_thread(follow))
        assert await asyncio.to_thread(rewatched.wait, 30)
        assert (await rest.patch("/dags/idle", json={"is_paused": False})).status_code == 200
        states = await asyncio.wait_for(following, 60)
        assert states[:2] == ["queued", "queued"] and states[-1] == "success", states
