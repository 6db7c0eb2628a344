"""``POST /line/webhook``: verify the signature first, answer 200 at once, handle events in the background."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Coroutine
from typing import Any, NoReturn

from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.webhooks import Event
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.http import NO_STORE, ApiError, BadJson, client_address, parse_json, read_body
from gateway.line.handler import LineEventHandler, chat_key
from gateway.logconfig import RejectionLog, describe_exception
from gateway.settings import Settings
from gateway.state import GatewayState, StateUnavailable
from gateway.turns import TurnService
from kb.directory import MunicipalityDirectory

log = logging.getLogger(__name__)
# X-Line-Signature is the base64 of an HMAC-SHA256: 32 bytes, 44 characters.
SIGNATURE_SHAPE = re.compile(r"[A-Za-z0-9+/]{43}=")
# LINE's deepest documented shapes (mentions, emojis, postback params) nest about 8 levels; leave room to grow.
LINE_MAX_JSON_DEPTH = 32


class BackgroundRunner:
    """Runs slow work (LINE turns) after the response has gone: bounded concurrency, drained on shutdown."""

    def __init__(self, concurrency: int) -> None:
        """At most ``concurrency`` tasks do work at once; the rest wait their turn."""
        self._semaphore = asyncio.Semaphore(concurrency)
        # Referenced until done, so a task is never garbage-collected mid-way.
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Schedule ``work``; its exceptions are logged, never raised into the caller."""
        task = asyncio.create_task(self._guarded(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def pending(self) -> int:
        """How many tasks are queued or running."""
        return len(self._tasks)

    async def _guarded(self, work: Coroutine[Any, Any, None]) -> None:
        async with self._semaphore:
            try:
                await work
            except Exception as exc:
                log.error("background task failed: %s", describe_exception(exc))

    async def drain(self, timeout: float) -> None:
        """Let running tasks finish for up to ``timeout`` seconds, then cancel the rest."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)


class LineWebhook:
    """The endpoint and its LINE client, event handler and background runner (none when LINE is not configured)."""

    def __init__(
        self, settings: Settings, state: GatewayState, turns: TurnService, directory: MunicipalityDirectory
    ) -> None:
        """Wire collaborators; call inside the running event loop (the LINE client opens its HTTP session)."""
        enabled = settings.line_enabled
        self._handler = LineEventHandler(settings, turns, directory, state.limiters) if enabled else None
        self._parser = WebhookParser(settings.line_channel_secret or "")
        self.runner = BackgroundRunner(settings.background_concurrency)
        self._dedupe = state.events
        self._max_body = settings.line_max_body_bytes
        # Keyed by client address (IPv6 also by /56 and /48): forged calls only, never LINE's signed ones.
        self._bad_signatures = state.limiters.per_address(
            "line-bad-signature", settings.rate_limit_bad_signatures_per_minute
        )
        self._rejections = RejectionLog("line webhook rejected: missing or invalid signature")

    async def close(self, drain_seconds: float) -> None:
        """Let background work finish for up to ``drain_seconds`` (then cancel it) and close the LINE client."""
        await self.runner.drain(drain_seconds)
        if self._handler is not None:
            await self._handler.close()

    async def receive(self, request: Request) -> Response:
        """Verify, deduplicate and schedule; never does a turn's slow work before answering LINE."""
        handler = self._handler
        if handler is None:
            raise ApiError(503, "line_not_configured", "LINE channel credentials are not configured.")
        signature = request.headers.get("x-line-signature") or ""
        address = client_address(request)
        if not SIGNATURE_SHAPE.fullmatch(signature):
            # Not even shaped like LINE's signature: refused without reading the body.
            await self._refuse_unsigned(address)
        raw = await read_body(request, self._max_body, "Request body too large.")
        try:
            # The SDK checks the signature (hmac.compare_digest) before it parses the body and types the events.
            # That is before any rate-limit bucket: LINE's signed deliveries never share one with forged posts,
            # whatever address those come from (or claim to come from, behind a proxy trusted too widely).
            payload = self._parser.parse(raw.decode("utf-8"), signature, as_payload=True)
            # Signed by LINE, so parsing twice is safe; the same strict rules as the web API (no lone surrogates,
            # duplicate keys or absurd numbers) keep anything odd from reaching Rasa, the database or the logs.
            parse_json(raw, max_depth=LINE_MAX_JSON_DEPTH)
        except (UnicodeDecodeError, InvalidSignatureError):
            # LINE signs UTF-8 JSON: a body that is not UTF-8 is not LINE's, whatever its HMAC.
            await self._refuse_unsigned(address)
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            # Signed but not a webhook payload the SDK can read (no events list, an event without a type...), or
            # refused by the strict parser (BadJson).
            reason = str(exc) if isinstance(exc, BadJson) else type(exc).__name__
            log.warning("line webhook: signed body is not a webhook payload (%s)", reason)
            raise ApiError(400, "bad_json", "Body is not a LINE webhook payload.") from None
        events: list[Event] = list(payload.events or [])
        fresh = await self._claim(events)
        skipped = len(events) - len(fresh)
        if skipped:
            log.info("line webhook: %d duplicate event(s) skipped", skipped)
        chats: dict[tuple[str, str], list[Event]] = {}
        for event in fresh:
            # One chat's events run in sequence, in delivery order; different chats in parallel.
            chats.setdefault(chat_key(event) or ("", str(id(event))), []).append(event)
        for chat_events in chats.values():
            self.runner.spawn(self._handle_chat(handler, chat_events))
        return JSONResponse({}, headers=NO_STORE)

    async def _refuse_unsigned(self, address: str) -> NoReturn:
        """A post without LINE's valid signature: 400, or 429 once its address used up its own bucket."""
        self._rejections.record()
        await self._bad_signatures.check(address, "Too many requests with an invalid signature.")
        raise ApiError(400, "invalid_signature", "Missing or invalid X-Line-Signature.")

    async def _claim(self, events: list[Event]) -> list[Event]:
        """The events to handle now; Redis down raises StateUnavailable (503: LINE's redelivery, if on, retries)."""
        fresh: list[Event] = []
        try:
            for event in events:
                if await self._dedupe.claim(event.webhook_event_id):
                    fresh.append(event)
        except StateUnavailable:
            for event in fresh:
                # Best effort: a claim left behind only delays a redelivery until it expires.
                with contextlib.suppress(StateUnavailable):
                    await self._dedupe.release(event.webhook_event_id)
            raise
        return fresh

    async def _handle_chat(self, handler: LineEventHandler, events: list[Event]) -> None:
        """One chat's events in delivery order; one event's failure never drops the next one."""
        for event in events:
            handled = False
            try:
                handled = await handler.handle(event)
            except Exception as exc:  # noqa: BLE001 - logged without its message; the next event still runs
                log.error("line event failed: %s", type(exc).__name__)
            finally:
                try:
                    await (self._dedupe.done if handled else self._dedupe.release)(event.webhook_event_id)
                except StateUnavailable as exc:
                    # Redis keeps the claim until it expires; the next event of this chat still runs.
                    log.error("line event not recorded: %s", describe_exception(exc))
