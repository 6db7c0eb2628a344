"""``Host`` header check: only the names the gateway is configured to serve, so a forged Host cannot pass as it."""

from __future__ import annotations

import ipaddress
import json

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

_REFUSED = json.dumps(
    {"error": "invalid_host", "message": "このURLではご利用いただけません。"}, ensure_ascii=False
).encode()


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


def _is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name[1:-1] if name.startswith("[") else name)
    except ValueError:
        return False
    return True


def host_allowed(header: str | None, allowed: frozenset[str]) -> bool:
    """Whether the ``Host`` header names one of the configured hosts (any port) or is an IP address.

    An IP address cannot be forged from a browser: a page sends ``Host: 192.0.2.1`` only when it connects to
    192.0.2.1 itself. A name can (DNS rebinding points ``evil.example`` at the gateway), so names must be listed.
    """
    name = host_name(header)
    return name is not None and (name in allowed or _is_ip_literal(name))


class TrustedHosts:
    """ASGI middleware: a request whose ``Host`` is not configured gets a JSON 400 before anything else runs."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str]) -> None:
        """``allowed`` holds lower-case host names (``ALLOWED_HOSTS``)."""
        self._app = app
        self._allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse unknown hosts; pass everything else on."""
        if scope["type"] != "http" or host_allowed(Headers(scope=scope).get("host"), self._allowed):
            await self._app(scope, receive, send)
            return
        headers = [
            (b"content-type", b"application/json"),
            (b"cache-control", b"no-store"),
            (b"content-length", str(len(_REFUSED)).encode()),
        ]
        await send({"type": "http.response.start", "status": 400, "headers": headers})
        await send({"type": "http.response.body", "body": _REFUSED})
