"""The gateway's state (sessions, LINE event ids, rate windows), run on both stores (SQLite and Redis) by ``state_settings``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis

from gateway.settings import Settings
from gateway.state import GatewayState, Limiter, Limiters, looks_like_session_id, open_state
from gateway.turns import TurnService
from testkit.redis_server import RedisServer, redis_server_binary


def run_with_state(settings: Settings, body: Callable[[GatewayState], Awaitable[None]]) -> None:
    """Open the backend inside a fresh event loop (Redis pools bind to their loop), run ``body``, close it."""

    async def main() -> None:
        state = open_state(settings)
        try:
            await body(state)
        finally:
            await state.close()

    asyncio.run(main())


def purged(settings: Settings, count: int) -> int:
    """What a purge reports: SQLite deletes expired rows; Redis expires keys by itself (nothing to purge)."""
    return count if settings.gateway_state == "sqlite" else 0


def test_session_ttl(state_settings: Settings) -> None:
    """Sessions expire after the TTL since last use (the buttons offered are Rasa's tracker's: the channel's test)."""

    async def body(state: GatewayState) -> None:
        store = state.sessions
        session = await store.create("mitaka", now=1000)
        assert looks_like_session_id(session.session_id)
        found = await store.get(session.session_id, now=1050)
        assert found is not None and found.conversation_id == session.conversation_id
        assert found.municipality == "mitaka" and found.created == 1000
        assert await store.get(session.session_id, now=1149) is not None  # last_seen was refreshed at 1050
        assert await store.get(session.session_id, now=1300) is None
        assert await store.get("not-a-session-id") is None
        assert await state.kv.purge(1300) == purged(state_settings, 1)
        assert await state.kv.purge(1300) == 0

    run_with_state(state_settings.model_copy(update={"session_ttl_seconds": 100}), body)


def test_session_without_municipality(state_settings: Settings) -> None:
    async def body(state: GatewayState) -> None:
        session = await state.sessions.create(None)
        found = await state.sessions.get(session.session_id)
        assert found is not None and found.municipality is None

    run_with_state(state_settings, body)


def test_sessions_end_at_their_maximum_age_even_in_use(state_settings: Settings) -> None:
    """SESSION_MAX_AGE_SECONDS is absolute: a session used every minute still ends that long after it was issued,
    and the purge removes it; deleting one forgets it at once."""

    async def body(state: GatewayState) -> None:
        store = state.sessions
        session = await store.create(None, now=1000)
        for now in range(1030, 1300, 30):
            assert await store.get(session.session_id, now=now) is not None
        assert await store.get(session.session_id, now=1301) is None
        assert await state.kv.purge(1301) == purged(state_settings, 1)
        kept, deleted = await store.create(None), await store.create(None)
        assert await store.delete(deleted.session_id)
        assert await store.get(deleted.session_id) is None
        assert not await store.delete(deleted.session_id)
        assert await store.get(kept.session_id) is not None

    run_with_state(state_settings.model_copy(update={"session_ttl_seconds": 100, "session_max_age_seconds": 300}), body)


def test_stale_sessions_are_purged(state_settings: Settings) -> None:
    async def body(state: GatewayState) -> None:
        old = await state.sessions.create(None, now=1000)
        new = await state.sessions.create(None, now=1090)
        assert await state.kv.purge(1150) == purged(state_settings, 1)
        assert await state.sessions.get(old.session_id, now=1150) is None
        assert await state.sessions.get(new.session_id, now=1150) is not None

    run_with_state(state_settings.model_copy(update={"session_ttl_seconds": 100}), body)


def test_event_dedupe_claim_done_release(state_settings: Settings) -> None:
    """Claimed once while in flight, a duplicate once done, handled again once released; ids are optional."""

    async def body(state: GatewayState) -> None:
        dedupe = state.events
        assert await dedupe.claim("E1") and not await dedupe.claim("E1")
        await dedupe.done("E1")
        assert not await dedupe.claim("E1")
        assert await dedupe.claim(None) and await dedupe.claim(None) and await dedupe.claim("")
        assert await dedupe.claim("E2")
        await dedupe.release("E2")
        assert await dedupe.claim("E2")
        long_id = "x" * 500
        assert await dedupe.claim(long_id) and not await dedupe.claim(long_id[:128] + "y")

    run_with_state(state_settings, body)


def test_event_dedupe_survives_a_restart(state_settings: Settings) -> None:
    """A handled id stays handled for a new process (new connection) on the same store."""

    async def first(state: GatewayState) -> None:
        assert await state.events.claim("E1")
        await state.events.done("E1")

    async def second(state: GatewayState) -> None:
        assert not await state.events.claim("E1")

    run_with_state(state_settings, first)
    run_with_state(state_settings, second)


def test_limiter_sliding_window(state_settings: Settings) -> None:
    """The limiter refuses the (N+1)th event in a window and recovers after it; limiters never share keys."""

    async def body(state: GatewayState) -> None:
        limiters = Limiters(state_settings)
        name = f"test-{time.time_ns()}"  # a fresh key space on the shared Redis
        limiter = Limiter(limiters._strategy, name, 2, window=2)
        assert [await limiter.allow("k") for _ in range(3)] == [True, True, False]
        assert await limiter.allow("other")
        assert not await limiter.allow("k")  # a refused event is not counted: still refused, nothing more
        assert 1 <= await limiter.retry_after("k") <= 3
        assert await limiter.retry_after("never") == 1
        assert await Limiter(limiters._strategy, name + "-another", 2, window=2).allow("k")
        await asyncio.sleep(2.1)
        assert await limiter.allow("k")

    run_with_state(state_settings, body)


def test_limiter_on_the_real_clock(state_settings: Settings) -> None:
    async def body(state: GatewayState) -> None:
        limiter = Limiters(state_settings)(f"clock-{time.time_ns()}", 3)
        assert [await limiter.allow("k") for _ in range(4)] == [True, True, True, False]
        assert 59 <= await limiter.retry_after("k") <= 61

    run_with_state(state_settings, body)


def test_conversation_lock_serialises_and_times_out(tmp_path: Path) -> None:
    """A second holder waits for the first; one that cannot get the lock by its deadline gets TimeoutError.

    The gateway's in-process ordering (TurnService._ordered); across gateways Rasa's lock store orders the turns."""

    async def body(_: GatewayState) -> None:
        turns = TurnService(Settings(), None, None)  # type: ignore[arg-type]
        loop = asyncio.get_running_loop()
        order: list[str] = []

        async def turn(name: str, hold_seconds: float) -> None:
            async with turns._ordered("conv", loop.time() + 3):
                order.append(f"{name} in")
                await asyncio.sleep(hold_seconds)
                order.append(f"{name} out")

        first = asyncio.create_task(turn("a", 0.3))
        await asyncio.sleep(0.05)
        await asyncio.gather(first, turn("b", 0))
        assert order == ["a in", "a out", "b in", "b out"]

        async with turns._ordered("conv", loop.time() + 1):
            started = time.monotonic()
            with pytest.raises(TimeoutError):
                async with turns._ordered("conv", loop.time() + 0.3):
                    pass
            assert 0.25 <= time.monotonic() - started < 2.0
            async with turns._ordered("other-conv", loop.time() + 0.3):
                pass  # another conversation is not blocked
        async with turns._ordered("conv", loop.time() + 0.3):
            pass  # released after a timed-out waiter too

    run_with_state(Settings(db_path=str(tmp_path / "state.sqlite3")), body)


def test_redis_keys_expire_by_themselves(redis_server: RedisServer, redis_prefix: str) -> None:
    """In Redis nothing waits for a purge: sessions, claims and event ids all carry a TTL.

    (The SQLite store is purged by the purge loop instead: test_privacy_retention.)
    """
    settings = Settings(
        gateway_state="redis",
        redis_url=redis_server.url,
        redis_key_prefix=redis_prefix,
        session_ttl_seconds=100,
        retention_seconds=50,
    )
    young = settings.model_copy(update={"retention_seconds": 1000, "session_max_age_seconds": 20})

    async def body(state: GatewayState, redis: Redis) -> None:
        session = await state.sessions.create("mitaka")
        assert await state.events.claim("E1")
        claimed_ttl = await redis.ttl(f"{settings.redis_key_prefix}event:E1")
        await state.events.done("E1")
        p = settings.redis_key_prefix
        ttls = [await redis.ttl(key) for key in (f"{p}session:{session.session_id}", f"{p}event:E1")]
        # RETENTION_DAYS (here 50 s) bounds everything, whatever the session TTL says.
        assert all(0 < ttl <= 51 for ttl in ttls), ttls
        assert 0 < claimed_ttl <= 50

    async def with_client(state: GatewayState) -> None:
        redis = Redis.from_url(settings.redis_url, decode_responses=True)
        try:
            await body(state, redis)
        finally:
            await redis.aclose()

    run_with_state(settings, with_client)

    async def max_age(state: GatewayState) -> None:
        redis = Redis.from_url(young.redis_url, decode_responses=True)
        try:
            session = await state.sessions.create(None)
            assert await state.sessions.get(session.session_id) is not None
            # Redis forgets the key once the session reaches its maximum age, however recently it was used.
            assert 0 < await redis.ttl(f"{young.redis_key_prefix}session:{session.session_id}") <= 21
        finally:
            await redis.aclose()

    run_with_state(young, max_age)


@pytest.mark.parametrize("required,outcome", [("required", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_missing_redis_server_fails_when_scaled_tests_are_required(
    monkeypatch: pytest.MonkeyPatch, required: str, outcome: type[BaseException]
) -> None:
    """CI (SCALED_TESTS=required) must not pass by skipping the Redis tests on a machine without redis-server."""
    monkeypatch.setenv("SCALED_TESTS", required)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(outcome, match="redis-server is not on PATH"):
        redis_server_binary()
