"""Gateway state in Redis (``GATEWAY_STATE=redis``): gateways sharing one Redis and key prefix behave as one.

Every call is bounded by short socket timeouts and no implicit retries; a Redis error or timeout becomes
``StateUnavailable``, which the endpoints turn into a polite 503. The pool reconnects by itself when Redis returns.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.ids import looks_like_session_id, new_conversation_id, new_session_id
from gateway.line.dedupe import MAX_EVENT_ID
from gateway.sessions import MAX_OFFERED, Session
from gateway.state import StateUnavailable

log = logging.getLogger(__name__)

# How long a LINE event stays claimed by a gateway that neither finished nor released it (it crashed): after that,
# a redelivery is handled again. Longer than any queue plus turn plus reply.
CLAIM_TTL_SECONDS = 300
# How often a turn waiting for its conversation's lock asks again.
LOCK_POLL_SECONDS = 0.02

# Deletes a key only if it still holds our token: a lock (or claim) that expired and was taken by someone else stays.
_COMPARE_AND_DELETE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# Sliding window on a sorted set of event times (ms). ARGV: limit, window ms, now ms (-1: Redis's clock), member.
# Redis's clock is shared by every gateway, so windows agree whatever the gateways' clocks say.
_ALLOW = """
local now = tonumber(ARGV[3])
if now < 0 then local t = redis.call('TIME'); now = t[1] * 1000 + math.floor(t[2] / 1000) end
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[4] .. ':' .. now)
redis.call('PEXPIRE', KEYS[1], window)
return 1
"""

# ARGV: window ms, now ms (-1: Redis's clock). Returns {events in the window, ms since the oldest of them or -1}.
_WINDOW = """
local now = tonumber(ARGV[2])
if now < 0 then local t = redis.call('TIME'); now = t[1] * 1000 + math.floor(t[2] / 1000) end
local window = tonumber(ARGV[1])
local count = redis.call('ZCOUNT', KEYS[1], '(' .. (now - window), '+inf')
local oldest = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - window), '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
if oldest[2] == nil then return {count, -1} end
return {count, now - tonumber(oldest[2])}
"""


@contextmanager
def guarded() -> Iterator[None]:
    """Turn any Redis failure (refused, reset, timed out) into StateUnavailable."""
    try:
        yield
    except (RedisError, OSError) as exc:
        raise StateUnavailable(type(exc).__name__) from exc


def connect(url: str, timeout_seconds: float) -> Redis:
    """A pooled client that fails fast: short connect and socket timeouts, no retries (the caller degrades)."""
    return Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
        retry_on_timeout=False,
    )


def _ms(now: float | None) -> int:
    return -1 if now is None else int(now * 1000)


class RedisSessionStore:
    """``SessionStore`` in Redis: a hash per session, JSON offers per conversation, sorted sets to purge by age."""

    def __init__(self, redis: Redis, prefix: str, ttl_seconds: int, max_age_seconds: int | None = None) -> None:
        """Keys start with ``prefix``; sessions idle for ``ttl_seconds`` or older than ``max_age_seconds`` are unknown.

        Redis expires them itself; the maximum age counts from issue (default: the TTL).
        """
        self._redis = redis
        self._p = prefix
        self._ttl = ttl_seconds
        self._max_age = ttl_seconds if max_age_seconds is None else max_age_seconds
        # Redis's own expiry is a backstop a little after the logical TTL (checked against last_seen on every get).
        self._expire = math.ceil(ttl_seconds) + 1

    async def create(self, municipality: str | None, now: float | None = None) -> Session:
        """Issue a new session."""
        now = time.time() if now is None else now
        session = Session(new_session_id(), new_conversation_id("web"), municipality, now, now)
        key = f"{self._p}session:{session.session_id}"
        fields = {
            "conversation_id": session.conversation_id,
            "municipality": municipality or "",
            "created": repr(now),
            "last_seen": repr(now),
        }
        with guarded():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(key, mapping=fields)
                pipe.expire(key, self._expiry(now, now))
                pipe.zadd(f"{self._p}sessions", {session.session_id: now})
                pipe.zadd(f"{self._p}sessions:created", {session.session_id: now})
                await pipe.execute()
        return session

    async def get(self, session_id: object, now: float | None = None) -> Session | None:
        """The live session with this id, refreshing its last-seen time; None if unknown or expired."""
        if not looks_like_session_id(session_id):
            return None
        assert isinstance(session_id, str)
        now = time.time() if now is None else now
        key = f"{self._p}session:{session_id}"
        with guarded():
            # redis-py types its commands for both the sync and the async client.
            row = await cast(Awaitable[dict[str, str]], self._redis.hgetall(key))
            if not row or now - float(row["last_seen"]) > self._ttl or now - float(row["created"]) > self._max_age:
                return None
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(key, "last_seen", repr(now))
                pipe.expire(key, self._expiry(float(row["created"]), now))
                pipe.zadd(f"{self._p}sessions", {session_id: now})
                await pipe.execute()
        return Session(session_id, row["conversation_id"], row["municipality"] or None, float(row["created"]), now)

    def _expiry(self, created: float, now: float) -> int:
        """Seconds Redis keeps a session key from ``now``: until it idles out or reaches its maximum age."""
        return max(1, min(self._expire, math.ceil(created + self._max_age - now) + 1))

    async def delete(self, session_id: str) -> bool:
        """Forget a session at once (the resident deleted their conversation); True if it existed."""
        with guarded():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(f"{self._p}session:{session_id}")
                pipe.zrem(f"{self._p}sessions", session_id)
                pipe.zrem(f"{self._p}sessions:created", session_id)
                existed, _, _ = await pipe.execute()
        return bool(existed)

    async def offered(self, conversation_id: str) -> list[str]:
        """Payloads the bot has recently offered in this conversation, newest last."""
        with guarded():
            raw = await self._redis.get(f"{self._p}offers:{conversation_id}")
        value = json.loads(raw) if raw else []
        return [p for p in value if isinstance(p, str)] if isinstance(value, list) else []

    async def remember_offers(self, conversation_id: str, payloads: list[str], now: float | None = None) -> None:
        """Add the payloads of the buttons just shown; the oldest beyond MAX_OFFERED are forgotten."""
        if not payloads:
            return
        now = time.time() if now is None else now
        # Read-modify-write is safe here: a conversation's turns run one at a time (ConversationLocks).
        merged = [p for p in await self.offered(conversation_id) if p not in payloads] + list(dict.fromkeys(payloads))
        with guarded():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(
                    f"{self._p}offers:{conversation_id}",
                    json.dumps(merged[-MAX_OFFERED:], ensure_ascii=False),
                    ex=self._expire,
                )
                pipe.zadd(f"{self._p}offers", {conversation_id: now})
                await pipe.execute()

    async def forget_conversation(self, conversation_id: str) -> None:
        """Drop what the gateway keeps about a conversation (e.g. a LINE user who unfollowed)."""
        with guarded():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(f"{self._p}offers:{conversation_id}")
                pipe.zrem(f"{self._p}offers", conversation_id)
                await pipe.execute()

    async def purge(self, now: float | None = None) -> int:
        """Delete expired sessions and stale offers; returns how many sessions went."""
        now = time.time() if now is None else now
        cutoff = f"({now - self._ttl!r}"
        with guarded():
            idle: list[str] = await self._redis.zrangebyscore(f"{self._p}sessions", "-inf", cutoff)
            old: list[str] = await self._redis.zrangebyscore(
                f"{self._p}sessions:created", "-inf", f"({now - self._max_age!r}"
            )
            sessions = sorted(set(idle) | set(old))
            offers: list[str] = await self._redis.zrangebyscore(f"{self._p}offers", "-inf", cutoff)
            async with self._redis.pipeline(transaction=True) as pipe:
                for sid in sessions:
                    pipe.delete(f"{self._p}session:{sid}")
                    pipe.zrem(f"{self._p}sessions", sid)
                    pipe.zrem(f"{self._p}sessions:created", sid)
                for cid in offers:
                    pipe.delete(f"{self._p}offers:{cid}")
                    pipe.zrem(f"{self._p}offers", cid)
                await pipe.execute()
        return len(sessions)


class RedisLimiter:
    """``SlidingWindowLimiter`` in Redis: one sorted set per key, expiring with its window."""

    def __init__(self, redis: Redis, prefix: str, limit: int, window_seconds: float = 60.0) -> None:
        """Keys start with ``prefix`` (which names the limiter)."""
        self._redis = redis
        self._p = prefix
        self._limit = limit
        self._window_ms = int(window_seconds * 1000)
        self._allow = redis.register_script(_ALLOW)
        self._window = redis.register_script(_WINDOW)

    async def allow(self, key: str, now: float | None = None) -> bool:
        """Record an event for ``key`` and tell whether it is within the limit (refused events are not counted)."""
        member = secrets.token_hex(8)
        with guarded():
            allowed = await self._allow(keys=[self._p + key], args=[self._limit, self._window_ms, _ms(now), member])
        return bool(allowed)

    async def _state(self, key: str, now: float | None) -> tuple[int, int]:
        with guarded():
            count, age = await self._window(keys=[self._p + key], args=[self._window_ms, _ms(now)])
        return int(count), int(age)

    async def is_exhausted(self, key: str, now: float | None = None) -> bool:
        """Whether ``key`` has used up its limit in the current window (nothing is recorded)."""
        count, _ = await self._state(key, now)
        return count >= self._limit

    async def retry_after(self, key: str, now: float | None = None) -> int:
        """Whole seconds until ``key`` may send again (at least 1)."""
        count, age_ms = await self._state(key, now)
        if count == 0 or age_ms < 0:
            return 1
        return max(1, int((self._window_ms - age_ms) / 1000) + 1)


class RedisDeduplicator:
    """``EventDeduplicator`` in Redis: SET NX claims the event for one gateway; "done" keeps it for the TTL."""

    def __init__(self, redis: Redis, prefix: str, ttl_seconds: float = 3 * 24 * 3600) -> None:
        """Ids older than ``ttl_seconds`` are forgotten by Redis itself."""
        self._redis = redis
        self._p = prefix
        self._ttl = max(1, math.ceil(ttl_seconds))
        # Which gateway process holds a claim: a release never drops a claim another gateway made later.
        self._claimed = f"claimed:{secrets.token_hex(8)}"
        self._release = redis.register_script(_COMPARE_AND_DELETE)

    def _key(self, event_id: object) -> str | None:
        if not isinstance(event_id, str) or not event_id:
            return None
        return f"{self._p}event:{event_id[:MAX_EVENT_ID]}"

    async def claim(self, event_id: object) -> bool:
        """True if this event should be handled now (neither handled before nor being handled); ids are optional."""
        key = self._key(event_id)
        if key is None:
            return True
        with guarded():
            return bool(await self._redis.set(key, self._claimed, nx=True, ex=min(CLAIM_TTL_SECONDS, self._ttl)))

    async def done(self, event_id: object, now: float | None = None) -> None:
        """Record a claimed event as handled: a later delivery of it is a duplicate."""
        key = self._key(event_id)
        if key is not None:
            with guarded():
                await self._redis.set(key, "done", ex=self._ttl)

    async def release(self, event_id: object) -> None:
        """Give a claimed event up unhandled: a redelivery of it will be handled."""
        key = self._key(event_id)
        if key is not None:
            with guarded():
                await self._release(keys=[key], args=[self._claimed])

    async def purge(self, now: float | None = None) -> int:
        """Nothing to do: every id carries its own expiry in Redis."""
        return 0


class RedisLocks:
    """A conversation's turn lock across gateways: SET NX PX with a random token, freed by compare-and-delete.

    The expiry bounds how long a crashed gateway can block a conversation; it exceeds a turn's whole deadline, so
    a live holder never loses its lock mid-turn.
    """

    def __init__(self, redis: Redis, prefix: str, ttl_seconds: float) -> None:
        """Keys start with ``prefix``; a lock left by a dead holder is gone after ``ttl_seconds``."""
        self._redis = redis
        self._p = prefix
        self._ttl_ms = int(ttl_seconds * 1000)
        self._release = redis.register_script(_COMPARE_AND_DELETE)

    @asynccontextmanager
    async def hold(self, conversation_id: str, deadline: float) -> AsyncIterator[None]:
        """Hold the lock of ``conversation_id``; TimeoutError if not acquired by ``deadline`` (event-loop time)."""
        key = f"{self._p}lock:{conversation_id}"
        token = secrets.token_hex(16)
        try:
            async with asyncio.timeout_at(deadline):
                with guarded():
                    while not await self._redis.set(key, token, nx=True, px=self._ttl_ms):
                        await asyncio.sleep(LOCK_POLL_SECONDS)
        except TimeoutError:
            # The SET may have landed just as the deadline cut the reply off: free it rather than block for the TTL.
            await self._free(key, token)
            raise
        try:
            yield
        finally:
            await self._free(key, token)

    async def _free(self, key: str, token: str) -> None:
        try:
            with guarded():
                await self._release(keys=[key], args=[token])
        except StateUnavailable as exc:
            # The turn itself is done; the lock expires on its own.
            log.warning("conversation lock not released (%s); it expires by itself", exc)
