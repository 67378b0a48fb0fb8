"""gRPC servers and channels the same way everywhere: health checking and reflection
on every server, graceful stop, domain errors turned into status codes in one place."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from tradewind_core.errors import (
    AlreadyExists,
    Conflict,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from tradewind_core.internal_auth import InternalAuthInterceptor, Secret, client_interceptors

_STATUS = {
    NotFound: grpc.StatusCode.NOT_FOUND,
    AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    Conflict: grpc.StatusCode.FAILED_PRECONDITION,
    Unavailable: grpc.StatusCode.UNAVAILABLE,
    PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
}

_CHANNEL_OPTIONS = [
    ("grpc.keepalive_time_ms", 20_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
    # A restarted peer is found again within a second, not after gRPC's default backoff
    # (which grows to two minutes while the peer is down).
    ("grpc.initial_reconnect_backoff_ms", 250),
    ("grpc.min_reconnect_backoff_ms", 250),
    ("grpc.max_reconnect_backoff_ms", 1_000),
]

# Servers accept the clients' keepalive pings (every 20 s, idle or not) instead of
# answering them with GOAWAY "too_many_pings". SO_REUSEPORT is off: with it, a second
# process on the same address would silently share the port and take half the calls.
_SERVER_OPTIONS = [
    *_CHANNEL_OPTIONS,
    ("grpc.so_reuseport", 0),
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    ("grpc.http2.max_pings_without_data", 0),
]

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def maps_domain_errors(method: F) -> F:
    """Servicer method decorator: a domain error becomes its gRPC status, with its text."""

    @functools.wraps(method)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await method(self, request, context)
        except tuple(_STATUS) as exc:
            await context.abort(_STATUS[type(exc)], exc.detail)  # type: ignore[attr-defined]

    return wrapper  # type: ignore[return-value]


class GrpcServer:
    """A grpc.aio server with the standard health service and reflection, letting in only
    calls that carry the internal secret (see internal_auth.py for what stays open)."""

    def __init__(
        self,
        bind: str,
        service_names: Iterable[str],
        *,
        internal_secret: Secret | None,
        setting: str = "",
    ) -> None:
        """`setting` names the configuration that chooses this address, for the error a
        person sees when the port is taken."""
        self.server = grpc.aio.server(
            options=_SERVER_OPTIONS, interceptors=[InternalAuthInterceptor(internal_secret)]
        )
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self._names = list(service_names)
        reflection.enable_server_reflection(
            [*self._names, health.SERVICE_NAME, reflection.SERVICE_NAME], self.server
        )
        try:
            self.port = self.server.add_insecure_port(bind)
        except RuntimeError:  # grpcio >= 1.60 raises instead of returning 0
            self.port = 0
        if self.port == 0:
            hint = f"; choose another with {setting}" if setting else ""
            raise OSError(f"cannot listen on {bind}: the port is in use or not ours{hint}")

    async def start(self) -> None:
        await self.server.start()
        for name in ["", *self._names]:
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)

    async def stop(self, grace: float = 5.0) -> None:
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)


# An address naming several servers (a DNS name with several records, or
# "ipv4:10.0.0.1:50052,10.0.0.2:50052") spreads calls over all of them, not only the
# first: every scheduler replica hears events and requests, not just one.
_ROUND_ROBIN = ("grpc.service_config", json.dumps({"loadBalancingConfig": [{"round_robin": {}}]}))


def channel(address: str, *, internal_secret: Secret | None) -> grpc.aio.Channel:
    """A channel to another service, its calls carrying `internal_secret`; None only for
    what needs none (health checks, the public API)."""
    # Plain HTTP/2: the shared secret authenticates, the network is the deployment's own.
    # Mutual TLS would go here, as channel credentials chosen by settings.
    return grpc.aio.insecure_channel(
        address,
        options=[*_CHANNEL_OPTIONS, _ROUND_ROBIN],
        interceptors=client_interceptors(internal_secret),
    )


async def check_health(address: str, timeout: float = 2.0) -> bool:
    """True when the server at address reports SERVING."""
    async with channel(address, internal_secret=None) as ch:
        stub = health_pb2_grpc.HealthStub(ch)
        try:
            reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=timeout)
        except grpc.aio.AioRpcError:
            return False
        return reply.status == health_pb2.HealthCheckResponse.SERVING
