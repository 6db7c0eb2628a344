"""One resident turn, whatever the channel: guard the typed text, ask Rasa, fall back politely."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
import weakref
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn

from gateway.logconfig import RejectionLog
from gateway.rasa import BotMessage, RasaUnavailable, ReplicaPool
from gateway.settings import Settings
from gateway.textguard import guard_typed_text
from kb.directory import MunicipalityDirectory
from privacy.redact import Redaction
from replies.contact import fallback_message

log = logging.getLogger(__name__)
# A turn left with less time than this after waiting for its conversation's lock is not forwarded: Rasa could not
# answer in time, and the turn would land in its tracker although the resident only saw the apology.
MIN_FORWARD_SECONDS = 0.5
# Deleting a conversation waits at most this much longer than a turn's deadline for its turns in flight.
FORGET_MARGIN_SECONDS = 1.0


def log_id(secret: bytes, value: str) -> str:
    """A short keyed hash for correlating log lines without writing the identifier itself."""
    return hmac.new(secret, f"log:{value}".encode(), hashlib.sha256).hexdigest()[:12]


class TurnsBusy(Exception):
    """A cap on turns in flight is reached; the caller answers instead of queueing.

    ``scope`` says whose cap: ``"client"`` (one address) or ``"conversation"`` are the sender's own excess (the web
    API answers 429), ``"global"`` is the gateway being full (503).
    """

    def __init__(self, scope: str) -> None:
        """Name the cap that refused the turn."""
        super().__init__(scope)
        self.scope = scope


@dataclass(frozen=True)
class TurnResult:
    """The messages to show (Rasa's answer or the fallback)."""

    messages: list[BotMessage]
    # The resident's typed text as forwarded and stored (redacted): what a client may show back to the resident.
    you: Redaction | None = None


class TurnService:
    """Runs turns, one at a time per conversation in this process (see ``_ordered``)."""

    def __init__(self, settings: Settings, rasa: ReplicaPool, directory: MunicipalityDirectory) -> None:
        """Wire the collaborators; a turn ends within RASA_TIMEOUT_SECONDS.

        At most MAX_TURNS_IN_FLIGHT conversations have turns in flight at once (so at most that many turns are at
        Rasa); one conversation has at most MAX_TURNS_PER_CONVERSATION turns running or queued, one client (see
        ``client_slot``) at most MAX_TURNS_PER_CLIENT. Turns queued behind their own conversation's lock count once
        against the global cap, so one sender's queue cannot fill it.
        """
        self._rasa = rasa
        self._directory = directory
        self._log_secret = settings.gateway_secret
        self._deadline_seconds = settings.rasa_timeout_seconds
        self._max_in_flight = settings.max_turns_in_flight
        self._max_per_client = settings.max_turns_per_client
        self._max_per_conversation = settings.max_turns_per_conversation
        self._by_conversation: Counter[str] = Counter()
        self._by_client: Counter[str] = Counter()
        # A flood is refused many times a second: one summary line a minute per cap, never one line per refusal.
        self._refusals = {
            scope: RejectionLog(f"turn refused: {scope} cap on turns in flight reached")
            for scope in ("client", "conversation", "global")
        }
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @contextmanager
    def client_slot(self, client: str) -> Iterator[None]:
        """Hold one of ``client``'s turn slots around a turn; TurnsBusy("client") when it has none left.

        ``client`` is the sender's address key (an IPv4 address or an IPv6 /64): one client holding many sessions
        still gets at most MAX_TURNS_PER_CLIENT turns in flight.
        """
        if self._by_client[client] >= self._max_per_client:
            self._refuse("client")
        with _counted(self._by_client, client):
            yield

    async def typed(self, channel: str, conversation_id: str, raw_text: str, municipality: str | None) -> TurnResult:
        """A turn for text the resident typed: redacted and de-commanded before it goes anywhere."""
        guarded = guard_typed_text(raw_text)
        result = await self._run(channel, conversation_id, guarded.text, municipality, "text", guarded.changed)
        return TurnResult(result.messages, you=guarded)

    async def button(self, channel: str, conversation_id: str, payload: str, municipality: str | None) -> TurnResult:
        """A turn for a tapped button; PayloadNotOffered if the bot never offered it (Rasa's channel decides)."""
        return await self._run(channel, conversation_id, payload, municipality, "button", False)

    async def forget(self, conversation_id: str) -> bool:
        """Delete the conversation in Rasa's tracker store; True if Rasa did.

        For a LINE user who unfollowed and a resident who deleted their web conversation. It waits for the
        conversation's turns in flight here (each ends within its deadline), so none of them writes after the deletion.
        """
        deadline = asyncio.get_running_loop().time() + self._deadline_seconds + FORGET_MARGIN_SECONDS
        try:
            async with self._ordered(conversation_id, deadline):
                return await self._rasa.delete_conversation(conversation_id)
        except TimeoutError:
            log.warning("deleting a conversation without its lock: a turn held it past its deadline")
        return await self._rasa.delete_conversation(conversation_id)

    @asynccontextmanager
    async def _ordered(self, conversation_id: str, deadline: float) -> AsyncIterator[None]:
        """Hold the conversation's lock in this process; TimeoutError if not acquired by ``deadline`` (loop time).

        Rasa's lock store orders the turns Rasa runs (across gateways and replicas too). This in-process lock is kept
        only where the gateway must order: a turn that waited past its deadline is never forwarded (so Rasa's tracker
        holds no turn the resident saw only the apology for), the per-conversation cap counts the waiting turns, and
        a deletion waits for this process's turns of the conversation.
        """
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        async with asyncio.timeout_at(deadline):
            await lock.acquire()
        try:
            yield
        finally:
            lock.release()

    def fallback(self, municipality: str | None) -> list[BotMessage]:
        """The apology with the city's phone number (or every city's when it is unknown), as Rasa's side words it."""
        return [BotMessage(text=fallback_message(municipality, self._directory))]

    def _refuse(self, scope: str) -> NoReturn:
        self._refusals[scope].record()
        raise TurnsBusy(scope)

    async def _run(
        self, channel: str, conversation_id: str, message: str, municipality: str | None, kind: str, redacted: bool
    ) -> TurnResult:
        queued = self._by_conversation[conversation_id]
        if queued >= self._max_per_conversation:
            self._refuse("conversation")
        # A conversation already in flight holds its global slot: its further turns only queue behind its lock.
        if not queued and len(self._by_conversation) >= self._max_in_flight:
            self._refuse("global")
        # The REST channel checks a button's payload against what the bot offered (no copy of the offers here).
        metadata: dict[str, Any] = {"channel": channel, **({"button": True} if kind == "button" else {})}
        if municipality:
            metadata["municipality"] = municipality
        loop, started = asyncio.get_running_loop(), time.monotonic()
        # One deadline for the whole turn: waiting behind the conversation's earlier turns uses it up too.
        deadline = loop.time() + self._deadline_seconds
        gave_up = "deadline while queued"
        try:
            with _counted(self._by_conversation, conversation_id):
                async with self._ordered(conversation_id, deadline):
                    remaining = deadline - loop.time()
                    if remaining >= min(MIN_FORWARD_SECONDS, self._deadline_seconds / 2):
                        messages = await self._rasa.send(conversation_id, message, metadata, timeout=remaining)
                        gave_up = ""
        except TimeoutError:
            pass  # given up before Rasa saw it: never forwarded, so Rasa's tracker holds no trace of it
        except RasaUnavailable as exc:
            # On a timeout the HTTP request is abandoned: a late answer from Rasa is never read, shown or acted upon
            # (Rasa's own tracker may still record the turn; see README).
            gave_up = str(exc)
        conversation, latency_ms = log_id(self._log_secret, conversation_id), (time.monotonic() - started) * 1000
        if gave_up:
            log.warning(
                "turn fallback channel=%s conversation=%s kind=%s reason=%s latency_ms=%d",
                *(channel, conversation, kind, gave_up, latency_ms),
            )
            return TurnResult(self.fallback(municipality))
        log.info(
            "turn channel=%s conversation=%s kind=%s redacted=%s messages=%d latency_ms=%d",
            *(channel, conversation, kind, redacted, len(messages), latency_ms),
        )
        return TurnResult(messages)


@contextmanager
def _counted(counter: Counter[str], key: str) -> Iterator[None]:
    """Count one more for ``key`` while inside; a key back at zero leaves (``len`` counts the keys in use)."""
    counter[key] += 1
    try:
        yield
    finally:
        counter[key] -= 1
        if counter[key] <= 0:
            del counter[key]
