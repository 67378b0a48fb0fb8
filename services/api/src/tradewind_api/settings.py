from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from tradewind_core.settings import CommonSettings


class ApiSettings(CommonSettings):
    api_host: str = Field(default="127.0.0.1", description="Interface the REST API binds.")
    api_port: int = Field(default=8080, ge=1, le=65535)
    api_max_conf_bytes: int = Field(
        default=1024 * 1024,
        gt=0,
        le=16 * 1024 * 1024,
        description="The largest `conf` a DAG run may be triggered with (bytes of JSON); "
        "every task of the run carries it.",
    )
    api_scheduler_heartbeat_timeout: float = Field(
        default=30.0, gt=0, description="A scheduler heartbeat older than this is unhealthy."
    )
    api_max_body_bytes: int = Field(
        default=4 * 1024 * 1024,
        ge=1024,
        le=256 * 1024 * 1024,
        description="Largest request body accepted; larger ones are refused (413) unread.",
    )
    api_stream_max_seconds: float = Field(
        default=3600.0,
        gt=0,
        le=86400,
        description="Longest a live stream (gRPC WatchDagRun and StreamTaskLogs, the REST "
        "event stream) stays open; the client then watches again.",
    )
    api_watch_poll_interval: float = Field(
        default=0.5,
        gt=0,
        le=60,
        description="How often the api reads the state of each watched run or DAG from the "
        "scheduler (once per interval however many clients watch it).",
    )
    api_watch_queue_limit: int = Field(
        default=1000,
        ge=10,
        le=100_000,
        description="State changes kept for one watcher that does not read; past this the "
        "watcher is dropped (it watches again and gets the current state).",
    )
    api_max_watched: int = Field(
        default=1000,
        ge=1,
        le=100_000,
        description="Runs and DAGs watched at once by one api process (and, apart, task "
        "logs followed over gRPC); more are refused (503 / UNAVAILABLE) until some end.",
    )
    api_sse_heartbeat_seconds: float = Field(
        default=15.0,
        gt=0,
        le=300,
        description="How often an idle event stream sends a comment line, so proxies keep it "
        "open and a lost client is noticed.",
    )
    fernet_key: SecretStr | None = Field(
        default=None,
        description="Fernet key(s) that encrypt connection passwords and extras and variable "
        "values at rest: comma-separated, the first encrypts, every one decrypts (add the new "
        "key first, run `tradewind rotate-fernet-key`, then drop the old one). Unset: a key "
        "kept in fernet.key under home, made on first start. Every api replica needs the same.",
    )

    jwt_secret: SecretStr | None = Field(
        default=None,
        description="Key that signs users' access tokens (HS256; at least 32 characters). "
        "Every api replica needs the same. Unset: a key kept in jwt.key under home, made on "
        "first start. Changing it signs everybody out.",
    )
    api_access_token_seconds: int = Field(
        default=86400,
        ge=60,
        le=30 * 86400,
        description="How long an access token from /auth/token or a dashboard sign-in lasts.",
    )
    admin_password: SecretStr | None = Field(
        default=None,
        description="Password of the `admin` user made on first start (when no user exists). "
        "Unset: a random one is made and printed once. Never read again after that start.",
    )
    api_cookie_secure: bool | None = Field(
        default=None,
        description="Mark the dashboard's session cookie Secure (sent over https only). "
        "Unset: Secure when the request came over https (as seen by the api, or in "
        "X-Forwarded-Proto from a trusted proxy).",
    )

    @field_validator("jwt_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (e.g. `openssl rand -hex 32`)")
        return value

    @field_validator("fernet_key")
    @classmethod
    def _valid_fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        from cryptography.fernet import Fernet

        keys = [k.strip() for k in value.get_secret_value().split(",") if k.strip()]
        if not keys:
            raise ValueError("no key given")
        for position, key in enumerate(keys, 1):
            try:
                Fernet(key)
            except ValueError:
                # Never echo the key itself: it is a secret even when malformed.
                raise ValueError(
                    f"key {position} is not a Fernet key (32 url-safe base64-encoded bytes)"
                ) from None
        return value
