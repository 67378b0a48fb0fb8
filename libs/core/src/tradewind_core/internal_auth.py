"""How the services know each other: every internal gRPC call carries the deployment's
shared secret (TRADEWIND_INTERNAL_SECRET) in its metadata, as `authorization: Internal
<secret>`, and every internal server refuses a call without it.

Open to all: the health service and reflection (probes and tools need no secret), and the
public `tradewind.v1` API, which authenticates people with their own tokens instead.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from pydantic import SecretStr

METADATA_KEY = "authorization"
SCHEME = "Internal"
# Method name prefixes the shared secret does not guard.
OPEN_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)
# The public API, on the api's port beside its internal services: user tokens, not ours.
PUBLIC_PREFIX = "/tradewind.v1."
MIN_LENGTH = 16

Secret = SecretStr | str


def secret_value(secret: Secret | None) -> str:
    """The secret's text; a clear error when there is none (a service must not serve, or
    call, the internal API without one)."""
    value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    if not value:
        raise ValueError(
            "TRADEWIND_INTERNAL_SECRET is not set: the services authenticate each other "
            "with it (the same value for every service of a deployment)"
        )
    return value


def check_strength(value: str) -> str:
    if len(value) < MIN_LENGTH:
        raise ValueError(f"must be at least {MIN_LENGTH} characters (e.g. `openssl rand -hex 32`)")
    return value


def _header(secret: str) -> tuple[str, str]:
    return (METADATA_KEY, f"{SCHEME} {secret}")


def _presented(metadata: Any) -> str:
    for key, value in metadata or ():
        if key == METADATA_KEY and isinstance(value, str) and value.startswith(SCHEME + " "):
            return value[len(SCHEME) + 1 :]
    return ""


def is_open(method: str) -> bool:
    return method.startswith(OPEN_PREFIXES) or method.startswith(PUBLIC_PREFIX)


class InternalAuthInterceptor(grpc.aio.ServerInterceptor):
    """Refuses, with UNAUTHENTICATED, every call to an internal service that does not
    carry the shared secret. The comparison takes the same time whatever the guess."""

    def __init__(self, secret: Secret | None) -> None:
        self._expected = secret_value(secret).encode()

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None or is_open(handler_call_details.method):
            return handler
        presented = _presented(handler_call_details.invocation_metadata).encode()
        if hmac.compare_digest(presented, self._expected):
            return handler
        return _refusal(handler, presented)


def _refusal(handler: grpc.RpcMethodHandler, presented: bytes) -> grpc.RpcMethodHandler:
    detail = (
        "wrong internal secret"
        if presented
        else "this is an internal service: calls must carry the internal secret "
        "(metadata authorization: Internal <TRADEWIND_INTERNAL_SECRET>)"
    )

    async def refuse(request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, detail)

    async def refuse_stream(request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, detail)
        yield  # pragma: no cover - a generator, as a streaming handler must be

    kinds = {
        (False, False): grpc.unary_unary_rpc_method_handler,
        (False, True): grpc.unary_stream_rpc_method_handler,
        (True, False): grpc.stream_unary_rpc_method_handler,
        (True, True): grpc.stream_stream_rpc_method_handler,
    }
    make = kinds[(handler.request_streaming, handler.response_streaming)]
    return make(
        refuse_stream if handler.response_streaming else refuse,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


class _Carry:
    """Adds the secret to the metadata of each outgoing call."""

    def __init__(self, secret: str) -> None:
        self._header = _header(secret)

    def _details(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        metadata.add(*self._header)
        return grpc.aio.ClientCallDetails(
            details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
        )


class _CarryUnaryUnary(_Carry, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation, client_call_details, request):
        return await continuation(self._details(client_call_details), request)


class _CarryUnaryStream(_Carry, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation, client_call_details, request):
        return await continuation(self._details(client_call_details), request)


def client_interceptors(secret: Secret | None) -> list[grpc.aio.ClientInterceptor]:
    """What a channel to an internal service needs to be let in; nothing for None (a
    channel only for health checks or the public API)."""
    if secret is None:
        return []
    value = secret_value(secret)
    return [_CarryUnaryUnary(value), _CarryUnaryStream(value)]
