"""`/api/v2/version` and `/api/v2/config`: what is running and how it is configured, with
every secret (keys, passwords in URLs) redacted."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, SecretStr

from tradewind_api.context import AppContext, get_context
from tradewind_api.secrets import looks_secret
from tradewind_core.errors import NotFound

router = APIRouter(prefix="/api/v2")
Ctx = Annotated[AppContext, Depends(get_context)]
# What Airflow shows in place of a secret configuration value.
HIDDEN = "< hidden >"
SECTION = "tradewind"


class VersionInfo(BaseModel):
    version: str
    git_version: str | None = None


class ConfigOption(BaseModel):
    key: str
    value: str


class ConfigSection(BaseModel):
    name: str
    options: list[ConfigOption]


class Config(BaseModel):
    sections: list[ConfigSection]


def _version() -> str:
    try:
        return version("tradewind-api")
    except PackageNotFoundError:  # running from a source tree without metadata
        return "0+unknown"


@router.get(
    "/version",
    operation_id="get_version",
    tags=["Version"],
    summary="The running version",
    response_model=VersionInfo,
)
async def get_version() -> VersionInfo:
    return VersionInfo(version=_version())


def _redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:{HIDDEN}@{host}"))


def _options(ctx: AppContext) -> list[ConfigOption]:
    options = []
    for name in sorted(type(ctx.settings).model_fields):
        value = getattr(ctx.settings, name)
        if isinstance(value, SecretStr) or looks_secret(name) or name.endswith("_key"):
            shown = HIDDEN if value is not None else ""
        elif value is None:
            shown = ""
        elif name.endswith("_url"):
            shown = _redact_url(str(value))
        else:
            shown = str(value)
        options.append(ConfigOption(key=name, value=shown))
    return options


def _as_text(config: Config) -> str:
    lines = []
    for section in config.sections:
        lines.append(f"[{section.name}]")
        lines.extend(f"{o.key} = {o.value}" for o in section.options)
        lines.append("")
    return "\n".join(lines)


@router.get(
    "/config",
    operation_id="get_config",
    tags=["Config"],
    summary="The api's configuration (TRADEWIND_* settings), secrets redacted",
    description="JSON, or the ini-style text Airflow gives with `Accept: text/plain`.",
    response_model=Config,
    responses={200: {"content": {"text/plain": {}}}, 404: {"description": "No such section"}},
)
async def get_config(
    ctx: Ctx,
    request: Request,
    section: Annotated[str | None, Query(max_length=100)] = None,
):
    if section is not None and section != SECTION:
        raise NotFound(f"Section {section} not found.")
    config = Config(sections=[ConfigSection(name=SECTION, options=_options(ctx))])
    if "text/plain" in request.headers.get("accept", ""):
        return PlainTextResponse(_as_text(config))
    return config


@router.get(
    "/config/section/{section}/option/{option}",
    operation_id="get_config_value",
    tags=["Config"],
    summary="One configuration option, secrets redacted",
    response_model=Config,
)
async def get_config_value(section: str, option: str, ctx: Ctx) -> Config:
    if section != SECTION:
        raise NotFound(f"Section {section} not found.")
    for item in _options(ctx):
        if item.key == option:
            return Config(sections=[ConfigSection(name=SECTION, options=[item])])
    raise NotFound(f"Option [{section}/{option}] not found.")
