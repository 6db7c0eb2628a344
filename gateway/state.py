"""Where the gateway keeps its state: one interface, two backends (SQLite in-process, or Redis shared by gateways)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from gateway.sessions import Session


class StateUnavailable(Exception):
    """The shared state store (Redis) did not answer in time: the caller degrades politely, it never crashes."""


class SessionBackend(Protocol):
    """Web sessions and the buttons offered per conversation (see ``SessionStore``)."""

    async def create(self, municipality: str | None, now: float | None = None) -> Session:
        """Issue a new session."""
        ...

    async def get(self, session_id: object, now: float | None = None) -> Session | None:
        """The live session with this id, refreshing its last-seen time; None if unknown or expired."""
        ...

    async def offered(self, conversation_id: str) -> list[str]:
        """Payloads the bot has recently offered in this conversation, newest last."""
        ...

    async def remember_offers(self, conversation_id: str, payloads: list[str], now: float | None = None) -> None:
        """Add the payloads of the buttons just shown."""
        ...

    async def forget_conversation(self, conversation_id: str) -> None:
        """Drop what the gateway keeps about a conversation."""
        ...

    async def delete(self, session_id: str) -> bool:
        """Forget a web session at once; True if it existed."""
        ...

    async def purge(self, now: float | None = None) -> int:
        """Delete expired sessions and stale offers; returns how many sessions went."""
        ...


class RateLimiter(Protocol):
    """A sliding-window limit per key (see ``SlidingWindowLimiter``)."""

    async def allow(self, key: str, now: float | None = None) -> bool:
        """Record an event for ``key`` and tell whether it is within the limit."""
        ...

    async def is_exhausted(self, key: str, now: float | None = None) -> bool:
        """Whether ``key`` has used up its limit in the current window."""
        ...

    async def retry_after(self, key: str, now: float | None = None) -> int:
        """Whole seconds until ``key`` may send again (at least 1)."""
        ...


class EventClaims(Protocol):
    """LINE ``webhookEventId`` de-duplication (see ``EventDeduplicator``)."""

    async def claim(self, event_id: object) -> bool:
        """True if this event should be handled now (neither handled before nor being handled)."""
        ...

    async def done(self, event_id: object, now: float | None = None) -> None:
        """Record a claimed event as handled."""
        ...

    async def release(self, event_id: object) -> None:
        """Give a claimed event up unhandled: a redelivery of it will be handled."""
        ...

    async def purge(self, now: float | None = None) -> int:
        """Forget ids older than the time-to-live; returns how many went."""
        ...


class ConversationLocks(Protocol):
    """One turn at a time per conversation, so Rasa sees a conversation's messages in order."""

    def hold(self, conversation_id: str, deadline: float) -> AbstractAsyncContextManager[None]:
        """Hold the lock of ``conversation_id``; TimeoutError if not acquired by ``deadline`` (event-loop time)."""
        ...


# A rate limiter named ``name`` (so that two limiters never share a key space), ``limit`` events per window.
LimiterFactory = Callable[[str, int], RateLimiter]


@dataclass
class GatewayState:
    """The state collaborators of one gateway process and how to release them."""

    sessions: SessionBackend
    dedupe: EventClaims
    locks: ConversationLocks
    limiter: LimiterFactory
    close: Callable[[], Awaitable[None]]
    # Called now and then (the purge loop): file permissions for SQLite, nothing for Redis.
    housekeeping: Callable[[], None]
