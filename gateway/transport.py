"""The HTTP server's limits against slow or idle clients (slowloris): uvicorn's h11 protocol with read deadlines.

uvicorn bounds an idle keep-alive connection (``timeout_keep_alive``) but not the time a client takes to send a
request. From the moment the server waits for a request, the head must be complete within ``header_seconds`` and
then the body within ``body_seconds``, or the connection is closed unanswered. It relies on uvicorn internals, so
it runs only on the uvicorn versions it was tested with (``TESTED_UVICORN``; run tests/gateway/test_transport.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from gateway.http import BUSY_MESSAGE, json_error
from gateway.logconfig import RejectionLog
from gateway.settings import Settings

# uvicorn versions whose H11Protocol internals (conn, transport, connections, tasks, app, limit_concurrency, the
# handle_events / on_response_complete hooks) this module was tested against.
TESTED_UVICORN = ("0.54.",)
# The largest request head accepted (h11's own default, made explicit): a longer one is a 400.
MAX_HEAD_BYTES = 16 * 1024
# What a client turned away for lack of connections is told to wait.
FULL_RETRY_AFTER_SECONDS = 5


class UnsupportedServer(RuntimeError):
    """The installed uvicorn is not a version the read timeouts were tested with."""


def check_uvicorn(version: str = uvicorn.__version__) -> None:
    """Refuse an untested uvicorn: the subclass below depends on its internals."""
    if not version.startswith(TESTED_UVICORN):
        raise UnsupportedServer(
            f"uvicorn {version} is not a version the gateway's read timeouts were tested with "
            f"({', '.join(v + 'x' for v in TESTED_UVICORN)}); run tests/gateway/test_transport.py against it and add "
            "it to TESTED_UVICORN in gateway/transport.py"
        )


def server_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of ``uvicorn.run`` for the gateway's transport limits."""
    check_uvicorn()
    # Refused in a flood many times a second: one summary line a minute.
    refusals = RejectionLog("request refused: connection limit (GATEWAY_MAX_CONNECTIONS) reached")

    class TimedH11Protocol(H11Protocol):
        """uvicorn's h11 protocol closing connections whose request head or body is late.

        Beyond GATEWAY_MAX_CONNECTIONS open connections (or requests being handled) a request gets a JSON 503
        instead of uvicorn's plain-text one.
        """

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # uvicorn's own limit answers in plain text; the same check runs in _limited_app with a JSON answer.
            self.limit_concurrency = None
            self._inner_app = self.app
            self.app = self._limited_app
            self._phase: str | None = None
            self._timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._follow()

        def connection_lost(self, exc: Exception | None) -> None:
            self._follow()  # the transport is closing: no more deadline
            super().connection_lost(exc)

        def handle_events(self) -> None:
            super().handle_events()
            self._follow()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._follow()

        def _follow(self) -> None:
            """Time what the client owes us now: a head while h11 waits for one (IDLE), a body while SEND_BODY."""
            open_ = self.transport is not None and not self.transport.is_closing()
            state = self.conn.their_state if open_ else None
            phase = "head" if state is h11.IDLE else "body" if state is h11.SEND_BODY else None
            if phase == self._phase:
                return  # more bytes of the same head or body never extend its deadline
            if self._timer is not None:
                self._timer.cancel()
            self._phase = phase
            seconds = settings.header_timeout_seconds if phase == "head" else settings.body_timeout_seconds
            # Late: the connection is closed unanswered.
            self._timer = self.loop.call_later(seconds, self.transport.close) if phase is not None else None

        async def _limited_app(self, scope: Any, receive: Any, send: Any) -> None:
            # h11 bounds only a head still incomplete in its buffer; one that arrived whole in a single read is
            # measured here, so the bound holds however the bytes were delivered.
            if _head_size(scope) > MAX_HEAD_BYTES:
                await json_error(
                    431, "headers_too_large", "リクエストが大きすぎます。", headers={"Connection": "close"}
                )(scope, receive, send)
                return
            # The current request's task is already in self.tasks (uvicorn checks before adding it).
            if len(self.connections) >= settings.max_connections or len(self.tasks) > settings.max_connections:
                refusals.record()
                headers = {"Retry-After": str(FULL_RETRY_AFTER_SECONDS), "Connection": "close"}
                await json_error(503, "busy", BUSY_MESSAGE, headers=headers)(scope, receive, send)
            else:
                await self._inner_app(scope, receive, send)

    return {
        "http": TimedH11Protocol,
        # The gateway serves no websockets: an upgrade request is answered as plain HTTP.
        "ws": "none",
        "timeout_keep_alive": settings.keepalive_timeout_seconds,
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
    }


def _head_size(scope: Any) -> int:
    """About the size of the request head: request line and header lines as sent."""
    target = len(scope.get("raw_path", b"")) + len(scope.get("query_string", b"")) + len(scope.get("method", ""))
    return target + sum(len(name) + len(value) + 4 for name, value in scope.get("headers", []))
