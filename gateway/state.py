"""The gateway's own state, what Rasa cannot keep: web sessions, rate-limit windows and handled LINE event ids.

Sessions and event ids are written once, over keys with a lifetime: a SQLite file for one gateway
(``GATEWAY_STATE=sqlite``, make run: sessions survive a restart) or Redis for gateways that behave as one
(``GATEWAY_STATE=redis``, make run-scaled). Rate windows are the ``limits`` library's moving windows (per session,
per client address, per LINE conversation), in memory or in the same Redis. A Redis error or timeout becomes
``StateUnavailable``, which the endpoints turn into a polite 503.
"""

from __future__ import annotations

import ipaddress
import json
import math
import os
import re
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string
from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.http import ApiError
from gateway.settings import Settings

# 32 random bytes, URL-safe base64 without padding: what secrets.token_urlsafe(32) returns.
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")
# LINE redelivers well within three days; RETENTION_DAYS may shorten it.
DEDUPE_TTL_SECONDS = 3 * 24 * 3600.0
# How long a LINE event stays claimed by a gateway that neither finished nor released it (it crashed): after that,
# a redelivery is handled again. Longer than any queue plus turn plus reply.
CLAIM_TTL_SECONDS = 300.0
MAX_EVENT_ID = 128
# The value of an event's key while a gateway handles it ("done" once handled).
CLAIM = "claim:"
# Deletes a key only if it still holds our token: a claim that expired and was taken by another gateway stays.
_COMPARE_AND_DELETE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
WINDOW_SECONDS = 60
# What a resident is told when a limit refuses their message (web and LINE alike).
RATE_LIMITED = "短時間に多くのメッセージが送られました。少し時間をおいてからお試しください。"
# Coarser IPv6 prefixes a client also counts against: one subscriber may hold a /56 or a /48 and rotate through its
# 256 or 65,536 /64s. Each tier has its own, larger limit (see Limiter).
IPV6_TIERS = (64, 56, 48)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL NOT NULL);
CREATE INDEX IF NOT EXISTS kv_expires ON kv(expires);
"""


class StateUnavailable(Exception):
    """The shared state store (Redis) did not answer in time: the caller degrades politely, it never crashes."""


@contextmanager
def guarded() -> Iterator[None]:
    """Turn any Redis failure (refused, reset, timed out; ``limits`` wraps its own) into StateUnavailable."""
    try:
        yield
    except (RedisError, OSError, StorageError) as exc:
        raise StateUnavailable(type(getattr(exc, "storage_error", exc)).__name__) from exc


class SqliteKeyValue:
    """One table in one file, for one gateway process; every statement is tiny, so callers run it inline."""

    def __init__(self, path: str) -> None:
        """Open (creating if needed) the file; claims left by a previous process are dropped."""
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        # Used from the event loop's thread only, one tiny statement at a time: no lock, no thread pool.
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=5.0)
        # Purged rows must not linger in free pages.
        self._conn.execute("PRAGMA secure_delete=ON")
        if path != ":memory:":
            # WAL without a sync per commit keeps writes sub-millisecond; a power cut loses at most recent sessions.
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        # Claims belong to the process that made them: a SQLite file has one gateway, so its claims die with it.
        self._conn.execute("DELETE FROM kv WHERE value LIKE ?", (CLAIM + "%",))
        self._restrict_files()

    def _restrict_files(self) -> None:
        """Make the database and its WAL files readable by the service's user only (0600)."""
        for suffix in ("", "-wal", "-shm") if self._path != ":memory:" else ():
            with suppress(FileNotFoundError):
                os.chmod(self._path + suffix, 0o600)

    async def get(self, key: str, now: float) -> str | None:
        """The live value of ``key``, or None."""
        row = self._conn.execute("SELECT value FROM kv WHERE key = ? AND expires > ?", (key, now)).fetchone()
        return None if row is None else str(row[0])

    async def put(self, key: str, value: str, ttl: float, now: float, only_new: bool = False) -> bool:
        """Store ``value`` for ``ttl`` seconds; with ``only_new``, only if ``key`` is absent (True if stored)."""
        keep = "WHERE kv.expires <= ?" if only_new else "WHERE ? IS NOT NULL"
        sql = "INSERT INTO kv VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
        return bool(
            self._conn.execute(sql + f"expires = excluded.expires {keep}", (key, value, now + ttl, now)).rowcount
        )

    async def delete(self, key: str, only_if: str | None = None) -> bool:
        """Delete ``key`` (only if it holds ``only_if``, when given); True if it was there."""
        sql = "DELETE FROM kv WHERE key = ? AND expires > ? AND (? IS NULL OR value = ?)"
        return bool(self._conn.execute(sql, (key, time.time(), only_if, only_if)).rowcount)

    async def purge(self, now: float) -> int:
        """Delete what has expired; returns how many keys went."""
        self._restrict_files()
        return int(self._conn.execute("DELETE FROM kv WHERE expires <= ?", (now,)).rowcount)

    async def close(self) -> None:
        """Close the file."""
        self._conn.close()


class RedisKeyValue:
    """Keys under a prefix in Redis; short timeouts and no retries, so a Redis outage costs a polite 503."""

    def __init__(self, url: str, prefix: str, timeout_seconds: float) -> None:
        """A pooled client that fails fast; the pool reconnects by itself when Redis returns."""
        self._redis = Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=timeout_seconds,
            socket_connect_timeout=timeout_seconds,
            retry_on_timeout=False,
        )
        self._p = prefix
        self._compare_and_delete = self._redis.register_script(_COMPARE_AND_DELETE)

    async def get(self, key: str, now: float) -> str | None:
        """The live value of ``key``, or None."""
        with guarded():
            value = await self._redis.get(self._p + key)
        return None if value is None else str(value)

    async def put(self, key: str, value: str, ttl: float, now: float, only_new: bool = False) -> bool:
        """Store ``value`` for ``ttl`` seconds; with ``only_new``, only if ``key`` is absent (True if stored)."""
        with guarded():
            return bool(await self._redis.set(self._p + key, value, px=max(1, math.ceil(ttl * 1000)), nx=only_new))

    async def delete(self, key: str, only_if: str | None = None) -> bool:
        """Delete ``key`` (only if it holds ``only_if``, when given); True if it was there."""
        with guarded():
            if only_if is None:
                return bool(await self._redis.delete(self._p + key))
            return bool(await self._compare_and_delete(keys=[self._p + key], args=[only_if]))

    async def purge(self, now: float) -> int:
        """Nothing to do: every key carries its own expiry in Redis."""
        return 0

    async def close(self) -> None:
        """Release pooled connections."""
        await self._redis.aclose()


# Strings under keys that expire, in either store; ``now`` is the caller's clock (Redis counts lifetimes itself).
KeyValue = SqliteKeyValue | RedisKeyValue


@dataclass(frozen=True)
class Session:
    """A web chat session: its bearer id, the Rasa sender id behind it and the city fixed by the embedding."""

    session_id: str
    conversation_id: str
    municipality: str | None
    created: float


def looks_like_session_id(value: object) -> bool:
    """Cheap shape check of a session id (a 256-bit bearer token) so junk never reaches the store."""
    return isinstance(value, str) and bool(_SESSION_ID.match(value))


class Sessions:
    """Creates, finds and expires web sessions: idle for the TTL or older than the maximum age, a session is gone."""

    def __init__(self, kv: KeyValue, ttl_seconds: float, max_age_seconds: float | None = None) -> None:
        """Keep sessions in ``kv``; the maximum age counts from issue, however recently used (default: the TTL)."""
        self._kv = kv
        self._ttl = ttl_seconds
        self._max_age = ttl_seconds if max_age_seconds is None else max_age_seconds

    async def _save(self, session: Session, now: float) -> None:
        # The key lives until the session idles out or reaches its maximum age, whichever comes first.
        ttl = min(self._ttl, session.created + self._max_age - now)
        fields = {"conversation_id": session.conversation_id, "municipality": session.municipality}
        value = json.dumps({**fields, "created": session.created, "last_seen": now})
        await self._kv.put(f"session:{session.session_id}", value, ttl, now)

    async def create(self, municipality: str | None, now: float | None = None) -> Session:
        """Issue a new session."""
        now = time.time() if now is None else now
        # The Rasa sender id is random too, unrelated to the token: Rasa's tracker store never holds a bearer token.
        session = Session(secrets.token_urlsafe(32), f"web-{secrets.token_hex(16)}", municipality, now)
        await self._save(session, now)
        return session

    async def get(self, session_id: object, now: float | None = None) -> Session | None:
        """The live session with this id, refreshing its last-seen time; None if unknown or expired."""
        if not looks_like_session_id(session_id):
            return None
        now = time.time() if now is None else now
        raw = await self._kv.get(f"session:{session_id}", now)
        row = json.loads(raw) if raw else None
        if not row or now - row["last_seen"] > self._ttl or now - row["created"] > self._max_age:
            return None
        session = Session(str(session_id), row["conversation_id"], row["municipality"], row["created"])
        await self._save(session, now)
        return session

    async def delete(self, session_id: str) -> bool:
        """Forget a session at once (the resident deleted their conversation); True if it existed."""
        return await self._kv.delete(f"session:{session_id}")


class EventClaims:
    """LINE ``webhookEventId`` de-duplication: one key per event, claimed while being handled, then marked done.

    "Handled" means answered, or its push fallback tried, or nothing to answer: an event whose reply failed is
    released, so a redelivery of it is processed again instead of being dropped as a duplicate.
    """

    def __init__(self, kv: KeyValue, ttl_seconds: float = DEDUPE_TTL_SECONDS) -> None:
        """Handled ids are forgotten after ``ttl_seconds`` (LINE redelivers well within that)."""
        self._kv = kv
        self._ttl = ttl_seconds
        # The claim's value names this process: a release never drops a claim another gateway made later.
        self._token = CLAIM + secrets.token_hex(8)

    async def claim(self, event_id: object) -> bool:
        """True if this event should be handled now (neither handled before nor being handled); ids are optional."""
        key, ttl = _event_key(event_id), min(CLAIM_TTL_SECONDS, self._ttl)
        return key is None or await self._kv.put(key, self._token, ttl, time.time(), only_new=True)

    async def done(self, event_id: object) -> None:
        """Record a claimed event as handled: a later delivery of it is a duplicate."""
        if key := _event_key(event_id):
            await self._kv.put(key, "done", self._ttl, time.time())

    async def release(self, event_id: object) -> None:
        """Give a claimed event up unhandled: a redelivery of it will be handled."""
        if key := _event_key(event_id):
            await self._kv.delete(key, only_if=self._token)


def _event_key(event_id: object) -> str | None:
    """The key of a LINE event id; None for an event without one."""
    return f"event:{event_id[:MAX_EVENT_ID]}" if isinstance(event_id, str) and event_id else None


def address_keys(address: str) -> list[str]:
    """The rate-limit keys of a client address, finest first: IPv4 as is; IPv6 by its /64, /56 and /48."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return [address]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return [str(ip.ipv4_mapped)]
        return [str(ipaddress.IPv6Network((ip, prefix), strict=False)) for prefix in IPV6_TIERS]
    return [str(ip)]


def address_key(address: str) -> str:
    """The key of one client: IPv4 as is, IPv6 by its /64 (one subscriber gets at least a whole /64)."""
    return address_keys(address)[0]


class Limiter:
    """At most ``limit`` events per key in any window; a refused event is not counted.

    With ``factors`` the key is a client address whose IPv6 /56 and /48 also hold, at ``limit`` times each factor.
    Tiers are checked finest first: a refused /64 never counts against its /56 or /48, so one noisy subscriber does
    not use up its neighbours' larger allowance. An IPv4 address has one tier.
    """

    def __init__(
        self,
        strategy: MovingWindowRateLimiter,
        name: str,
        limit: int,
        window: int = WINDOW_SECONDS,
        factors: tuple[int, ...] = (),
    ) -> None:
        """Keys are namespaced by ``name`` (and the tier), so two limiters never share one."""
        self._strategy = strategy
        self._tiers: list[tuple[RateLimitItem, str]] = [(RateLimitItemPerSecond(limit, window), name)]
        for factor, prefix in zip(factors, IPV6_TIERS[1:], strict=False):
            self._tiers.append((RateLimitItemPerSecond(limit * factor, window), f"{name}-v6-{prefix}"))

    def _keyed(self, key: str) -> list[tuple[RateLimitItem, str, str]]:
        keys = address_keys(key) if len(self._tiers) > 1 else [key]
        return [(item, name, tier_key) for (item, name), tier_key in zip(self._tiers, keys, strict=False)]

    async def allow(self, key: str) -> bool:
        """Record an event for ``key`` in each of its tiers and tell whether it is within the limit."""
        with guarded():
            for item, name, tier_key in self._keyed(key):
                if not await self._strategy.hit(item, name, tier_key):
                    return False
        return True

    async def retry_after(self, key: str) -> int:
        """Whole seconds until every tier of ``key`` has room again (at least 1)."""
        waits = [1]
        with guarded():
            for item, name, tier_key in self._keyed(key):
                stats = await self._strategy.get_window_stats(item, name, tier_key)
                if stats.remaining <= 0:
                    waits.append(int(stats.reset_time - time.time()) + 1)
        return max(waits)

    async def check(self, key: str, message: str) -> None:
        """Record an event for ``key``; beyond the limit, ApiError 429 ``rate_limited`` with ``Retry-After``."""
        if not await self.allow(key):
            retry_after = {"Retry-After": str(await self.retry_after(key))}
            raise ApiError(429, "rate_limited", message, headers=retry_after)


class Limiters:
    """Makes the gateway's limiters on one storage: ``memory://`` (SQLite state) or the state's Redis."""

    def __init__(self, settings: Settings) -> None:
        """Choose the storage by ``GATEWAY_STATE``; call inside the running event loop (Redis pools bind to it)."""
        self._factors = (settings.rate_limit_ipv6_56_factor, settings.rate_limit_ipv6_48_factor)
        # Same server, prefix and fail-fast timeouts as the sessions and event ids (RedisKeyValue).
        redis: dict[str, Any] = dict(
            implementation="redispy",
            key_prefix=f"{settings.redis_key_prefix}rl",
            socket_timeout=settings.redis_timeout_seconds,
            socket_connect_timeout=settings.redis_timeout_seconds,
        )
        uri = "async+" + settings.redis_url if settings.gateway_state == "redis" else "async+memory://"
        storage = storage_from_string(uri, wrap_exceptions=True, **(redis if settings.gateway_state == "redis" else {}))
        self._strategy = MovingWindowRateLimiter(storage)

    def __call__(self, name: str, limit: int) -> Limiter:
        """A limiter named ``name`` allowing ``limit`` events per minute."""
        return Limiter(self._strategy, name, limit)

    def per_address(self, name: str, limit: int) -> Limiter:
        """A per-address limiter with the IPv6 tier factors of the settings."""
        return Limiter(self._strategy, name, limit, factors=self._factors)


@dataclass
class GatewayState:
    """The state of one gateway process: one key/value store behind sessions and LINE event claims, and its limiters."""

    kv: KeyValue
    sessions: Sessions
    events: EventClaims
    limiters: Limiters

    async def close(self) -> None:
        """Close the store."""
        await self.kv.close()


def open_state(settings: Settings) -> GatewayState:
    """The store chosen by ``GATEWAY_STATE``; call inside the running event loop (Redis pools bind to it).

    Nothing about a conversation outlives the retention period (RETENTION_DAYS), whatever the other TTLs say.
    """
    kv: KeyValue = (
        RedisKeyValue(settings.redis_url, settings.redis_key_prefix, settings.redis_timeout_seconds)
        if settings.gateway_state == "redis"
        else SqliteKeyValue(settings.database)
    )
    retention = settings.retention_seconds
    sessions = Sessions(
        kv, min(settings.session_ttl_seconds, retention), min(settings.session_max_age_seconds, retention)
    )
    return GatewayState(kv, sessions, EventClaims(kv, min(DEDUPE_TTL_SECONDS, retention)), Limiters(settings))
