"""Keeps a task's secrets out of its log, as Airflow's secrets masker does: every value
the task was given under a name that looks sensitive (an `env` variable, an http
header, a keyword argument) is replaced by `***` in each line before the line leaves the
worker. The rendered value is masked, as the task sees it, and the raw one too."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from tradewind_worker.templating import render

MASK = "***"
# Airflow's DEFAULT_SENSITIVE_FIELDS: a name containing any of these (any case) hides its
# value.
SENSITIVE_NAMES = (
    "access_token",
    "api_key",
    "apikey",
    "authorization",
    "passphrase",
    "passwd",
    "password",
    "private_key",
    "secret",
    "token",
    "keyfile_dict",
    "service_account",
)
# Shorter values are not masked (Airflow's min_length_masked_secret): hiding every "1" or
# "dev" would hide the log, not the secret.
MIN_LENGTH = 5


def is_sensitive(name: str) -> bool:
    lowered = name.lower().replace("-", "_")
    return any(word in lowered for word in SENSITIVE_NAMES)


def _leaves(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield str(value)


def _sensitive_values(value: Any) -> Iterable[str]:
    """The values under sensitive names, at any depth."""
    if isinstance(value, Mapping):
        for name, item in value.items():
            if isinstance(name, str) and is_sensitive(name):
                yield from _leaves(item)
            else:
                yield from _sensitive_values(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _sensitive_values(item)


def task_secrets(task: Any, context: dict[str, Any]) -> set[str]:
    """What to hide of one task: its sensitive `env`, `headers` and keyword arguments."""
    found: set[str] = set()
    fields = {name: getattr(task, name, None) for name in ("env", "headers", "op_kwargs", "data")}
    for raw in _sensitive_values(fields):
        found.add(raw)
        try:
            found.add(render(raw, context))
        except Exception:  # noqa: BLE001 - a template that fails here fails the task anyway
            pass
    return found


class SecretsMasker:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        pieces: set[str] = set()
        for secret in secrets:
            # A log is read line by line: a secret of several lines shows line by line.
            for piece in [secret, *secret.splitlines()]:
                piece = piece.strip()
                if len(piece) >= MIN_LENGTH:
                    pieces.add(piece)
        # Longest first, so a secret containing another is hidden whole.
        ordered = sorted(pieces, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __bool__(self) -> bool:
        return self._pattern is not None

    def mask(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(MASK, text)
