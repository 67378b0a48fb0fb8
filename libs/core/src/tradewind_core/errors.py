"""Domain errors: they carry their meaning, and each transport maps them once
(HTTP problem responses in the api, gRPC status codes in servicers)."""

from __future__ import annotations


class TradewindError(Exception):
    """Base of the errors a caller can act on."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(TradewindError):
    pass


class AlreadyExists(TradewindError):
    pass


class InvalidArgument(TradewindError):
    pass


class Conflict(TradewindError):
    """The request is well formed but the current state forbids it."""


class Unavailable(TradewindError):
    """A service this one depends on did not answer."""


class Unauthenticated(TradewindError):
    """No credential, or one that is expired, revoked or forged."""


class PermissionDenied(TradewindError):
    """A known caller asked for something its role does not allow."""
