"""The web chat API of CONTRACT §4: session creation and one message per request."""

from __future__ import annotations

import logging
import math
from functools import partial
from typing import TypeVar

from pydantic import BaseModel, StrictStr, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

from gateway.http import BUSY_MESSAGE, NO_STORE, ApiError, BadJson, client_address, parse_json, read_body
from gateway.rasa import PayloadNotOffered
from gateway.settings import Settings
from gateway.state import RATE_LIMITED, GatewayState, Limiter, Session, address_key
from gateway.turns import TurnsBusy, TurnService
from kb.directory import MunicipalityDirectory

log = logging.getLogger(__name__)

# The request body model being parsed: _admit hands back an instance of the very model it was given.
Body = TypeVar("Body", bound=BaseModel)

MAX_PAYLOAD_CHARS = 1000
# The sender already has as many turns waiting as it may: the widget sends one at a time, so this is rare.
IN_FLIGHT_MESSAGE = "前のメッセージにお答えしています。回答をお待ちいただき、そのあとでもう一度お送りください。"
# A button the bot never offered (or absurdly long): refused, and nothing reached the conversation.
NOT_OFFERED = (403, "payload_not_offered", "この選択肢は現在選べません。メッセージを入力してください。")
# A resident whose deletion failed because Rasa is down is told to try again after about this long.
DELETE_RETRY_AFTER_SECONDS = 30


class SessionRef(BaseModel):
    """Body of ``DELETE /api/chat/session``: the session to delete."""

    session_id: StrictStr


class SessionRequest(BaseModel):
    """Body of ``POST /api/chat/session`` (it may also be empty)."""

    municipality: StrictStr | None = None


class MessageRequest(SessionRef):
    """Body of ``POST /api/chat/message``: exactly one of typed ``text`` or a button ``payload``."""

    text: StrictStr | None = None
    payload: StrictStr | None = None


class WebChat:
    """Endpoint handlers; every refusal is a JSON error (``ApiError``) and never touches another session."""

    def __init__(
        self, settings: Settings, state: GatewayState, turns: TurnService, directory: MunicipalityDirectory
    ) -> None:
        """Wire collaborators and build the rate limiters."""
        self._settings = settings
        self._store = state.sessions
        self._turns = turns
        self._directory = directory
        self._per_session = state.limiters("web-session", settings.rate_limit_session_per_minute)
        self._per_address = state.limiters.per_address("web-address", settings.rate_limit_ip_per_minute)
        self._creations = state.limiters.per_address("web-create", settings.rate_limit_sessions_per_ip_per_minute)
        self._default_municipality = directory.resolve(settings.default_municipality)

    async def create_session(self, request: Request) -> JSONResponse:
        """``POST /api/chat/session``: issue a session, optionally fixed to a municipality by the embedding."""
        _, parsed = await self._admit(request, self._creations, SessionRequest, allow_empty=True)
        municipality = self._default_municipality
        if parsed.municipality is not None and parsed.municipality.strip():
            municipality = self._directory.resolve(parsed.municipality)
            if municipality is None:
                raise ApiError(422, "unknown_municipality", "指定された市区町村には対応していません。")
        session = await self._store.create(municipality)
        return JSONResponse({"session_id": session.session_id}, headers=NO_STORE)

    async def delete_session(self, request: Request) -> JSONResponse:
        """``DELETE /api/chat/session``: the resident deletes their conversation, here and in Rasa's tracker."""
        _, parsed = await self._admit(request, self._per_address, SessionRef)
        session = await self._session(parsed.session_id)
        # The session itself goes last: if Rasa could not delete, it stays so the resident can try again.
        if not await self._turns.forget(session.conversation_id):
            raise ApiError(
                503,
                "unavailable",
                "ただいま会話を削除できませんでした。申し訳ありませんが、少し時間をおいてからもう一度お試しください。",
                headers={"Retry-After": str(DELETE_RETRY_AFTER_SECONDS)},
            )
        await self._store.delete(session.session_id)
        log.info("web session deleted on request")
        return JSONResponse({"deleted": True}, headers=NO_STORE)

    async def message(self, request: Request) -> JSONResponse:
        """``POST /api/chat/message``: one typed text or one offered button, answered with the bot's messages."""
        address, parsed = await self._admit(request, self._per_address, MessageRequest)
        if (parsed.text is None) == (parsed.payload is None):
            raise ApiError(400, "invalid_request", "text と payload のどちらか一方を指定してください。")
        session = await self._session(parsed.session_id)
        await self._per_session.check(session.session_id, RATE_LIMITED)
        if parsed.text is not None:
            if len(parsed.text) > self._settings.max_text_chars:
                limit = self._settings.max_text_chars
                raise ApiError(413, "text_too_long", f"メッセージは{limit}文字以内で入力してください。")
            if not parsed.text.strip():
                raise ApiError(422, "empty_text", "メッセージを入力してください。")
            turn = partial(self._turns.typed, "web", session.conversation_id, parsed.text, session.municipality)
        else:
            payload = parsed.payload or ""
            # Rasa strips a message before the channel checks it: a payload is only ever offered as it is.
            if len(payload) > MAX_PAYLOAD_CHARS or payload != payload.strip():
                raise ApiError(*NOT_OFFERED)
            turn = partial(self._turns.button, "web", session.conversation_id, payload, session.municipality)
        # Every turn ends within the deadline, so that is when a refused sender's slots are free again.
        retry_after = {"Retry-After": str(math.ceil(self._settings.rasa_timeout_seconds))}
        try:
            # The sender's own caps (its address, its conversation) come before the gateway-wide one.
            with self._turns.client_slot(address_key(address)):
                result = await turn()  # created inside the slot: a refused turn leaves no coroutine behind
        except TurnsBusy as exc:
            if exc.scope == "global":
                raise ApiError(503, "busy", BUSY_MESSAGE, headers=retry_after) from None
            raise ApiError(429, "turns_in_flight", IN_FLIGHT_MESSAGE, headers=retry_after) from None
        except PayloadNotOffered:
            raise ApiError(*NOT_OFFERED) from None
        body: dict[str, object] = {"messages": [m.to_api() for m in result.messages]}
        if result.you is not None:
            # The widget shows the resident's message as the server kept it: one redaction rule, never more claimed.
            body["you"] = {"text": result.you.text, "redacted": result.you.changed}
        return JSONResponse(body, headers=NO_STORE)

    async def _admit(
        self, request: Request, limiter: Limiter, model: type[Body], allow_empty: bool = False
    ) -> tuple[str, Body]:
        """The client's address and its parsed body, once its address is within ``limiter``'s limit."""
        address = client_address(request)
        await limiter.check(address, RATE_LIMITED)
        raw = await read_body(request, self._settings.max_body_bytes, "送信内容が大きすぎます。")
        if allow_empty and not raw.strip():
            return address, model.model_validate({})
        try:
            data = parse_json(raw)
        except BadJson as exc:
            log.info("bad json on %s: %s", request.url.path, exc)
            raise ApiError(400, "bad_json", "リクエストの形式が正しくありません（JSON）。") from None
        if not isinstance(data, dict):
            raise ApiError(400, "invalid_request", "リクエストは JSON オブジェクトで送ってください。")
        try:
            return address, model.model_validate(data)
        except ValidationError as exc:
            # Only field names go back (and they are the model's own names): input values are never echoed.
            fields = sorted({".".join(str(p) for p in err["loc"]) for err in exc.errors()})
            raise ApiError(400, "invalid_request", f"項目の値が正しくありません: {', '.join(fields)}") from None

    async def _session(self, session_id: str) -> Session:
        session = await self._store.get(session_id)
        if session is None:
            raise ApiError(404, "unknown_session", "会話の有効期限が切れました。もう一度お試しください。")
        return session
