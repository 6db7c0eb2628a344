"""Handles verified LINE webhook events in the background: one reply per turn, nothing downloaded."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from gateway.ids import log_id, pseudonym
from gateway.line.client import LineApiError, LineClient
from gateway.line.convert import OutgoingText, payload_for_postback, to_line
from gateway.line.menu import MAIN_CHOICES, MAIN_PAYLOADS
from gateway.logsafe import describe_exception
from gateway.models import BotMessage
from gateway.municipalities import MunicipalityDirectory
from gateway.ratelimit import SlidingWindowLimiter
from gateway.sessions import SessionStore
from gateway.settings import Settings
from gateway.turns import TurnResult, TurnService

log = logging.getLogger(__name__)

PRIVACY_NOTE = "※暗証番号やマイナンバー（個人番号）、カードの写真は送らないでください。"
NON_TEXT_REPLY = (
    "恐れ入りますが、スタンプ・画像・動画・音声・ファイル・位置情報にはお答えできません。"
    "ご質問は文字で入力してください。\n" + PRIVACY_NOTE
)
NOT_OFFERED_REPLY = "この選択肢は現在ご利用いただけません。下のメニューから選ぶか、ご質問を文字で入力してください。"
TOO_LONG_REPLY = "メッセージが長すぎます。{limit}文字以内で入力してください。"
RATE_LIMITED_REPLY = "短時間に多くのメッセージが送られました。少し時間をおいてからお試しください。"
GROUP_JOIN_REPLY = (
    "マイナンバーカードの暗証番号の手続きをご案内します。グループでは、このアカウントにメンションしてご質問ください。"
    "個別のご相談は1対1のトークでのご利用をおすすめします。\n" + PRIVACY_NOTE
)
_MEDIA_TYPES = {"sticker", "image", "video", "audio", "file", "location"}


@dataclass(frozen=True)
class Source:
    """Where an event came from: the push target and, in one-to-one chats, the user to animate."""

    kind: str
    target: str

    @classmethod
    def of(cls, event: dict[str, Any]) -> Source | None:
        """Read ``event["source"]``; None if it is malformed."""
        source = event.get("source")
        if not isinstance(source, dict):
            return None
        kind = source.get("type")
        key = {"user": "userId", "group": "groupId", "room": "roomId"}.get(kind if isinstance(kind, str) else "")
        target = source.get(key) if key else None
        if not isinstance(target, str) or not target:
            return None
        return cls(kind=str(kind), target=target)


def _strip_self_mentions(text: str, message: dict[str, Any]) -> tuple[str, bool]:
    """Remove mentions of this bot from the text; LINE gives their positions in UTF-16 units."""
    mention = message.get("mention")
    mentionees = mention.get("mentionees") if isinstance(mention, dict) else None
    if not isinstance(mentionees, list):
        return text, False
    units = text.encode("utf-16-le")
    spans = []
    for item in mentionees:
        if isinstance(item, dict) and item.get("isSelf") is True:
            index, length = item.get("index"), item.get("length")
            if isinstance(index, int) and isinstance(length, int) and index >= 0 and length > 0:
                spans.append((index, length))
    for index, length in sorted(spans, reverse=True):
        units = units[: 2 * index] + units[2 * (index + length) :]
    return units.decode("utf-16-le", "ignore"), bool(spans)


class LineEventHandler:
    """Turns LINE events into Rasa turns and LINE replies."""

    def __init__(
        self,
        settings: Settings,
        client: LineClient,
        turns: TurnService,
        store: SessionStore,
        directory: MunicipalityDirectory,
    ) -> None:
        """Wire collaborators; the LINE account serves one city (``DEFAULT_MUNICIPALITY``)."""
        self._settings = settings
        self._client = client
        self._turns = turns
        self._store = store
        self._directory = directory
        self._municipality = directory.resolve(settings.default_municipality)
        self._limiter = SlidingWindowLimiter(settings.rate_limit_session_per_minute)
        self._secret = settings.gateway_secret
        # Long enough to cover Rasa's deadline; LINE wants a multiple of 5 between 5 and 60.
        self._loading_seconds = min(60, max(5, 5 * math.ceil((settings.rasa_timeout_seconds + 2) / 5)))

    def conversation_id(self, source: Source) -> str:
        """The Rasa sender id for a LINE chat: a keyed pseudonym, never the LINE id itself."""
        return pseudonym(self._secret, f"line-{source.kind}", source.target)

    async def handle_all(self, events: list[dict[str, Any]]) -> None:
        """Handle one chat's events in delivery order."""
        for event in events:
            await self.handle(event)

    async def handle(self, event: dict[str, Any]) -> None:
        """Dispatch one event by type; unknown types are ignored."""
        event_type = event.get("type")
        source = Source.of(event)
        if event.get("mode") == "standby" or source is None:
            # In standby another channel owns the chat and our reply token would be useless.
            log.info("line event ignored type=%s mode=%s", event_type, event.get("mode"))
            return
        conversation = self.conversation_id(source)
        log.info(
            "line event type=%s source=%s conversation=%s", event_type, source.kind, log_id(self._secret, conversation)
        )
        if event_type == "message":
            await self._on_message(event, source, conversation)
        elif event_type == "postback":
            await self._on_postback(event, source, conversation)
        elif event_type == "follow":
            await self._deliver(event, source, self._greeting())
        elif event_type == "join":
            await self._deliver(event, source, [OutgoingText(GROUP_JOIN_REPLY)])
        elif event_type in {"unfollow", "leave"}:
            # The resident blocked the account or the bot left the group: their conversation is deleted everywhere.
            if not await self._turns.forget(conversation):
                log.warning("line %s: the Rasa conversation could not be deleted; retention will purge it", event_type)

    def _greeting(self) -> list[OutgoingText]:
        municipality = self._directory.get(self._municipality)
        city = f"{municipality.name}の" if municipality else ""
        text = (
            f"友だち追加ありがとうございます。{city}マイナンバーカードの暗証番号の手続きについてご案内します。\n"
            f"ご用件を下のボタンから選ぶか、文章で入力してください。\n{PRIVACY_NOTE}"
        )
        return to_line([BotMessage(text=text, buttons=list(MAIN_CHOICES))])

    async def _on_message(self, event: dict[str, Any], source: Source, conversation: str) -> None:
        message = event.get("message") if isinstance(event.get("message"), dict) else {}
        message_type = message.get("type")
        if message_type != "text":
            # Never fetch the content: it may be a photo of the card. In groups, stay quiet rather than nag everyone.
            if source.kind == "user":
                await self._deliver(event, source, [OutgoingText(NON_TEXT_REPLY)])
            return
        text = message.get("text") if isinstance(message.get("text"), str) else ""
        if source.kind != "user":
            text, mentioned = _strip_self_mentions(text, message)
            if not mentioned:
                return
        if not text.strip():
            await self._deliver(event, source, self._greeting())
            return
        if len(text) > self._settings.max_text_chars:
            await self._deliver(
                event, source, [OutgoingText(TOO_LONG_REPLY.format(limit=self._settings.max_text_chars))]
            )
            return
        if not self._limiter.allow(conversation):
            await self._deliver(event, source, [OutgoingText(RATE_LIMITED_REPLY)])
            return
        await self._turn(event, source, lambda: self._turns.typed("line", conversation, text, self._municipality))

    async def _on_postback(self, event: dict[str, Any], source: Source, conversation: str) -> None:
        postback = event.get("postback") if isinstance(event.get("postback"), dict) else {}
        data = postback.get("data") if isinstance(postback.get("data"), str) else ""
        payload = payload_for_postback(data, list(MAIN_PAYLOADS) + self._store.offered(conversation))
        if payload is None:
            await self._deliver(event, source, [OutgoingText(NOT_OFFERED_REPLY)])
            return
        if not self._limiter.allow(conversation):
            await self._deliver(event, source, [OutgoingText(RATE_LIMITED_REPLY)])
            return
        await self._turn(event, source, lambda: self._turns.button("line", conversation, payload, self._municipality))

    async def _turn(self, event: dict[str, Any], source: Source, run: Callable[[], Awaitable[TurnResult]]) -> None:
        task = asyncio.ensure_future(run())
        if source.kind == "user":
            done, _ = await asyncio.wait({task}, timeout=self._settings.line_loading_after_seconds)
            if not done:
                await self._show_loading(source)
        try:
            result = await task
        except Exception as exc:
            # A bug must still leave the resident with an answer (the fallback), never silence.
            log.error("line turn failed: %s", describe_exception(exc))
            result = TurnResult(self._turns.fallback(self._municipality), fallback=True)
        await self._deliver(event, source, to_line(result.messages))

    async def _show_loading(self, source: Source) -> None:
        try:
            await self._client.show_loading(source.target, self._loading_seconds)
        except LineApiError as exc:
            # Cosmetic only: the answer still goes out.
            log.warning("line loading animation failed: %s", exc)

    async def _deliver(self, event: dict[str, Any], source: Source, outgoing: list[OutgoingText]) -> None:
        """Exactly one reply call; a push only when LINE rejected the token and the deployment allows pushes."""
        if not outgoing:
            outgoing = to_line(self._turns.fallback(self._municipality))
        reply_token = event.get("replyToken")
        if isinstance(reply_token, str) and reply_token:
            try:
                await self._client.reply(reply_token, outgoing)
                return
            except LineApiError as exc:
                if not (exc.reply_token_rejected and self._settings.line_push_fallback):
                    log.error("line reply failed: %s", exc)
                    return
                log.warning("line reply token rejected; pushing instead")
        elif not self._settings.line_push_fallback:
            log.warning("line event without reply token and push fallback off; nothing sent")
            return
        try:
            await self._client.push(source.target, outgoing)
        except LineApiError as exc:
            log.error("line push failed: %s", exc)
