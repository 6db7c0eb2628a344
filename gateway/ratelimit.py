"""Per-key sliding-window rate limits (per session, per client address, per LINE conversation)."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import deque

IPV6_PREFIX = 64


def address_key(address: str) -> str:
    """The rate-limit key of a client address: IPv4 as is, IPv6 by its /64 (one subscriber gets a whole /64)."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False))
    return str(ip)


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
