"""Who gets in: every route and public gRPC method called as each role and as nobody,
compared with the policy as Airflow's roles state it; tokens that are expired, revoked,
tampered with or signed another way; the dashboard's cookie and its CSRF check; and DAG
grants that leave out what a user may not see, in counts and errors too."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import grpc
import httpx
import jwt
import pytest

from conftest import ADMIN_PASSWORD, signed_in_channel
from services.api.tests.live import live_tradewind
from tradewind.v1 import workflow_pb2 as pb
from tradewind.v1 import workflow_pb2_grpc

pytestmark = pytest.mark.postgres
JWT_SECRET = "k" * 48
ROLES = ("Viewer", "User", "Op", "Admin")
PUBLIC = {("POST", "/auth/token"), ("POST", "/auth/login"), ("GET", "/api/v2/monitor/health"),
          ("GET", "/api/v2/version")}  # fmt: skip
# Signing out ends the very token the matrix uses; it has a test of its own below.
NOT_IN_MATRIX = {("POST", "/auth/logout")}


def allowed(role: str | None, method: str, path: str) -> bool:
    """The policy, written out as Airflow's roles describe it (not read from the code)."""
    if (method, path) in PUBLIC:
        return True
    if role is None:
        return False
    if path.startswith("/auth/users"):
        return role == "Admin"
    if path.startswith("/auth/"):
        return True  # your own profile and API tokens
    if path.startswith(("/api/v2/variables", "/api/v2/connections", "/api/v2/config")):
        return role in ("Op", "Admin")
    if path.startswith("/api/v2/pools"):
        return method == "GET" or role in ("Op", "Admin")
    if path.startswith(("/api/v2/workers", "/api/v2/eventLogs", "/api/v2/importErrors")):
        return method == "GET"
    # DAGs, their runs, task instances, XCom, logs, versions, sources, backfills.
    reads = method == "GET" or path.endswith(("/list", "/dry_run"))
    return reads or role in ("User", "Op", "Admin")


def concrete(path: str) -> str:
    """Every path parameter names nothing that exists: allowed callers get 404 or 422, and
    nothing is changed by the matrix."""
    values = {"try_number": "1", "task_try_number": "1", "version_number": "1",
              "backfill_id": "987654", "event_log_id": "987654", "import_error_id": "987654",
              "token_id": "987654"}  # fmt: skip
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), f"no-such-{m.group(1)}"), path)


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> str:
    answer = await client.post("/auth/token", json={"username": username, "password": password})
    assert answer.status_code == 201, answer.text
    return answer.json()["access_token"]


@pytest.fixture
async def tradewind(pg_database, schema_prefix, service_ports):
    async with live_tradewind(
        pg_database, schema_prefix, service_ports, jwt_secret=JWT_SECRET
    ) as rest:
        root = str(rest.base_url).removesuffix("/").removesuffix("/api/v2")
        async with httpx.AsyncClient(base_url=root, timeout=10) as plain:
            tokens = {"Admin": await sign_in(plain, "admin", ADMIN_PASSWORD)}
            for role in ROLES[:-1]:
                made = await rest.post(
                    f"{root}/auth/users",
                    json={"username": role.lower(), "password": f"{role}-password", "role": role},
                )
                assert made.status_code == 201, made.text
                tokens[role] = await sign_in(plain, role.lower(), f"{role}-password")
            yield rest, plain, tokens


async def test_every_route_as_each_role_and_as_nobody_matches_the_policy(tradewind):
    rest, plain, tokens = tradewind
    document = (await plain.get("/openapi.json")).json()
    operations = [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(operations) > 70
    unexpected: list[str] = []
    for method, path in operations:
        if (method, path) in NOT_IN_MATRIX:
            continue
        for role in (None, *ROLES):
            headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
            body = {} if method in ("POST", "PUT", "PATCH") else None
            if path.endswith("/events"):
                continue  # streams: checked below, with a short read
            answer = await plain.request(method, concrete(path), json=body, headers=headers)
            refused = answer.status_code in (401, 403)
            if allowed(role, method, path) == refused:
                unexpected.append(f"{role or 'nobody'} {method} {path}: {answer.status_code}")
            if role is None and not allowed(None, method, path):
                assert answer.status_code == 401 and answer.headers["www-authenticate"]
    assert not unexpected, "\n".join(unexpected)
    # The event streams: nobody is refused before anything is streamed.
    for path in ("/api/v2/dags/x/events", "/api/v2/dags/x/dagRuns/r/events"):
        assert (await plain.get(path)).status_code == 401


async def test_public_grpc_methods_as_each_role_and_as_nobody(tradewind, service_ports):
    rest, plain, tokens = tradewind
    spec = (
        '{"dag_id": "g", "tasks": [{"task_id": "t", "operator": "bash", "bash_command": "true"}]}'
    )
    calls = {
        "CreateDag": (lambda s: s.CreateDag(pb.CreateDagRequest(spec=spec)), "edit"),
        "GetDag": (lambda s: s.GetDag(pb.GetDagRequest(dag_id="g")), "read"),
        "TriggerDagRun": (
            lambda s: s.TriggerDagRun(pb.TriggerDagRunRequest(dag_id="g", dag_run_id="r")),
            "trigger",
        ),
        "GetDagRun": (
            lambda s: s.GetDagRun(pb.GetDagRunRequest(dag_id="g", dag_run_id="r")),
            "read",
        ),
        "ListDagRuns": (lambda s: s.ListDagRuns(pb.ListDagRunsRequest(dag_id="g")), "read"),
        "ListTaskInstances": (
            lambda s: s.ListTaskInstances(pb.ListTaskInstancesRequest(dag_id="g", dag_run_id="r")),
            "read",
        ),
    }
    assert set(calls) | {"WatchDagRun", "StreamTaskLogs"} == set(
        pb.DESCRIPTOR.services_by_name["WorkflowService"].methods_by_name
    )
    address = service_ports["api_grpc_address"]
    async with grpc.aio.insecure_channel(address) as anonymous:
        stub = workflow_pb2_grpc.WorkflowServiceStub(anonymous)
        for name, (call, _) in calls.items():
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await call(stub)
            assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED, name
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            async for _ in stub.WatchDagRun(pb.WatchDagRunRequest(dag_id="g", dag_run_id="r")):
                pass
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    async with signed_in_channel(address, "not-a-token") as forged:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await workflow_pb2_grpc.WorkflowServiceStub(forged).GetDag(pb.GetDagRequest(dag_id="g"))
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    # The Admin makes the DAG and a run first, so every role's call finds them.
    for role in ("Admin", "Viewer", "User", "Op"):
        async with signed_in_channel(address, tokens[role]) as channel:
            stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
            for name, (call, action) in calls.items():
                may = action == "read" or role != "Viewer"
                try:
                    await call(stub)
                    outcome = "ok"
                except grpc.aio.AioRpcError as error:
                    outcome = error.code().name
                if may:
                    assert outcome in ("ok", "ALREADY_EXISTS"), (role, name, outcome)
                else:
                    assert outcome == "PERMISSION_DENIED", (role, name, outcome)


async def test_expired_revoked_tampered_and_foreign_tokens_are_refused(tradewind):
    rest, plain, tokens = tradewind
    good = tokens["Viewer"]
    assert (await plain.get("/api/v2/dags", headers=_bearer(good))).status_code == 200

    claims = jwt.decode(good, JWT_SECRET, algorithms=["HS256"], audience="tradewind-api")
    past = datetime.now(UTC) - timedelta(minutes=5)
    earlier = past - timedelta(hours=1)
    expired = jwt.encode(
        {**claims, "exp": past, "iat": earlier, "nbf": earlier}, JWT_SECRET, algorithm="HS256"
    )
    answer = await plain.get("/api/v2/dags", headers=_bearer(expired))
    assert answer.status_code == 401 and "expired" in answer.json()["detail"]
    # Tampered: the payload says Admin's name, the signature is the Viewer's.
    header, payload, signature = good.split(".")
    other = jwt.encode({**claims, "sub": "admin"}, "x" * 48, algorithm="HS256").split(".")[1]
    for forged in (
        f"{header}.{other}.{signature}",
        jwt.encode({**claims, "sub": "admin"}, "x" * 48, algorithm="HS256"),
        jwt.encode({**claims, "sub": "admin"}, None, algorithm="none"),
        good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
    ):
        answer = await plain.get("/api/v2/dags", headers=_bearer(forged))
        assert answer.status_code == 401, forged

    # Signed out: that token is dead, another of the same user still works.
    second = await sign_in(plain, "viewer", "Viewer-password")
    assert (await plain.post("/auth/logout", headers=_bearer(good))).status_code == 204
    answer = await plain.get("/api/v2/dags", headers=_bearer(good))
    assert answer.status_code == 401 and "revoked" in answer.json()["detail"]
    assert (await plain.get("/api/v2/dags", headers=_bearer(second))).status_code == 200
    # A new password signs the user out everywhere.
    reset = await plain.patch(
        "/auth/users/viewer",
        json={"password": "a-new-password"},
        headers=_bearer(tokens["Admin"]),
    )
    assert reset.status_code == 200, reset.text
    assert (await plain.get("/api/v2/dags", headers=_bearer(second))).status_code == 401
    assert (
        await plain.post("/auth/token", json={"username": "viewer", "password": "Viewer-password"})
    ).status_code == 401

    # API tokens: made once, shown once, used, revoked.
    made = await plain.post(
        "/auth/tokens", json={"name": "ci", "expires_in_days": 1}, headers=_bearer(tokens["User"])
    )
    assert made.status_code == 201, made.text
    api_token = made.json()["token"]
    assert api_token.startswith("twk_")
    listed = (await plain.get("/auth/tokens", headers=_bearer(tokens["User"]))).json()
    assert listed["total_entries"] == 1 and api_token not in str(listed)
    me = (await plain.get("/auth/me", headers=_bearer(api_token))).json()
    assert me["username"] == "user" and me["role"] == "User"
    gone = await plain.delete(f"/auth/tokens/{made.json()['id']}", headers=_bearer(tokens["User"]))
    assert gone.status_code == 204
    assert (await plain.get("/auth/me", headers=_bearer(api_token))).status_code == 401
    assert (await plain.get("/auth/me", headers=_bearer("twk_" + "A" * 43))).status_code == 401
    # Not a bearer scheme at all.
    answer = await plain.get("/api/v2/dags", headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
    assert answer.status_code == 401

    # Wrong passwords and unknown users get the same answer, and are recorded.
    wrong = await plain.post("/auth/token", json={"username": "admin", "password": "nope-nope"})
    nobody = await plain.post("/auth/token", json={"username": "ghost", "password": "nope-nope"})
    assert wrong.status_code == nobody.status_code == 401
    assert wrong.json()["detail"] == nobody.json()["detail"]
    events = (await rest.get("/eventLogs", params={"event": "login_failed"})).json()
    assert {e["owner"] for e in events["event_logs"]} >= {"admin", "ghost"}
    assert "nope-nope" not in str(events)


async def test_dashboard_cookie_needs_the_csrf_header_for_changes(tradewind):
    rest, plain, tokens = tradewind
    answer = await plain.post("/auth/login", json={"username": "user", "password": "User-password"})
    assert answer.status_code == 200 and answer.json()["role"] == "User"
    set_cookies = answer.headers.get_list("set-cookie")
    session = next(c for c in set_cookies if c.startswith("tradewind_session="))
    assert "HttpOnly" in session and "SameSite=strict" in session
    csrf = plain.cookies["tradewind_csrf"]
    assert (await plain.get("/api/v2/dags")).status_code == 200  # the cookie signs reads in
    pool = {"name": "p1", "slots": 1}
    refused = await plain.patch(
        "/api/v2/dags", params={"dag_id_pattern": "x"}, json={"is_paused": True}
    )
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]
    refused = await plain.patch(
        "/api/v2/dags",
        params={"dag_id_pattern": "x"},
        json={"is_paused": True},
        headers={"X-CSRF-Token": "guessed"},
    )
    assert refused.status_code == 403
    accepted = await plain.patch(
        "/api/v2/dags",
        params={"dag_id_pattern": "x"},
        json={"is_paused": True},
        headers={"X-CSRF-Token": csrf},
    )
    assert accepted.status_code == 200, accepted.text
    # A User may not make pools, cookie or not.
    answer = await plain.post("/api/v2/pools", json=pool, headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 403
    out = await plain.post("/auth/logout", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204
    plain.cookies.clear()
    plain.cookies.set("tradewind_session", session.split(";")[0].split("=", 1)[1])
    assert (await plain.get("/api/v2/dags")).status_code == 401


async def test_dag_grants_leave_out_what_a_user_may_not_see(tradewind):
    rest, plain, tokens = tradewind
    root = str(rest.base_url).removesuffix("/").removesuffix("/api/v2")
    for dag_id, tags in (("sales_a", ["sales"]), ("sales_b", ["sales"]), ("hr", ["people"])):
        task = {"task_id": "t", "operator": "bash", "bash_command": "true"}
        spec = {"dag_id": dag_id, "tags": tags, "is_paused_upon_creation": True, "tasks": [task]}
        assert (await rest.post("/dags", json=spec)).status_code == 201
        assert (
            await rest.post(f"/dags/{dag_id}/dagRuns", json={"dag_run_id": "r"})
        ).status_code == 200
    made = await rest.post(
        f"{root}/auth/users",
        json={"username": "seller", "password": "seller-password", "role": "Viewer",
              "dag_grants": [{"tag": "sales", "actions": ["read", "trigger"]}]},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    seller = _bearer(await sign_in(plain, "seller", "seller-password"))

    dags = (await plain.get("/api/v2/dags", headers=seller)).json()
    assert [d["dag_id"] for d in dags["dags"]] == ["sales_a", "sales_b"]
    assert dags["total_entries"] == 2
    runs = (await plain.get("/api/v2/dags/~/dagRuns", headers=seller)).json()
    assert {r["dag_id"] for r in runs["dag_runs"]} == {"sales_a", "sales_b"}
    assert runs["total_entries"] == 2
    batch = await plain.post(
        "/api/v2/dags/~/dagRuns/list", json={"dag_ids": ["hr"]}, headers=seller
    )
    assert batch.json() == {"dag_runs": [], "total_entries": 0}
    tis = (await plain.get("/api/v2/dags/~/dagRuns/~/taskInstances", headers=seller)).json()
    assert {t["dag_id"] for t in tis["task_instances"]} == {"sales_a", "sales_b"}
    stats = (await plain.get("/api/v2/dagStats", headers=seller)).json()
    assert [s["dag_id"] for s in stats["dags"]] == ["sales_a", "sales_b"]
    tags = (await plain.get("/api/v2/dagTags", headers=seller)).json()
    assert tags["tags"] == ["sales"]
    # The hidden DAG answers exactly as one that does not exist.
    hidden = await plain.get("/api/v2/dags/hr", headers=seller)
    missing = await plain.get("/api/v2/dags/no_such_dag", headers=seller)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace("hr", "X") == missing.json()["detail"].replace(
        "no_such_dag", "X"
    )
    assert (await plain.post("/api/v2/dags/hr/dagRuns", json={}, headers=seller)).status_code == 404
    # Granted: trigger; not granted: pause (edit).
    triggered = await plain.post(
        "/api/v2/dags/sales_a/dagRuns", json={"dag_run_id": "s"}, headers=seller
    )
    assert triggered.status_code == 200, triggered.text
    paused = await plain.patch("/api/v2/dags/sales_a", json={"is_paused": False}, headers=seller)
    assert paused.status_code == 403
    # The event log leaves out the hidden DAG's records.
    events = (await plain.get("/api/v2/eventLogs", headers=seller)).json()
    assert "hr" not in {e["dag_id"] for e in events["event_logs"]}
    assert "sales_a" in {e["dag_id"] for e in events["event_logs"]}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
