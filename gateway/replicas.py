"""Several Rasa replicas behind one client: health-checked in the background, turns spread over the healthy ones."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Sequence
from typing import Any

import httpx

from gateway.logsafe import describe_exception
from gateway.models import BotMessage
from gateway.rasa_client import RasaClient, RasaConnectionLost, RasaHealth, RasaNotAccepted, RasaUnavailable

log = logging.getLogger(__name__)


class Replica:
    """One Rasa server, its client and what the gateway currently believes about it."""

    def __init__(self, url: str, client: RasaClient) -> None:
        """Start as healthy: the first check (at startup) corrects it within one interval."""
        self.url = url
        self.client = client
        self.healthy = True
        self.detail = "not checked yet"

    def mark(self, health: RasaHealth) -> None:
        """Record a health check's outcome; a change is logged once (the URL is the operator's own loopback)."""
        healthy = health.reachable and health.model_loaded
        if healthy != self.healthy or health.detail != self.detail:
            (log.info if healthy else log.warning)("replica %s: %s", self.url, health.detail)
        self.healthy = healthy
        self.detail = health.detail

    def mark_down(self, reason: str) -> None:
        """A turn found it dead: take it out of rotation until a health check sees it back."""
        if self.healthy:
            log.warning("replica %s marked unhealthy: %s", self.url, reason)
        self.healthy = False
        self.detail = f"unreachable ({reason})"


class ReplicaPool:
    """The same interface as one ``RasaClient`` (send, health, delete_conversation, close) over N replicas.

    A turn is resent to another replica only when the first never accepted it (``RasaNotAccepted``); anything
    after the request may have been written ends in ``RasaUnavailable`` (the caller's polite fallback), never a
    second send. Conversations prefer "their" replica (rendezvous hashing over the healthy ones) so Rasa's lock
    store sees little contention, but any replica can serve any turn: the tracker store is shared.
    """

    def __init__(
        self,
        urls: Sequence[str],
        timeout_seconds: float,
        auth_token: str | None = None,
        health_interval_seconds: float = 2.0,
        transports: dict[str, httpx.AsyncBaseTransport] | None = None,
    ) -> None:
        """One client per URL; nothing connects and no background check runs until ``start``."""
        if not urls:
            raise ValueError("at least one Rasa URL is needed")
        self._timeout = timeout_seconds
        self._interval = health_interval_seconds
        self.replicas = [
            Replica(url, RasaClient(url, timeout_seconds, (transports or {}).get(url), auth_token)) for url in urls
        ]
        self._checker: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the background health checks (call inside the running event loop)."""
        if self._checker is None:
            self._checker = asyncio.create_task(self._check_forever())

    async def close(self) -> None:
        """Stop the checks and release every replica's connections."""
        if self._checker is not None:
            self._checker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checker
            self._checker = None
        for replica in self.replicas:
            await replica.client.close()

    def candidates(self, key: str) -> list[Replica]:
        """Replicas in the order to try for ``key``: healthy ones by affinity, then the rest as a last resort."""

        def weight(replica: Replica) -> tuple[bool, bytes]:
            # Rendezvous hashing: when a replica leaves, only its own conversations move; many conversations spread
            # evenly over the healthy replicas.
            return (not replica.healthy, hashlib.blake2b(f"{replica.url}|{key}".encode(), digest_size=8).digest())

        return sorted(self.replicas, key=weight)

    async def send(
        self, sender: str, message: str, metadata: dict[str, Any], timeout: float | None = None
    ) -> list[BotMessage]:
        """Run one turn on one replica within ``timeout`` seconds; raises RasaUnavailable as ``RasaClient.send``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self._timeout if timeout is None else min(timeout, self._timeout))
        last: RasaUnavailable = RasaUnavailable("no replica")
        for replica in self.candidates(sender):
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise RasaUnavailable("timeout")
            try:
                return await replica.client.send(sender, message, metadata, timeout=remaining)
            except RasaNotAccepted as exc:
                # Refused before the request was written: the turn exists nowhere yet, the next replica may take it.
                replica.mark_down(str(exc))
                last = exc
            except RasaConnectionLost as exc:
                # It may have run the turn: resending could apply it twice. The caller answers with the fallback.
                replica.mark_down(str(exc))
                raise
        raise last

    async def health(self) -> RasaHealth:
        """Check every replica now; reachable with a model when at least one is (its detail names the others)."""
        results = await asyncio.gather(*(r.client.health() for r in self.replicas))
        for replica, result in zip(self.replicas, results, strict=True):
            replica.mark(result)
        if len(self.replicas) == 1:
            return results[0]
        healthy = sum(1 for r in self.replicas if r.healthy)
        down = "; ".join(f"{r.url} {r.detail}" for r in self.replicas if not r.healthy)
        detail = f"{healthy}/{len(self.replicas)} replicas healthy" + (f" ({down})" if down else "")
        return RasaHealth(any(res.reachable for res in results), healthy > 0, detail)

    async def delete_conversation(self, sender: str) -> bool:
        """Delete the conversation through the first replica that manages it (deleting twice is harmless)."""
        for replica in self.candidates(sender):
            if await replica.client.delete_conversation(sender):
                return True
        return False

    async def _check_forever(self) -> None:
        while True:
            try:
                await self.health()
            except Exception as exc:  # noqa: BLE001 - the next round tries again
                log.error("replica health check failed: %s", describe_exception(exc))
            await asyncio.sleep(self._interval)
