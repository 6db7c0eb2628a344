"""Builds the gateway's ASGI application from its settings: routes, middleware and lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import cast

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from gateway.http import NO_STORE, ApiError, json_error
from gateway.line.webhook import LineWebhook
from gateway.logconfig import describe_exception
from gateway.pages import ASSETS, Pages
from gateway.rasa import ReplicaPool
from gateway.security import SecurityMiddleware
from gateway.settings import Settings, SettingsError
from gateway.state import GatewayState, StateUnavailable, open_state
from gateway.turns import TurnService
from gateway.webchat import WebChat
from kb.directory import MunicipalityDirectory
from privacy.retention import purge_interval_seconds

log = logging.getLogger(__name__)
SHUTDOWN_DRAIN_SECONDS = 10.0
# What a client is told to wait when the shared state (Redis) is down: a restart takes seconds.
STATE_RETRY_AFTER_SECONDS = 5


class GatewayApp(Starlette):
    """Starlette whose unhandled errors end here, after the JSON 500 went out and was logged without its message."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app; never let an exception reach the server, whose traceback log would quote its message."""
        try:
            await super().__call__(scope, receive, send)
        except Exception as exc:  # noqa: BLE001 - _server_error has answered 500 and logged type and stack
            if scope["type"] == "lifespan":
                raise
            # Starlette's ServerErrorMiddleware re-raises after answering; an exception message may quote a
            # resident's text (e.g. UnicodeEncodeError), so uvicorn must not print it.
            log.debug("request error already answered: %s", type(exc).__name__)


def create_app(settings: Settings) -> GatewayApp:
    """The application: routes, middleware, error handlers, and a lifespan that opens and closes its collaborators."""
    directory = MunicipalityDirectory(settings.knowledge_dir)
    if settings.default_municipality and directory.resolve(settings.default_municipality) is None:
        raise SettingsError(f"DEFAULT_MUNICIPALITY={settings.default_municipality!r} is not a known municipality")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        """Open the database and clients at startup; drain background work and close them at shutdown."""
        if settings.secret_is_ephemeral:
            log.warning(
                "GATEWAY_SECRET is not set: a random per-process key is used; LINE conversations restart with it"
            )
        if not settings.line_enabled:
            log.info("LINE credentials not set: /line/webhook answers 503; the web chat works")
        state = open_state(settings)
        rasa = ReplicaPool(
            settings.replica_urls,
            settings.rasa_timeout_seconds,
            settings.rasa_auth_token,
            settings.rasa_health_interval_seconds,
        )
        rasa.start()
        turns = TurnService(settings, rasa, directory)
        app.state.webchat = WebChat(settings, state, turns, directory)
        app.state.webhook = webhook = LineWebhook(settings, state, turns, directory)
        app.state.rasa = rasa
        purger = asyncio.create_task(_purge_forever(state, settings.retention_seconds))
        try:
            yield
        finally:
            purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await purger
            await webhook.close(SHUTDOWN_DRAIN_SECONDS)
            await rasa.close()
            await state.close()

    pages = Pages(directory)

    async def healthz(request: Request) -> Response:
        """200 only when a Rasa replica answers with a loaded model (CONTRACT §2); the public sees ok/not ok."""
        ok = await request.app.state.rasa.healthz()
        return JSONResponse({"status": "ok" if ok else "unavailable"}, status_code=200 if ok else 503, headers=NO_STORE)

    routes = [
        Route("/", pages.demo, methods=["GET", "HEAD"]),
        Route("/demo/{municipality}", pages.demo, methods=["GET", "HEAD"]),
        *(Route(f"/{name}", pages.asset, methods=["GET", "HEAD"]) for name in ASSETS),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/api/chat/session", _bound("webchat", "create_session"), methods=["POST"]),
        Route("/api/chat/session", _bound("webchat", "delete_session"), methods=["DELETE"]),
        Route("/api/chat/message", _bound("webchat", "message"), methods=["POST"]),
        Route("/line/webhook", _bound("webhook", "receive"), methods=["POST"]),
    ]
    middleware = [Middleware(SecurityMiddleware, hosts=settings.allowed_hosts, origins=settings.allowed_origins)]
    exception_handlers = {
        HTTPException: _http_error,
        StateUnavailable: _state_unavailable,
        ClientDisconnect: _client_gone,
        Exception: _server_error,
    }
    return GatewayApp(routes=routes, middleware=middleware, lifespan=lifespan, exception_handlers=exception_handlers)


def _bound(service: str, method: str) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint calling ``app.state.<service>.<method>``: those collaborators only exist inside the lifespan."""

    async def endpoint(request: Request) -> Response:
        """Pass the request to the service of the running app."""
        response: Response = await getattr(getattr(request.app.state, service), method)(request)
        return response

    return endpoint


async def _purge_forever(state: GatewayState, retention: float) -> None:
    """Purge expired sessions and LINE event ids from SQLite (Redis expires them itself): hourly, or faster."""
    while True:
        try:
            purged = await state.kv.purge(time.time())
            if purged:
                log.info("purged %d expired web sessions and LINE event ids", purged)
        except Exception as exc:  # noqa: BLE001 - the next round tries again
            log.error("purge failed: %s", describe_exception(exc))
        await asyncio.sleep(purge_interval_seconds(retention))


async def _http_error(request: Request, exc: Exception) -> Response:
    """An endpoint's refusal (ApiError), an unknown path or a wrong method: a JSON error like every other."""
    http = cast(HTTPException, exc)
    headers = dict(http.headers or {})
    if isinstance(http, ApiError):
        return json_error(http.status_code, http.code, http.detail, headers)
    code = {404: "not_found", 405: "method_not_allowed"}.get(http.status_code, "http_error")
    return json_error(http.status_code, code, "このURLではご利用いただけません。", headers)


async def _client_gone(request: Request, exc: Exception) -> Response:
    """The client left (or was cut off for being too slow, gateway/transport.py) before its body arrived: no bug."""
    log.info("client disconnected before its request body was complete: %s %s", request.method, request.url.path)
    return json_error(400, "incomplete_request", "リクエストが途中で切れました。")


async def _state_unavailable(request: Request, exc: Exception) -> Response:
    """Shared state (Redis) is down: a polite 503 the widget shows as is, and the client retries later."""
    log.warning("state unavailable on %s %s: %s", request.method, request.url.path, exc)
    return json_error(
        503,
        "unavailable",
        "ただいまご利用いただけません。申し訳ありませんが、少し時間をおいてからもう一度お試しください。",
        headers={"Retry-After": str(STATE_RETRY_AFTER_SECONDS)},
    )


async def _server_error(request: Request, exc: Exception) -> Response:
    """A bug must not leak a traceback; the request body is never logged (it may hold personal data)."""
    log.error("unhandled error on %s %s: %s", request.method, request.url.path, describe_exception(exc))
    return json_error(500, "internal_error", "申し訳ありません。時間をおいてもう一度お試しください。")
