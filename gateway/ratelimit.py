"""Moving-window rate limits (per session, per client address, per LINE conversation) with the ``limits`` library.

One API over two storages chosen by URI: memory for one gateway (make run), Redis for gateways that share their
windows (make run-scaled).
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from limits import RateLimitItemPerSecond
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string

from gateway.settings import Settings
from gateway.state import StateUnavailable

WINDOW_SECONDS = 60
IPV6_PREFIX = 64
# Coarser IPv6 prefixes a client also counts against: one subscriber may hold a /56 or a /48 and rotate through its
# 256 or 65,536 /64s. Each tier has its own, larger limit (see AddressLimiter).
IPV6_TIERS = (IPV6_PREFIX, 56, 48)


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


@contextmanager
def _guarded() -> Iterator[None]:
    """A Redis failure (``wrap_exceptions``) becomes StateUnavailable, the endpoints' polite 503."""
    try:
        yield
    except StorageError as exc:
        raise StateUnavailable(type(exc.storage_error).__name__) from exc


class Limiter:
    """At most ``limit`` events per key in any window; a refused event is not counted."""

    def __init__(self, strategy: MovingWindowRateLimiter, name: str, limit: int, window: int = WINDOW_SECONDS) -> None:
        """Keys are namespaced by ``name``, so two limiters never share one."""
        self._strategy = strategy
        self._item = RateLimitItemPerSecond(limit, window)
        self._name = name

    async def allow(self, key: str) -> bool:
        """Record an event for ``key`` and tell whether it is within the limit."""
        with _guarded():
            return await self._strategy.hit(self._item, self._name, key)

    async def is_exhausted(self, key: str) -> bool:
        """Whether ``key`` has used up its limit in the current window (nothing is recorded)."""
        with _guarded():
            return not await self._strategy.test(self._item, self._name, key)

    async def retry_after(self, key: str) -> int:
        """Whole seconds until ``key`` may send again (at least 1)."""
        with _guarded():
            stats = await self._strategy.get_window_stats(self._item, self._name, key)
        return 1 if stats.remaining > 0 else max(1, int(stats.reset_time - time.time()) + 1)


class AddressLimiter:
    """A per-address limit that also holds for an IPv6 client's /56 and /48, each with a larger limit.

    An IPv4 address has one tier. An IPv6 address is checked against its /64 (``limit``), then its /56
    (``limit * factor_56``) and its /48 (``limit * factor_48``), finest first: a refused /64 never counts against
    its /56 or /48, so one noisy subscriber does not use up its neighbours' larger allowance.
    """

    def __init__(self, limiter: Callable[[str, int], Limiter], name: str, limit: int, settings: Settings) -> None:
        """Build one limiter per tier from ``limiter`` (named after ``name``), with the IPv6 factors of ``settings``."""
        self._tiers = [
            limiter(name, limit),
            limiter(f"{name}-v6-56", limit * settings.rate_limit_ipv6_56_factor),
            limiter(f"{name}-v6-48", limit * settings.rate_limit_ipv6_48_factor),
        ]

    async def allow(self, key: str) -> bool:
        """Record an event for the client address ``key`` in each of its tiers; False when one is full."""
        for tier, tier_key in zip(self._tiers, address_keys(key), strict=False):
            if not await tier.allow(tier_key):
                return False
        return True

    async def retry_after(self, key: str) -> int:
        """Whole seconds until every tier of the client address ``key`` has room again (at least 1)."""
        waits = [
            await tier.retry_after(tier_key)
            for tier, tier_key in zip(self._tiers, address_keys(key), strict=False)
            if await tier.is_exhausted(tier_key)
        ]
        return max(waits, default=1)


class Limiters:
    """Makes the gateway's limiters on one storage: ``memory://`` (SQLite state) or the state's Redis."""

    def __init__(self, settings: Settings) -> None:
        """Choose the storage by ``GATEWAY_STATE``; call inside the running event loop (Redis pools bind to it)."""
        self._settings = settings
        if settings.gateway_state == "redis":
            # Same server, prefix and fail-fast timeouts as the rest of the gateway's state (gateway.state).
            storage = storage_from_string(
                "async+" + settings.redis_url,
                implementation="redispy",
                key_prefix=f"{settings.redis_key_prefix}rl",
                wrap_exceptions=True,
                socket_timeout=settings.redis_timeout_seconds,
                socket_connect_timeout=settings.redis_timeout_seconds,
            )
        else:
            storage = storage_from_string("async+memory://", wrap_exceptions=True)
        self._strategy = MovingWindowRateLimiter(storage)

    def __call__(self, name: str, limit: int) -> Limiter:
        """A limiter named ``name`` allowing ``limit`` events per minute."""
        return Limiter(self._strategy, name, limit)

    def per_address(self, name: str, limit: int) -> AddressLimiter:
        """An ``AddressLimiter`` with the IPv6 tier factors of the settings."""
        return AddressLimiter(self, name, limit, self._settings)
