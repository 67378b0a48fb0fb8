"""Signing in: an httpx authentication that trades a username and password for an access
token at `/auth/token` (once, and again when the token expires), and the gRPC metadata
that carries a token."""

from __future__ import annotations

import collections
import threading
from collections.abc import Generator

import grpc
import httpx

TOKEN_PATH = "/auth/token"


class PasswordAuth(httpx.Auth):
    """`httpx.Client(auth=PasswordAuth("admin", "…"))`: every request carries a bearer
    token, fetched from the same server's `/auth/token` when needed and refreshed once on a
    401. Works with sync and async clients alike."""

    def __init__(self, username: str, password: str) -> None:
        self._login = {"username": username, "password": password}
        self._token: str | None = None
        self._lock = threading.Lock()

    def _token_request(self, request: httpx.Request) -> httpx.Request:
        url = request.url.copy_with(path=TOKEN_PATH, query=None)
        return httpx.Request("POST", url, json=self._login)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        for fresh in (False, True):
            if self._token is None or fresh:
                answer = yield self._token_request(request)
                if answer.status_code != 201:
                    # Let the caller see the server's own refusal (wrong password, …).
                    yield request
                    return
                with self._lock:
                    self._token = answer.json()["access_token"]
            request.headers["Authorization"] = f"Bearer {self._token}"
            response = yield request
            if response.status_code != 401:
                return

    # Only the token's answer is read here: the caller's own answers stay streamed (an
    # event stream never ends, so reading it first would never return).
    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        flow = self.auth_flow(request)
        request = next(flow)
        while True:
            response = yield request
            if response.request.url.path == TOKEN_PATH:
                response.read()
            try:
                request = flow.send(response)
            except StopIteration:
                return

    async def async_auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def, override]
        flow = self.auth_flow(request)
        request = next(flow)
        while True:
            response = yield request
            if response.request.url.path == TOKEN_PATH:
                await response.aread()
            try:
                request = flow.send(response)
            except StopIteration:
                return


def bearer_metadata(token: str) -> tuple[tuple[str, str], ...]:
    """gRPC call metadata carrying an access token or API token."""
    return (("authorization", f"Bearer {token}"),)


class BearerInterceptor(
    grpc.UnaryUnaryClientInterceptor,  # type: ignore[misc]
    grpc.UnaryStreamClientInterceptor,  # type: ignore[misc]
):
    """Adds `authorization: Bearer <token>` to every call made through a channel."""

    def __init__(self, token: str) -> None:
        self._metadata = bearer_metadata(token)

    def _with_token(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        return _CallDetails(
            details.method,
            details.timeout,
            (*(details.metadata or ()), *self._metadata),
            details.credentials,
            getattr(details, "wait_for_ready", None),
            getattr(details, "compression", None),
        )

    def intercept_unary_unary(self, continuation, details, request):  # type: ignore[no-untyped-def]
        return continuation(self._with_token(details), request)

    def intercept_unary_stream(self, continuation, details, request):  # type: ignore[no-untyped-def]
        return continuation(self._with_token(details), request)


class _CallDetails(
    collections.namedtuple(
        "_CallDetails",
        ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression"),
    ),
    grpc.ClientCallDetails,  # type: ignore[misc]
):
    pass


class _AioBearer:
    def __init__(self, token: str) -> None:
        self._metadata = bearer_metadata(token)

    def _with_token(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        return grpc.aio.ClientCallDetails(
            details.method,
            details.timeout,
            grpc.aio.Metadata(*(details.metadata or ()), *self._metadata),
            details.credentials,
            details.wait_for_ready,
        )


class _AioUnaryBearer(_AioBearer, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation, details, request):  # type: ignore[no-untyped-def]
        return await continuation(self._with_token(details), request)


class _AioStreamBearer(_AioBearer, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation, details, request):  # type: ignore[no-untyped-def]
        return await continuation(self._with_token(details), request)


def aio_bearer_interceptors(token: str) -> list[grpc.aio.ClientInterceptor]:
    """For asyncio channels: `grpc.aio.insecure_channel(address,
    interceptors=aio_bearer_interceptors(token))`. Two objects, because a channel files
    each interceptor under one kind of call only."""
    return [_AioUnaryBearer(token), _AioStreamBearer(token)]
