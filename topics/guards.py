"""ASGI middleware that guards the service before a request reaches its routes.

- :class:`BodyLimit` refuses bodies over a size (413) and requests framed two ways at once (400).
- :class:`WriteGate` checks the bearer token of write requests first, so an unauthenticated client
  learns nothing about the body it sent (401 before any 422).
- :class:`HeadAsGet` answers ``HEAD`` on every ``GET`` route, with the headers and no body.
- Host checks against DNS rebinding are Starlette's ``TrustedHostMiddleware`` (see :func:`allowed_hosts`).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException
from fastapi.responses import JSONResponse

Scope = dict[str, Any]
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def _refuse(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, counting the bytes as they arrive, so neither
    a chunked body nor a wrong Content-Length gets more through, and nothing larger is buffered; refuse
    a request with both Content-Length and Transfer-Encoding (request smuggling) with 400."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    def _refusal(self) -> HTTPException:
        return HTTPException(413, f"request body over {self.limit} bytes; send smaller batches")

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if b"content-length" in headers and b"transfer-encoding" in headers:
            await _refuse(400, "the request has both Content-Length and Transfer-Encoding; send one")(
                scope, receive, send)
            return
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.limit:
            await _refuse(413, self._refusal().detail)(scope, receive, send)
            return
        seen = 0

        async def counted() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise self._refusal()
            return message

        await self.app(scope, counted, send)


class WriteGate:
    """Answer 401 to requests that ``protected(scope)`` calls writes unless they carry the bearer token."""

    def __init__(self, app: Any, token: str | None, protected: Callable[[Scope], bool]) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode() if token is not None else None
        self.protected = protected

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if self.expected is not None and scope["type"] == "http" and self.protected(scope):
            given = dict(scope["headers"]).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                await _refuse(401, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"})(
                    scope, receive, send)
                return
        await self.app(scope, receive, send)


class HeadAsGet:
    """Serve ``HEAD`` as ``GET`` without the body, so every readable URL answers a ``HEAD``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body"):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_hosts(bind: str, given: str | None) -> list[str]:
    """The Host header values to accept: those ``given`` (comma-separated), else the loopback names
    when the service is bound to a loopback address (so a rebound DNS name cannot reach it), else any."""
    if given:
        return [h.strip() for h in given.split(",") if h.strip()]
    return [*LOOPBACK_NAMES, "[::1]"] if _is_loopback(bind) else ["*"]
