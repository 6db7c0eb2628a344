"""Exact-origin allowlist (CORS) for the chat API: a page on any other site cannot drive a conversation."""

from __future__ import annotations

import json

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.hosts import host_allowed

_FORBIDDEN = json.dumps(
    {"error": "origin_not_allowed", "message": "このサイトからはご利用いただけません。"}, ensure_ascii=False
).encode()


class OriginAllowlist:
    """ASGI middleware for paths under ``prefix``: allowed origins get CORS headers, others a 403 before any work."""

    def __init__(
        self, app: ASGIApp, allowed: frozenset[str], hosts: frozenset[str] = frozenset(), prefix: str = "/api/"
    ) -> None:
        """``allowed`` holds exact lower-case origins; the gateway's own origin (on a configured host) is allowed."""
        self._app = app
        self._allowed = allowed
        self._hosts = hosts
        self._prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the Origin header, answer preflights, and decorate allowed responses."""
        if scope["type"] != "http" or not scope["path"].startswith(self._prefix):
            await self._app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            # Browsers always send Origin on cross-site POSTs; a client without one is not a web page we must police.
            await self._app(scope, receive, send)
            return
        if not self._is_allowed(origin, scope, headers):
            await self._respond(send, 403, _FORBIDDEN, {"content-type": "application/json", "vary": "Origin"})
            return
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._respond(
                send,
                204,
                b"",
                self._cors_headers(origin)
                | {
                    "access-control-allow-methods": "POST, DELETE",
                    "access-control-allow-headers": "Content-Type",
                    "access-control-max-age": "600",
                },
            )
            return

        async def send_with_cors(message: Message) -> None:
            """Add the CORS headers to the response start message."""
            if message["type"] == "http.response.start":
                mutable = MutableHeaders(scope=message)
                for key, value in self._cors_headers(origin).items():
                    mutable[key] = value
            await send(message)

        await self._app(scope, receive, send_with_cors)

    def _is_allowed(self, origin: str, scope: Scope, headers: Headers) -> bool:
        normalised = origin.strip().rstrip("/").lower()
        if normalised in self._allowed:
            return True
        host = headers.get("host")
        # The Host header is the client's word: it names the gateway's own origin only if it is a configured host.
        if not host or not host_allowed(host, self._hosts):
            return False
        own = f"{scope.get('scheme', 'http')}://{host}".lower()
        return normalised == own

    @staticmethod
    def _cors_headers(origin: str) -> dict[str, str]:
        return {"access-control-allow-origin": origin, "vary": "Origin"}

    @staticmethod
    async def _respond(send: Send, status: int, body: bytes, headers: dict[str, str]) -> None:
        raw = [(k.encode(), v.encode()) for k, v in headers.items()] + [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})
