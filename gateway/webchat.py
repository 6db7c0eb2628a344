"""The web chat API of CONTRACT §4: session creation and one message per request."""

from __future__ import annotations

import logging
import math
from functools import partial
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, StrictStr, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.http import NO_STORE, BadJson, BodyTooLarge, client_address, json_error, parse_json, read_body
from gateway.rasa import PayloadNotOffered
from gateway.ratelimit import Limiter, Limiters, address_key
from gateway.settings import Settings
from gateway.state import Sessions
from gateway.turns import TurnsBusy, TurnService
from kb.directory import MunicipalityDirectory

log = logging.getLogger(__name__)

# The request body model being parsed: _parse hands back an instance of the very model it was given.
Body = TypeVar("Body", bound=BaseModel)

MAX_PAYLOAD_CHARS = 1000
BUSY_MESSAGE = "ただいま大変混み合っています。申し訳ありませんが、少し時間をおいてからもう一度お試しください。"
# The sender already has as many turns waiting as it may: the widget sends one at a time, so this is rare.
IN_FLIGHT_MESSAGE = "前のメッセージにお答えしています。回答をお待ちいただき、そのあとでもう一度お送りください。"
EXPIRED_MESSAGE = "会話の有効期限が切れました。もう一度お試しください。"
# A resident whose deletion failed because Rasa is down is told to try again after about this long.
DELETE_RETRY_AFTER_SECONDS = 30


class SessionRef(BaseModel):
    """Body of ``DELETE /api/chat/session``: the session to delete."""

    model_config = ConfigDict(extra="ignore")

    session_id: StrictStr


class SessionRequest(BaseModel):
    """Body of ``POST /api/chat/session`` (it may also be empty)."""

    model_config = ConfigDict(extra="ignore")

    municipality: StrictStr | None = None


class MessageRequest(SessionRef):
    """Body of ``POST /api/chat/message``: exactly one of typed ``text`` or a button ``payload``."""

    text: StrictStr | None = None
    payload: StrictStr | None = None


class WebChat:
    """Endpoint handlers; every refusal is a JSON error and never touches another session."""

    def __init__(
        self,
        settings: Settings,
        store: Sessions,
        turns: TurnService,
        directory: MunicipalityDirectory,
        limiter: Limiters,
    ) -> None:
        """Wire collaborators and build the rate limiters."""
        self._settings = settings
        self._store = store
        self._turns = turns
        self._directory = directory
        self._per_session = limiter("web-session", settings.rate_limit_session_per_minute)
        self._per_address = limiter.per_address("web-address", settings.rate_limit_ip_per_minute)
        self._creations = limiter.per_address("web-create", settings.rate_limit_sessions_per_ip_per_minute)
        self._default_municipality = directory.resolve(settings.default_municipality)

    async def create_session(self, request: Request) -> Response:
        """``POST /api/chat/session``: issue a session, optionally fixed to a municipality by the embedding."""
        address = client_address(request)
        if not await self._creations.allow(address):
            return await self._too_many(self._creations, address)
        parsed = await self._parse(request, SessionRequest, allow_empty=True)
        if isinstance(parsed, Response):
            return parsed
        municipality = self._default_municipality
        if parsed.municipality is not None and parsed.municipality.strip():
            municipality = self._directory.resolve(parsed.municipality)
            if municipality is None:
                return json_error(422, "unknown_municipality", "指定された市区町村には対応していません。")
        session = await self._store.create(municipality)
        return JSONResponse({"session_id": session.session_id}, headers=NO_STORE)

    async def delete_session(self, request: Request) -> Response:
        """``DELETE /api/chat/session``: the resident deletes their conversation, here and in Rasa's tracker."""
        address = client_address(request)
        if not await self._per_address.allow(address):
            return await self._too_many(self._per_address, address)
        parsed = await self._parse(request, SessionRef, allow_empty=False)
        if isinstance(parsed, Response):
            return parsed
        session = await self._store.get(parsed.session_id)
        if session is None:
            return json_error(404, "unknown_session", EXPIRED_MESSAGE)
        # The session itself goes last: if Rasa could not delete, it stays so the resident can try again.
        if not await self._turns.forget(session.conversation_id):
            return json_error(
                503,
                "unavailable",
                "ただいま会話を削除できませんでした。申し訳ありませんが、少し時間をおいてからもう一度お試しください。",
                headers={"Retry-After": str(DELETE_RETRY_AFTER_SECONDS)},
            )
        await self._store.delete(session.session_id)
        log.info("web session deleted on request")
        return JSONResponse({"deleted": True}, headers=NO_STORE)

    async def message(self, request: Request) -> Response:
        """``POST /api/chat/message``: one typed text or one offered button, answered with the bot's messages."""
        address = client_address(request)
        if not await self._per_address.allow(address):
            return await self._too_many(self._per_address, address)
        parsed = await self._parse(request, MessageRequest, allow_empty=False)
        if isinstance(parsed, Response):
            return parsed
        if (parsed.text is None) == (parsed.payload is None):
            return json_error(400, "invalid_request", "text と payload のどちらか一方を指定してください。")
        session = await self._store.get(parsed.session_id)
        if session is None:
            return json_error(404, "unknown_session", EXPIRED_MESSAGE)
        if not await self._per_session.allow(session.session_id):
            return await self._too_many(self._per_session, session.session_id)
        if parsed.text is not None:
            if len(parsed.text) > self._settings.max_text_chars:
                return json_error(
                    413, "text_too_long", f"メッセージは{self._settings.max_text_chars}文字以内で入力してください。"
                )
            if not parsed.text.strip():
                return json_error(422, "empty_text", "メッセージを入力してください。")
            turn = partial(self._turns.typed, "web", session.conversation_id, parsed.text, session.municipality)
        else:
            payload = parsed.payload or ""
            # Rasa strips a message before the channel checks it: a payload is only ever offered as it is.
            if len(payload) > MAX_PAYLOAD_CHARS or payload != payload.strip():
                return _not_offered()
            turn = partial(self._turns.button, "web", session.conversation_id, payload, session.municipality)
        # Every turn ends within the deadline, so that is when a refused sender's slots are free again.
        retry_after = {"Retry-After": str(math.ceil(self._settings.rasa_timeout_seconds))}
        try:
            # The sender's own caps (its address, its conversation) come before the gateway-wide one.
            with self._turns.client_slot(address_key(address)):
                result = await turn()  # created inside the slot: a refused turn leaves no coroutine behind
        except TurnsBusy as exc:
            if exc.scope == "global":
                return json_error(503, "busy", BUSY_MESSAGE, headers=retry_after)
            return json_error(429, "turns_in_flight", IN_FLIGHT_MESSAGE, headers=retry_after)
        except PayloadNotOffered:
            return _not_offered()
        body: dict[str, object] = {"messages": [m.to_api() for m in result.messages]}
        if result.you is not None:
            # The widget shows the resident's message as the server kept it: one redaction rule, never more claimed.
            body["you"] = {"text": result.you, "redacted": result.redacted}
        return JSONResponse(body, headers=NO_STORE)

    async def _parse(self, request: Request, model: type[Body], allow_empty: bool) -> Body | Response:
        try:
            raw = await read_body(request, self._settings.max_body_bytes)
        except BodyTooLarge:
            return json_error(413, "body_too_large", "送信内容が大きすぎます。")
        if allow_empty and not raw.strip():
            return model.model_validate({})
        try:
            data = parse_json(raw)
        except BadJson as exc:
            log.info("bad json on %s: %s", request.url.path, exc.reason)
            return json_error(400, "bad_json", "リクエストの形式が正しくありません（JSON）。")
        if not isinstance(data, dict):
            return json_error(400, "invalid_request", "リクエストは JSON オブジェクトで送ってください。")
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            # Only field names go back (and they are the model's own names): input values are never echoed.
            fields = sorted({".".join(str(p) for p in err["loc"]) for err in exc.errors()})
            return json_error(400, "invalid_request", f"項目の値が正しくありません: {', '.join(fields)}")

    async def _too_many(self, limiter: Limiter, key: str) -> Response:
        return json_error(
            429,
            "rate_limited",
            "短時間に多くのメッセージが送られました。少し時間をおいてからお試しください。",
            headers={"Retry-After": str(await limiter.retry_after(key))},
        )


def _not_offered() -> Response:
    """A button the bot never offered (or absurdly long): refused, and nothing reached the conversation."""
    return json_error(403, "payload_not_offered", "この選択肢は現在選べません。メッセージを入力してください。")
