"""Handles verified LINE webhook events in the background: one reply per turn, nothing downloaded.

It makes the few Messaging API calls the gateway needs (reply, push, loading animation) through the official
``line-bot-sdk`` v3 async client.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import math
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

import aiohttp
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    PushMessageRequest,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
)
from linebot.v3.messaging.exceptions import ApiException
from linebot.v3.webhooks import (
    Event,
    EventMode,
    FollowEvent,
    GroupSource,
    JoinEvent,
    LeaveEvent,
    MessageEvent,
    PostbackEvent,
    RoomSource,
    TextMessageContent,
    UnfollowEvent,
    UserMentionee,
    UserSource,
)
from pydantic.v1 import ValidationError as SdkResponseInvalid

from gateway.line.convert import main_choices, to_line
from gateway.logconfig import describe_exception
from gateway.rasa import BotMessage, PayloadNotOffered
from gateway.settings import Settings
from gateway.state import RATE_LIMITED, Limiters, StateUnavailable
from gateway.turns import TurnResult, TurnsBusy, TurnService, log_id
from kb.directory import MunicipalityDirectory

log = logging.getLogger(__name__)
REQUEST_TIMEOUT_SECONDS = 10.0

PRIVACY_NOTE = "※暗証番号やマイナンバー（個人番号）、カードの写真は送らないでください。"
NON_TEXT_REPLY = (
    "恐れ入りますが、スタンプ・画像・動画・音声・ファイル・位置情報にはお答えできません。"
    "ご質問は文字で入力してください。\n" + PRIVACY_NOTE
)
NOT_OFFERED_REPLY = "この選択肢は現在ご利用いただけません。下のメニューから選ぶか、ご質問を文字で入力してください。"
TOO_LONG_REPLY = "メッセージが長すぎます。{limit}文字以内で入力してください。"
GROUP_JOIN_REPLY = (
    "マイナンバーカードの暗証番号の手続きをご案内します。グループでは、このアカウントにメンションしてご質問ください。"
    "個別のご相談は1対1のトークでのご利用をおすすめします。\n" + PRIVACY_NOTE
)
# TurnService.typed or .button: (channel, conversation, text or payload, municipality).
Turn = Callable[[str, str, str, str | None], Awaitable[TurnResult]]
BUSY_REPLY = "ただいま大変混み合っています。申し訳ありませんが、少し時間をおいてからもう一度お送りください。"


class LineApiError(Exception):
    """A Messaging API call failed (status None: LINE did not answer); it never carries user content."""

    def __init__(self, status: int | None, message: str) -> None:
        """LINE's status and own message; whether it refused the reply token (a push may still reach the user)."""
        super().__init__(f"LINE API {status}: {message}")
        # LINE answers 400 "Invalid reply token" for used, expired or unknown tokens.
        self.reply_token_rejected = status == 400 and "reply token" in message.lower()


async def _call(request: Awaitable[Any]) -> None:
    """Await a Messaging API call, at most REQUEST_TIMEOUT_SECONDS; every failure becomes LineApiError."""
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT_SECONDS):
            await request
    except ApiException as exc:
        try:
            message = str(json.loads(exc.body or "{}").get("message", ""))
        except (TypeError, ValueError, AttributeError):  # not JSON, or not an object
            message = ""
        raise LineApiError(exc.status, message or str(exc.reason or "")) from None
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise LineApiError(None, type(exc).__name__) from None
    except SdkResponseInvalid:
        # The SDK reads the response body only after a 2xx: LINE accepted the call, e.g. a reply answered
        # without ``sentMessages``. The messages went out, so this is success, not a reason to drop the event.
        log.warning("LINE accepted a call but its answer did not match the SDK's response model")


class Source(NamedTuple):
    """Which chat an event came from: user, group or room, and its LINE id (the push target)."""

    kind: str
    target: str


def chat_key(event: Event) -> Source | None:
    """Which chat an event belongs to (its events are handled in order); None for an unknown or id-less source."""
    source = getattr(event, "source", None)
    kind = {UserSource: "user", GroupSource: "group", RoomSource: "room"}.get(type(source))
    target = getattr(source, f"{kind}_id", None)
    return Source(kind, target) if kind and isinstance(target, str) and target else None


def pseudonym(secret: bytes, kind: str, raw_id: str) -> str:
    """A stable keyed pseudonym of an external id (e.g. a LINE user id) that cannot be reversed without the secret."""
    digest = hmac.new(secret, f"{kind}:{raw_id}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}-{digest[:40]}"


def _readable(text: str) -> str:
    """The text with anything not encodable as UTF-8 (a lone surrogate) replaced, so no later step can choke on it."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _strip_self_mentions(text: str, message: TextMessageContent) -> tuple[str, bool]:
    """Remove mentions of this bot from the text; LINE gives their positions in UTF-16 units."""
    mentionees = message.mention.mentionees if message.mention else []
    spans = [
        (m.index, m.length)
        for m in mentionees or []
        if isinstance(m, UserMentionee) and m.is_self and m.index >= 0 and m.length > 0
    ]
    units = text.encode("utf-16-le", "surrogatepass")
    for index, length in sorted(spans, reverse=True):
        units = units[: 2 * index] + units[2 * (index + length) :]
    return units.decode("utf-16-le", "ignore"), bool(spans)


class LineEventHandler:
    """Turns LINE events into Rasa turns and LINE replies."""

    def __init__(
        self, settings: Settings, turns: TurnService, directory: MunicipalityDirectory, limiter: Limiters
    ) -> None:
        """Wire collaborators (inside the running event loop: the LINE client opens its HTTP session).

        The LINE account serves one city (``DEFAULT_MUNICIPALITY``).
        """
        self._settings = settings
        # ``LINE_API_BASE`` lets tests point the SDK at a local fake.
        config = Configuration(host=settings.line_api_base, access_token=str(settings.line_channel_access_token))
        self._api_client = AsyncApiClient(config)
        self._line = AsyncMessagingApi(self._api_client)
        self._turns = turns
        self._directory = directory
        self._municipality = directory.resolve(settings.default_municipality)
        self._limiter = limiter("line-conversation", settings.rate_limit_session_per_minute)
        self._secret = settings.gateway_secret
        # Long enough to cover Rasa's deadline; LINE wants a multiple of 5 between 5 and 60.
        self._loading_seconds = min(60, max(5, 5 * math.ceil((settings.rasa_timeout_seconds + 2) / 5)))

    async def close(self) -> None:
        """Close the LINE client's HTTP session."""
        await self._api_client.close()

    async def handle(self, event: Event) -> bool:
        """Handle one event; True once it is handled (answered, push tried, or nothing to answer)."""
        event_type = getattr(event, "type", None)
        source = chat_key(event)
        if getattr(event, "mode", None) == EventMode.STANDBY or source is None:
            # In standby another channel owns the chat and our reply token would be useless.
            log.info("line event ignored type=%s source=%s", event_type, "known" if source else "unknown")
            return True
        # The Rasa sender id: a keyed pseudonym, never the LINE id itself.
        conversation = pseudonym(self._secret, f"line-{source.kind}", source.target)
        log.info(
            "line event type=%s source=%s conversation=%s", event_type, source.kind, log_id(self._secret, conversation)
        )
        try:
            if isinstance(event, MessageEvent):
                return await self._on_message(event, source, conversation)
            if isinstance(event, PostbackEvent):
                return await self._on_postback(event, source, conversation)
        except StateUnavailable as exc:
            # Shared state (Redis) is down: the resident gets the apology with the city's number, not silence.
            log.warning("line event without state (%s): fallback", exc)
            return await self._deliver(event, source, self._turns.fallback(self._municipality))
        if isinstance(event, FollowEvent):
            return await self._deliver(event, source, self._greeting())
        if isinstance(event, JoinEvent):
            return await self._deliver(event, source, GROUP_JOIN_REPLY)
        if isinstance(event, (UnfollowEvent, LeaveEvent)):
            # The resident blocked the account or the bot left the group: their conversation is deleted everywhere.
            if not await self._turns.forget(conversation):
                log.warning("line %s: the Rasa conversation could not be deleted; retention will purge it", event_type)
        # Other and unknown types (mapped to UnknownEvent by the SDK) need no answer.
        return True

    def _greeting(self) -> list[BotMessage]:
        municipality = self._directory.get(self._municipality)
        city = f"{municipality.name}の" if municipality else ""
        text = (
            f"友だち追加ありがとうございます。{city}マイナンバーカードの暗証番号の手続きについてご案内します。\n"
            f"ご用件を下のボタンから選ぶか、文章で入力してください。\n{PRIVACY_NOTE}"
        )
        return [BotMessage(text=text, buttons=list(main_choices()))]

    async def _on_message(self, event: MessageEvent, source: Source, conversation: str) -> bool:
        message = event.message
        if not isinstance(message, TextMessageContent):
            # Never fetch the content: it may be a photo of the card. In groups, stay quiet rather than nag everyone.
            return await self._deliver(event, source, NON_TEXT_REPLY) if source.kind == "user" else True
        text = message.text or ""
        if source.kind != "user":
            text, mentioned = _strip_self_mentions(text, message)
            if not mentioned:
                return True
        text = _readable(text)
        if not text.strip():
            return await self._deliver(event, source, self._greeting())
        if len(text) > self._settings.max_text_chars:
            return await self._deliver(event, source, TOO_LONG_REPLY.format(limit=self._settings.max_text_chars))
        return await self._turn(event, source, conversation, text, self._turns.typed)

    async def _on_postback(self, event: PostbackEvent, source: Source, conversation: str) -> bool:
        # The data is the payload (or its key, convert.postback_data): Rasa's channel checks that the bot offered it.
        # Rasa strips a message before that check, and a payload is only ever offered as it is.
        payload = _readable(event.postback.data or "") if event.postback else ""
        if not payload or payload != payload.strip():
            return await self._deliver(event, source, NOT_OFFERED_REPLY)
        return await self._turn(event, source, conversation, payload, self._turns.button)

    async def _turn(self, event: Event, source: Source, conversation: str, message: str, run: Turn) -> bool:
        if not await self._limiter.allow(conversation):
            return await self._deliver(event, source, RATE_LIMITED)
        task = asyncio.ensure_future(run("line", conversation, message, self._municipality))
        if source.kind == "user":
            done, _ = await asyncio.wait({task}, timeout=self._settings.line_loading_after_seconds)
            if not done:
                # The typing-dots animation; it disappears when our reply arrives.
                loading = ShowLoadingAnimationRequest(chatId=source.target, loadingSeconds=self._loading_seconds)
                try:
                    await _call(self._line.show_loading_animation(loading))
                except LineApiError as exc:
                    # Cosmetic only: the answer still goes out.
                    log.warning("line loading animation failed: %s", exc)
        try:
            result = await task
        except TurnsBusy:
            return await self._deliver(event, source, BUSY_REPLY)
        except PayloadNotOffered:
            return await self._deliver(event, source, NOT_OFFERED_REPLY)
        except Exception as exc:
            # A bug must still leave the resident with an answer (the fallback), never silence.
            log.error("line turn failed: %s", describe_exception(exc))
            result = TurnResult(self._turns.fallback(self._municipality))
        return await self._deliver(event, source, result.messages)

    async def _deliver(self, event: Event, source: Source, reply: str | list[BotMessage]) -> bool:
        """One reply call; a push only when LINE rejected the token and pushes are allowed. True if handled.

        Handled means the reply went out, or the push fallback was tried: a failed push is not retried, since
        LINE may have delivered it after all and a second one would show the answer twice.
        """
        outgoing = to_line([BotMessage(text=reply)] if isinstance(reply, str) else reply)
        outgoing = outgoing or to_line(self._turns.fallback(self._municipality))
        reply_token = getattr(event, "reply_token", None)
        if isinstance(reply_token, str) and reply_token:
            try:
                await _call(self._line.reply_message(ReplyMessageRequest(replyToken=reply_token, messages=outgoing)))
                return True
            except LineApiError as exc:
                if not (exc.reply_token_rejected and self._settings.line_push_fallback):
                    log.error("line reply failed: %s", exc)
                    return False
                log.warning("line reply token rejected; pushing instead")
        elif not self._settings.line_push_fallback:
            log.warning("line event without reply token and push fallback off; nothing sent")
            return True
        # A push is billed, so only a fallback; its retry key makes a retried push deliver once.
        push = PushMessageRequest(to=source.target, messages=outgoing)
        try:
            await _call(self._line.push_message(push, x_line_retry_key=str(uuid.uuid4())))
        except LineApiError as exc:
            log.error("line push failed: %s", exc)
        return True
