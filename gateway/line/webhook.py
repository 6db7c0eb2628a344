"""``POST /line/webhook``: verify the signature first, answer 200 at once, handle events in the background."""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.background import BackgroundRunner
from gateway.http import NO_STORE, BodyTooLarge, json_error, read_body
from gateway.line.dedupe import EventDeduplicator
from gateway.line.handler import LineEventHandler, Source
from gateway.line.signature import verify_signature

log = logging.getLogger(__name__)


class LineWebhook:
    """The endpoint; ``handler`` is None when LINE credentials are not configured."""

    def __init__(
        self,
        channel_secret: str | None,
        handler: LineEventHandler | None,
        dedupe: EventDeduplicator,
        runner: BackgroundRunner,
        max_body_bytes: int,
    ) -> None:
        """Wire collaborators."""
        self._secret = channel_secret
        self._handler = handler
        self._dedupe = dedupe
        self._runner = runner
        self._max_body = max_body_bytes

    async def receive(self, request: Request) -> Response:
        """Verify, deduplicate and schedule; never does a turn's slow work before answering LINE."""
        if self._handler is None or not self._secret:
            return json_error(503, "line_not_configured", "LINE channel credentials are not configured.")
        try:
            body = await read_body(request, self._max_body)
        except BodyTooLarge:
            return json_error(413, "body_too_large", "Request body too large.")
        # Nothing in the body is looked at, parsed or logged before the signature holds.
        if not verify_signature(self._secret, body, request.headers.get("x-line-signature")):
            log.warning("line webhook rejected: missing or invalid signature")
            return json_error(400, "invalid_signature", "Missing or invalid X-Line-Signature.")
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return json_error(400, "bad_json", "Body is not JSON.")
        events = data.get("events") if isinstance(data, dict) else None
        if not isinstance(events, list):
            return json_error(400, "invalid_request", "Body has no events list.")
        fresh = [e for e in events if isinstance(e, dict) and self._dedupe.first_time(e.get("webhookEventId"))]
        skipped = len(events) - len(fresh)
        if skipped:
            log.info("line webhook: %d duplicate or malformed event(s) skipped", skipped)
        for chat_events in self._by_chat(fresh):
            self._runner.spawn(self._handler.handle_all(chat_events))
        return JSONResponse({}, headers=NO_STORE)

    @staticmethod
    def _by_chat(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        """Group events per chat, keeping order: one chat's turns run in sequence, different chats in parallel."""
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for event in events:
            source = Source.of(event)
            key = (source.kind, source.target) if source else ("", str(id(event)))
            groups.setdefault(key, []).append(event)
        return list(groups.values())
