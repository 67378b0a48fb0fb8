"""Secrets at rest: connection passwords and extras and variable values are encrypted with
Fernet before they are stored, and masked in every answer.

Keys come from TRADEWIND_FERNET_KEY (comma-separated: the first encrypts, all decrypt, so
a key is rotated by putting the new one first and re-encrypting; see `rotate`). Unset, a
key is read from `fernet.key` under TRADEWIND_HOME, and made there on first start."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from tradewind_api.key_files import key_from_home
from tradewind_api.settings import ApiSettings

# What Airflow shows instead of a secret.
MASK = "***"
# Keys whose values are hidden in answers (Airflow's list of sensitive names).
_SENSITIVE = re.compile(
    r"access_token|api_key|apikey|authorization|passphrase|passwd|password|private_key|"
    r"secret|token|keyfile_dict|service_account|credential",
    re.IGNORECASE,
)
KEY_FILE = "fernet.key"


class SecretsError(RuntimeError):
    """A stored secret cannot be decrypted with any configured key."""


def looks_secret(name: str) -> bool:
    return bool(_SENSITIVE.search(name))


def mask_spec(value: Any, key: str = "") -> Any:
    """A DAG spec as people may see it: the value of every secret-looking key (an `env`
    entry `API_KEY`, a `password` in `op_kwargs`…) replaced by the mask, at any depth."""
    if isinstance(value, dict):
        return {k: mask_spec(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_spec(v, key) for v in value]
    if key and looks_secret(key) and isinstance(value, str | int | float) and value != "":
        return MASK
    return value


def mask_extra(extra: str | None) -> str | None:
    """A connection's extra (JSON) with the values of secret-looking keys masked, at any
    depth; extra that is not a JSON object is masked whole."""
    if extra is None or extra == "":
        return extra
    try:
        parsed = json.loads(extra)
    except ValueError:
        return MASK
    if not isinstance(parsed, dict):
        return MASK
    return json.dumps(_mask(parsed))


def _mask(value: Any, key: str = "") -> Any:
    if key and looks_secret(key) and value not in (None, ""):
        return MASK
    if isinstance(value, dict):
        return {k: _mask(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


class SecretBox:
    """Encrypts and decrypts with the configured keys."""

    def __init__(self, keys: list[str]) -> None:
        self._fernet = MultiFernet([Fernet(k) for k in keys])

    @classmethod
    def from_settings(cls, settings: ApiSettings) -> SecretBox:
        if settings.fernet_key is not None:
            raw = settings.fernet_key.get_secret_value()
            return cls([k.strip() for k in raw.split(",") if k.strip()])
        return cls([_key_from_home(settings.home)])

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretsError(
                "a stored secret cannot be decrypted with any key in TRADEWIND_FERNET_KEY"
            ) from None

    def rotate(self, token: str) -> str:
        """The same secret, encrypted with the first key."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise SecretsError(
                "a stored secret cannot be decrypted with any key in TRADEWIND_FERNET_KEY"
            ) from None


def _key_from_home(home: Path) -> str:
    return key_from_home(home, KEY_FILE, lambda: Fernet.generate_key().decode())
