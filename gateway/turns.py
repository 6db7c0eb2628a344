"""One resident turn, whatever the channel: guard the text, ask Rasa, fall back politely, remember the buttons."""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from dataclasses import dataclass

from gateway.fallback import fallback_text
from gateway.ids import log_id
from gateway.models import BotMessage
from gateway.municipalities import MunicipalityDirectory
from gateway.rasa_client import RasaClient, RasaUnavailable
from gateway.sessions import SessionStore
from gateway.textguard import guard_typed_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TurnResult:
    """The messages to show and whether they are the fallback rather than Rasa's answer."""

    messages: list[BotMessage]
    fallback: bool


class TurnService:
    """Serialises turns per conversation so Rasa sees them in order and the offered buttons stay consistent."""

    def __init__(
        self, rasa: RasaClient, store: SessionStore, directory: MunicipalityDirectory, log_secret: bytes
    ) -> None:
        """Wire the collaborators."""
        self._rasa = rasa
        self._store = store
        self._directory = directory
        self._log_secret = log_secret
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def is_offered(self, conversation_id: str, payload: str) -> bool:
        """Whether the bot offered a button with exactly this payload in this conversation."""
        return payload in self._store.offered(conversation_id)

    async def typed(self, channel: str, conversation_id: str, raw_text: str, municipality: str | None) -> TurnResult:
        """A turn for text the resident typed: redacted and de-commanded before it goes anywhere."""
        guarded = guard_typed_text(raw_text)
        return await self._run(channel, conversation_id, guarded.text, municipality, "text", guarded.redacted)

    async def button(self, channel: str, conversation_id: str, payload: str, municipality: str | None) -> TurnResult:
        """A turn for a button the caller has already checked with ``is_offered`` (or a fixed menu payload)."""
        return await self._run(channel, conversation_id, payload, municipality, "button", False)

    def fallback(self, municipality: str | None) -> list[BotMessage]:
        """The apology with the city's phone number, as messages."""
        return [BotMessage(text=fallback_text(self._directory, municipality))]

    async def _run(
        self, channel: str, conversation_id: str, message: str, municipality: str | None, kind: str, redacted: bool
    ) -> TurnResult:
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[conversation_id] = lock
        metadata: dict[str, str] = {"channel": channel}
        if municipality:
            metadata["municipality"] = municipality
        started = time.monotonic()
        async with lock:
            try:
                messages = await self._rasa.send(conversation_id, message, metadata)
            except RasaUnavailable as exc:
                log.warning(
                    "turn fallback channel=%s conversation=%s kind=%s reason=%s latency_ms=%d",
                    channel,
                    log_id(self._log_secret, conversation_id),
                    kind,
                    exc,
                    (time.monotonic() - started) * 1000,
                )
                return TurnResult(self.fallback(municipality), fallback=True)
            self._store.remember_offers(conversation_id, [b.payload for m in messages for b in m.buttons])
        log.info(
            "turn channel=%s conversation=%s kind=%s redacted=%s messages=%d latency_ms=%d",
            channel,
            log_id(self._log_secret, conversation_id),
            kind,
            redacted,
            len(messages),
            (time.monotonic() - started) * 1000,
        )
        return TurnResult(messages, fallback=False)
