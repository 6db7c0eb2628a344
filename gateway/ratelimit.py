"""Per-key sliding-window rate limits (per session, per client address, per LINE conversation)."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import deque

from gateway.settings import Settings
from gateway.state import LimiterFactory

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


class AddressLimiter:
    """A per-address limit that also holds for an IPv6 client's /56 and /48, each with a larger limit.

    An IPv4 address has one tier. An IPv6 address is checked against its /64 (``limit``), then its /56
    (``limit * factor_56``) and its /48 (``limit * factor_48``), finest first: a refused /64 never counts against
    its /56 or /48, so one noisy subscriber does not use up its neighbours' larger allowance.
    """

    def __init__(self, limiter: LimiterFactory, name: str, limit: int, factor_56: int, factor_48: int) -> None:
        """Build one limiter per tier from ``limiter`` (named after ``name``)."""
        self._tiers = [
            limiter(name, limit),
            limiter(f"{name}-v6-56", limit * factor_56),
            limiter(f"{name}-v6-48", limit * factor_48),
        ]

    async def allow(self, key: str, now: float | None = None) -> bool:
        """Record an event for the client address ``key`` in each of its tiers; False when one is full."""
        for tier, tier_key in zip(self._tiers, address_keys(key), strict=False):
            if not await tier.allow(tier_key, now):
                return False
        return True

    async def is_exhausted(self, key: str, now: float | None = None) -> bool:
        """Whether any tier of the client address ``key`` is used up (nothing is recorded)."""
        for tier, tier_key in zip(self._tiers, address_keys(key), strict=False):
            if await tier.is_exhausted(tier_key, now):
                return True
        return False

    async def retry_after(self, key: str, now: float | None = None) -> int:
        """Whole seconds until every tier of the client address ``key`` has room again (at least 1)."""
        waits = [
            await tier.retry_after(tier_key, now)
            for tier, tier_key in zip(self._tiers, address_keys(key), strict=False)
            if await tier.is_exhausted(tier_key, now)
        ]
        return max(waits, default=1)


class SlidingWindowLimiter:
    """Allows at most ``limit`` events per key in any ``window_seconds``; memory stays bounded by ``max_keys``."""

    def __init__(self, limit: int, window_seconds: float = 60.0, max_keys: int = 100_000) -> None:
        """Configure the limit; no state until the first event."""
        self._limit = limit
        self._window = window_seconds
        self._max_keys = max_keys
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    async def allow(self, key: str, now: float | None = None) -> bool:
        """Record an event for ``key`` and tell whether it is within the limit (refused events are not counted)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            events = self._events.get(key)
            if events is None:
                if len(self._events) >= self._max_keys:
                    self._prune(now)
                events = self._events.setdefault(key, deque())
            while events and now - events[0] >= self._window:
                events.popleft()
            if len(events) >= self._limit:
                return False
            events.append(now)
            return True

    async def is_exhausted(self, key: str, now: float | None = None) -> bool:
        """Whether ``key`` has used up its limit in the current window (nothing is recorded)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            events = self._events.get(key)
            return events is not None and sum(1 for t in events if now - t < self._window) >= self._limit

    async def retry_after(self, key: str, now: float | None = None) -> int:
        """Whole seconds until ``key`` may send again (at least 1)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            events = self._events.get(key)
            if not events:
                return 1
            return max(1, int(self._window - (now - events[0])) + 1)

    def _prune(self, now: float) -> None:
        for key in [k for k, ev in self._events.items() if not ev or now - ev[-1] >= self._window]:
            del self._events[key]
        if len(self._events) >= self._max_keys:
            # Under a flood of distinct keys, forgetting the oldest is better than growing without bound.
            for key in list(self._events)[: len(self._events) // 2]:
                del self._events[key]


def address_limiter(limiter: LimiterFactory, name: str, limit: int, settings: Settings) -> AddressLimiter:
    """An ``AddressLimiter`` with the IPv6 tier factors of ``settings``."""
    return AddressLimiter(limiter, name, limit, settings.rate_limit_ipv6_56_factor, settings.rate_limit_ipv6_48_factor)
