"""Builds the gateway's state from its settings: SQLite in-process (the default) or Redis shared by gateways."""

from __future__ import annotations

import logging

from gateway.db import Database
from gateway.line.dedupe import EventDeduplicator
from gateway.locks import LocalLocks
from gateway.ratelimit import SlidingWindowLimiter
from gateway.redis_state import RedisDeduplicator, RedisLimiter, RedisLocks, RedisSessionStore, connect
from gateway.sessions import SessionStore
from gateway.settings import Settings
from gateway.state import GatewayState, RateLimiter

log = logging.getLogger(__name__)
# LINE redelivers well within three days; RETENTION_DAYS may shorten it.
DEDUPE_TTL_SECONDS = 3 * 24 * 3600.0
# A Redis turn lock outlives the turn's own deadline by this much, so a live holder never loses it mid-turn.
LOCK_TTL_MARGIN_SECONDS = 5.0


def open_state(settings: Settings) -> GatewayState:
    """The state backend chosen by ``GATEWAY_STATE``; call inside the running event loop (Redis pools bind to it)."""
    # Nothing about a conversation outlives the retention period (RETENTION_DAYS), whatever the other TTLs say.
    session_ttl = int(min(settings.session_ttl_seconds, settings.retention_seconds))
    session_max_age = int(min(settings.session_max_age_seconds, settings.retention_seconds))
    dedupe_ttl = min(DEDUPE_TTL_SECONDS, settings.retention_seconds)
    if settings.gateway_state == "redis":
        redis = connect(settings.redis_url, settings.redis_timeout_seconds)
        prefix = settings.redis_key_prefix
        log.info("gateway state in Redis (key prefix %r)", prefix)

        def redis_limiter(name: str, limit: int) -> RateLimiter:
            return RedisLimiter(redis, f"{prefix}rl:{name}:", limit)

        async def close_redis() -> None:
            await redis.aclose()

        return GatewayState(
            sessions=RedisSessionStore(redis, prefix, session_ttl, session_max_age),
            dedupe=RedisDeduplicator(redis, prefix, dedupe_ttl),
            locks=RedisLocks(redis, prefix, settings.rasa_timeout_seconds + LOCK_TTL_MARGIN_SECONDS),
            limiter=redis_limiter,
            close=close_redis,
            housekeeping=lambda: None,
        )
    db = Database(settings.db_path)

    def local_limiter(name: str, limit: int) -> RateLimiter:
        return SlidingWindowLimiter(limit)

    async def close_db() -> None:
        db.close()

    return GatewayState(
        sessions=SessionStore(db, session_ttl, session_max_age),
        dedupe=EventDeduplicator(db, dedupe_ttl),
        locks=LocalLocks(),
        limiter=local_limiter,
        close=close_db,
        housekeeping=db.restrict_files,
    )
