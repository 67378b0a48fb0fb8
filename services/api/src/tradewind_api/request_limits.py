"""What a request body must be before any route parses it: a media type the API reads,
no larger than the configured cap, and not nested deeper than any real document is.

Checked at the door, in one middleware, so every route gets the same answers: 415 for a
body that is not JSON (or YAML, which the DAG route reads), 413 for one over the cap
(refused from its Content-Length before a byte is read, or as soon as the stream passes
the cap), 422 for nesting that would exhaust the parser's recursion, and 422 for a NUL
character anywhere (path, query or body): no text column can store one.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tradewind_api.problems import problem

JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")
# Deeper than any DAG spec, conf or body a person writes; far below the parsers' limits.
MAX_NESTING = 64
_METHODS_WITH_BODY = {"POST", "PUT", "PATCH"}


class RequestLimits:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = nul_in_url(scope)
        if where is not None:
            await _nul_refused(where)(scope, receive, send)
            return
        if scope["method"] not in _METHODS_WITH_BODY:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            await self._too_large(scope, receive, send)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_body_bytes:
                await self._too_large(scope, receive, send)
                return
        if body:
            media_type = headers.get("content-type", "").split(";")[0].strip().lower()
            allowed = (*JSON_TYPES, *YAML_TYPES)
            if media_type not in allowed and not media_type.endswith("+json"):
                shown = media_type or "no Content-Type"
                await problem(
                    415,
                    "Unsupported Media Type",
                    f"the request body is {shown}; send application/json"
                    + (" or application/yaml" if _reads_yaml(scope) else ""),
                )(scope, receive, send)
                return
            if b"\x00" in body or _JSON_NUL.search(body):
                await _nul_refused("body")(scope, receive, send)
                return
            depth = nesting_depth(bytes(body))
            if depth > MAX_NESTING:
                await problem(
                    422,
                    "Invalid request",
                    f"the request body is nested {depth} levels deep; at most {MAX_NESTING}",
                )(scope, receive, send)
                return
        await self.app(scope, replay_body(bytes(body)), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await problem(
            413,
            "Content Too Large",
            f"the request body is larger than {self.max_body_bytes} bytes "
            "(TRADEWIND_API_MAX_BODY_BYTES)",
        )(scope, receive, send)


# \u0000 as a JSON escape, not preceded by an escaping backslash.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def nul_in_url(scope: Scope) -> str | None:
    """Where the URL carries a NUL character: `path`, or `query.<name>`."""
    if "\x00" in scope["path"]:
        return "path"
    query = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                return f"query.{name.replace(chr(0), '')}"
        if b"\x00" in unquote_to_bytes(query):
            return "query"
    return None


def _nul_refused(where: str):  # noqa: ANN202
    return problem(
        422,
        "Invalid request",
        f"{where}: contains a NUL character (\\u0000), which cannot be stored",
        [
            {
                "loc": where.split(".", 1),
                "msg": "contains a NUL character",
                "type": "nul_character",
                "field": where,
            }
        ],
    )


def _reads_yaml(scope: Scope) -> bool:
    return scope["path"].rstrip("/").endswith("/dags")


def replay_body(body: bytes) -> Receive:
    """A `receive` that hands the app a body already read."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


_SIGNIFICANT = re.compile(rb"[\"'\\\[\]{}]")


def nesting_depth(body: bytes) -> int:
    """The deepest nesting of brackets and braces outside strings (JSON, and YAML's flow
    style; block-style YAML nesting is caught where YAML is parsed). Linear, looks only at
    quotes, backslashes and brackets, and never recurses, so it is safe on any input."""
    depth = deepest = 0
    quote = 0  # the quote character of the string we are in, 0 outside strings
    escaped_at = -1  # a position a backslash escapes
    for match in _SIGNIFICANT.finditer(body):
        at = match.start()
        byte = body[at]
        if quote:
            if at == escaped_at:
                continue
            if byte == 0x5C and quote == 0x22:  # backslash escapes inside "..." only
                escaped_at = at + 1
            elif byte == quote:
                quote = 0
        elif byte in (0x22, 0x27):  # " or '
            quote = byte
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth = max(0, depth - 1)
    return deepest
