"""Moving-window rate limits (per session, per client address, per LINE conversation) with the ``limits`` library.

One API over two storages chosen by URI: memory for one gateway (make run), Redis for gateways that share their
windows (make run-scaled).
"""

from __future__ import annotations

import ipaddress
import time
from typing import Any

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from gateway.http import ApiError
from gateway.settings import Settings
from gateway.state import guarded

WINDOW_SECONDS = 60
# Coarser IPv6 prefixes a client also counts against: one subscriber may hold a /56 or a /48 and rotate through its
# 256 or 65,536 /64s. Each tier has its own, larger limit (see Limiter).
IPV6_TIERS = (64, 56, 48)


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
        # Same server, prefix and fail-fast timeouts as the rest of the gateway's state (gateway.state).
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
