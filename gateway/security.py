"""One ASGI middleware for the gateway's request checks and security headers: Host, Origin (CORS), CSP."""

from __future__ import annotations

import ipaddress

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.http import json_error

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# The paths a web page on another site could drive; the Origin allowlist (CORS) guards them.
API_PREFIX = "/api/"


def host_name(header: str | None) -> str | None:
    """The name part of a ``Host`` header, lower-case, without port; None when missing or malformed."""
    if not header:
        return None
    value = header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0 or (value[end + 1 :] and not value[end + 1 :].startswith(":")):
            return None
        name, port = value[: end + 1], value[end + 2 :]
    else:
        name, _, port = value.partition(":")
    if port and not port.isdigit():
        return None
    name = name.rstrip(".")
    if not name or any(ch in name for ch in "/@ \\?#*"):
        return None
    return name


def host_allowed(header: str | None, allowed: frozenset[str]) -> bool:
    """Whether the ``Host`` header names one of the configured hosts (any port) or is an IP address.

    An IP address cannot be forged from a browser: a page sends ``Host: 192.0.2.1`` only when it connects to
    192.0.2.1 itself. A name can (DNS rebinding points ``evil.example`` at the gateway), so names must be listed.
    """
    name = host_name(header)
    if name is None or name in allowed:
        return name is not None
    try:
        ipaddress.ip_address(name[1:-1] if name.startswith("[") else name)
    except ValueError:
        return False
    return True


class SecurityMiddleware:
    """Unknown ``Host``: JSON 400; a foreign ``Origin`` on the API: 403 before any work; then the usual headers.

    Allowed origins get CORS headers (and their preflights a 204); every response gets nosniff and no-referrer,
    HTML also a CSP that forbids inline script.
    """

    def __init__(self, app: ASGIApp, hosts: frozenset[str], origins: frozenset[str]) -> None:
        """``hosts`` and ``origins`` hold lower-case names and exact origins (ALLOWED_HOSTS, ALLOWED_ORIGINS)."""
        self._app = app
        self._hosts = hosts
        self._origins = origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request, answer refusals and preflights, and decorate the response as it starts."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        # Browsers always send Origin on cross-site POSTs; a client without one is not a web page we must police.
        origin = headers.get("origin") if scope["path"].startswith(API_PREFIX) else None
        cors = {"access-control-allow-origin": origin, "vary": "Origin"} if origin is not None else {}
        app: ASGIApp = self._app
        if not host_allowed(headers.get("host"), self._hosts):
            app, cors = json_error(400, "invalid_host", "このURLではご利用いただけません。"), {}
        elif origin is not None and not self._origin_allowed(origin, scope, headers):
            app = json_error(403, "origin_not_allowed", "このサイトからはご利用いただけません。", {"Vary": "Origin"})
            cors = {}
        elif origin is not None and scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            preflight = {"access-control-allow-methods": "POST, DELETE", "access-control-allow-headers": "Content-Type"}
            app = Response(status_code=204, headers={**preflight, "access-control-max-age": "600"})

        async def send_decorated(message: Message) -> None:
            """Add the security (and CORS) headers to the response start message."""
            if message["type"] == "http.response.start":
                mutable = MutableHeaders(scope=message)
                mutable.setdefault("x-content-type-options", "nosniff")
                mutable.setdefault("referrer-policy", "no-referrer")
                if mutable.get("content-type", "").startswith("text/html"):
                    mutable.setdefault("content-security-policy", PAGE_CSP)
                    mutable.setdefault("x-frame-options", "DENY")
                for key, value in cors.items():
                    mutable[key] = value
            await send(message)

        await app(scope, receive, send_decorated)

    def _origin_allowed(self, origin: str, scope: Scope, headers: Headers) -> bool:
        normalised = origin.strip().rstrip("/").lower()
        if normalised in self._origins:
            return True
        # The Host header is the client's word: it names the gateway's own origin only if it is a configured host
        # (checked above, before this runs).
        return normalised == f"{scope.get('scheme', 'http')}://{headers.get('host')}".lower()
