"""gRPC status codes as exceptions a caller can catch by meaning."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import grpc


class TradewindError(Exception):
    """The API refused or failed a call; `detail` is its message, `code` its status."""

    def __init__(self, code: grpc.StatusCode, detail: str) -> None:
        super().__init__(f"{code.name}: {detail}")
        self.code = code
        self.detail = detail


class NotFoundError(TradewindError):
    pass


class AlreadyExistsError(TradewindError):
    pass


class InvalidArgumentError(TradewindError):
    """The request is malformed; `detail` names the field."""


class ConflictError(TradewindError):
    """The request is well formed but the current state forbids it."""


class UnavailableError(TradewindError):
    """Tradewind (or a service behind it) is not reachable now; worth retrying."""


class ResourceExhaustedError(TradewindError):
    """A bound was reached (a watcher that read too slowly); worth retrying."""


_BY_CODE: dict[grpc.StatusCode, type[TradewindError]] = {
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.FAILED_PRECONDITION: ConflictError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
    grpc.StatusCode.DEADLINE_EXCEEDED: UnavailableError,
}


@contextlib.contextmanager
def translated() -> Iterator[None]:
    try:
        yield
    except grpc.RpcError as exc:
        code: grpc.StatusCode = exc.code()  # type: ignore[attr-defined]
        detail: str = exc.details() or code.name  # type: ignore[attr-defined]
        raise _BY_CODE.get(code, TradewindError)(code, detail) from None
