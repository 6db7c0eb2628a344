"""Rasa as the gateway sees it: its replies, one client per replica, turns spread over the healthy replicas."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel, Field, StrictStr

from gateway.logconfig import describe_exception

log = logging.getLogger(__name__)
# /healthz is public and unthrottled: its answer is kept this long, so a burst reaches the replicas once a second.
HEALTH_CACHE_SECONDS = 1.0
REJECTED = {"rejected": "payload_not_offered"}


class BotButton(BaseModel):
    """A choice the bot offers; ``payload`` is what Rasa expects back when it is chosen."""

    title: StrictStr
    payload: StrictStr


class BotMessage(BaseModel):
    """One bot utterance as the gateway passes it on: plain text plus optional buttons."""

    text: str = ""
    buttons: list[BotButton] = Field(default_factory=list)

    def to_api(self) -> dict[str, Any]:
        """The contract's JSON shape (``buttons`` absent when there are none)."""
        return self.model_dump(exclude={"buttons"} if not self.buttons else set())


def parse_rasa_reply(data: Any) -> list[BotMessage]:
    """Keep the text and well-formed buttons of Rasa's REST reply; images, custom payloads and junk are dropped."""
    messages: list[BotMessage] = []
    for item in data if isinstance(data, list) else []:
        item = item if isinstance(item, dict) else {}
        raws: list[Any] = item["buttons"] if isinstance(item.get("buttons"), list) else []
        # e.g. a web_url button has no payload: nothing a chat client can send back
        buttons = [
            BotButton.model_validate(b) for b in raws if isinstance(b, dict) and _nonblank(b, "title", "payload")
        ]
        text = item["text"] if isinstance(item.get("text"), str) else ""
        if text.strip() or buttons:
            messages.append(BotMessage(text=text, buttons=buttons))
    return messages


def _nonblank(raw: dict[str, Any], *keys: str) -> bool:
    return all(isinstance(raw.get(key), str) and raw[key].strip() for key in keys)


class RasaUnavailable(Exception):
    """Rasa errored, timed out, or answered with nothing usable."""


class PayloadNotOffered(Exception):
    """The REST channel refused a tapped button the bot never offered (no turn ran): CONTRACT §4's 403."""


class RasaNotAccepted(RasaUnavailable):
    """The request never reached Rasa (connection refused, connect timeout, no pooled connection): safe to resend."""


class RasaConnectionLost(RasaUnavailable):
    """The connection failed after the request may have been written: Rasa may have run the turn, never resend it."""


# Only these mean the request was never written: httpx raises them while connecting or waiting for a pooled
# connection, before a byte of the body goes out. Read/write errors and protocol errors come after that.
NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class RasaClient:
    """One Rasa server over one pooled HTTP client; every call has a hard deadline."""

    def __init__(
        self, url: str, timeout: float, transport: httpx.AsyncBaseTransport | None, auth_token: str | None
    ) -> None:
        """Connections open lazily. ``auth_token`` opens Rasa's HTTP API (not the webhook)."""
        self.url = url
        self.healthy = True  # the first check (at startup) corrects it within one interval
        self.detail = "not checked yet"
        self._timeout = timeout
        # Rasa's token auth reads ?token=; Rasa's access log is off, and our log scrubber masks token= anyway.
        self._auth = {"token": auth_token} if auth_token else {}
        # trust_env=False: Rasa is on loopback and must never be reached through a proxy from the environment.
        self._http = httpx.AsyncClient(base_url=url, timeout=timeout, trust_env=False, transport=transport)

    async def close(self) -> None:
        """Release pooled connections."""
        await self._http.aclose()

    def mark(self, healthy: bool, detail: str) -> None:
        """Record what a health check or a failed turn found; a change is logged once (the URL is our loopback)."""
        if healthy != self.healthy or detail != self.detail:
            (log.info if healthy else log.warning)("replica %s: %s", self.url, detail)
        self.healthy, self.detail = healthy, detail

    async def send(self, sender: str, message: str, metadata: dict[str, Any], timeout: float) -> list[BotMessage]:
        """Run one turn within ``timeout`` seconds; raises RasaUnavailable, never returns []."""
        body = {"sender": sender, "message": message, "metadata": metadata}
        try:
            # The deadline covers connect, queueing and the whole body, not just each socket read.
            async with asyncio.timeout(min(timeout, self._timeout)):
                response = await self._http.post("/webhooks/rest/webhook", json=body)
        except TimeoutError as exc:
            raise RasaUnavailable("timeout") from exc
        except httpx.TransportError as exc:
            # A replica that refused or lost the connection gets no turns until a health check sees it back.
            self.mark(False, f"unreachable ({type(exc).__name__})")
            lost = RasaNotAccepted if isinstance(exc, NOT_SENT_ERRORS) else RasaConnectionLost
            raise lost(type(exc).__name__) from exc
        except httpx.HTTPError as exc:
            raise RasaUnavailable(type(exc).__name__) from exc
        if response.status_code != 200:
            raise RasaUnavailable(f"status {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise RasaUnavailable("invalid json") from exc
        # channels/redacting_rest.py REJECTED: the REST channel refused a tapped button and no turn ran.
        if isinstance(data, list) and any(isinstance(i, dict) and i.get("custom") == REJECTED for i in data):
            raise PayloadNotOffered()
        messages = parse_rasa_reply(data)
        if not any(m.text.strip() for m in messages):
            raise RasaUnavailable("empty reply")
        return messages

    async def check(self) -> bool:
        """Ask ``/status`` whether Rasa is up with a model loaded; the answer marks this replica (True: healthy)."""
        try:
            async with asyncio.timeout(min(self._timeout, 3.0)):
                response = await self._http.get("/status", params=self._auth)
            data = response.json() if response.status_code == 200 else None
        except (TimeoutError, httpx.HTTPError) as exc:
            self.mark(False, f"unreachable ({type(exc).__name__})")
        except ValueError:
            self.mark(False, "invalid json")
        else:
            loaded = isinstance(data, dict) and bool(data.get("model_id") or data.get("model_file"))
            status = f"status {response.status_code}" if data is None else None
            self.mark(loaded, status or ("model loaded" if loaded else "no model loaded"))
        return self.healthy

    async def delete_conversation(self, sender: str) -> bool:
        """Ask the REST channel to delete the stored conversation of ``sender``; True if done."""
        path = f"/webhooks/rest/conversations/{quote(sender, safe='')}"
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._http.delete(path, params=self._auth)
            failure = "" if response.status_code == 200 else f"status {response.status_code}"
        except (TimeoutError, httpx.HTTPError) as exc:
            failure = type(exc).__name__
        if failure:
            log.warning("deleting a Rasa conversation failed: %s", failure)
        return not failure


class ReplicaPool:
    """One or more Rasa replicas, health-checked in the background, behind send, health and delete_conversation.

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
        self._timeout = timeout_seconds
        self._interval = health_interval_seconds
        self.replicas = [RasaClient(url, timeout_seconds, (transports or {}).get(url), auth_token) for url in urls]
        self._checker: asyncio.Task[None] | None = None
        self._ok, self._checked_at, self._last_detail = False, -HEALTH_CACHE_SECONDS, ""
        # Concurrent callers of a stale /healthz answer wait for one probe instead of each sending their own.
        self._probing = asyncio.Lock()

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
            await replica.close()

    def candidates(self, key: str) -> list[RasaClient]:
        """Replicas in the order to try for ``key``: healthy ones by affinity, then the rest as a last resort."""
        # Rendezvous hashing: when a replica leaves, only its own conversations move; many conversations spread
        # evenly over the healthy replicas.
        return sorted(
            self.replicas,
            key=lambda r: (not r.healthy, hashlib.blake2b(f"{r.url}|{key}".encode(), digest_size=8).digest()),
        )

    async def send(
        self, sender: str, message: str, metadata: dict[str, Any], timeout: float | None = None
    ) -> list[BotMessage]:
        """Run one turn on one replica within ``timeout`` seconds; raises RasaUnavailable or PayloadNotOffered."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self._timeout if timeout is None else min(timeout, self._timeout))
        last: RasaUnavailable = RasaUnavailable("no replica")
        for replica in self.candidates(sender):
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise RasaUnavailable("timeout")
            try:
                return await replica.send(sender, message, metadata, remaining)
            except RasaNotAccepted as exc:
                # Only a turn refused before the request was written exists nowhere yet: the next replica may take
                # it. After that, Rasa may have run it and resending could apply it twice (the caller falls back).
                last = exc
        raise last

    async def health(self) -> tuple[bool, str]:
        """Check every replica now: ok when at least one is up with a model; the detail names the others."""
        healthy = sum(await asyncio.gather(*(r.check() for r in self.replicas)))
        if len(self.replicas) == 1:
            return bool(healthy), self.replicas[0].detail
        down = "; ".join(f"{r.url} {r.detail}" for r in self.replicas if not r.healthy)
        return bool(healthy), f"{healthy}/{len(self.replicas)} replicas healthy" + (f" ({down})" if down else "")

    async def healthz(self) -> bool:
        """``/healthz``: is a replica up with a model? Probed at most once a second; changes logged, not shown."""
        async with self._probing:
            if time.monotonic() - self._checked_at >= HEALTH_CACHE_SECONDS:
                self._ok, detail = await self.health()
                self._checked_at = time.monotonic()
                if detail != self._last_detail:
                    # Versions, model names and URLs stay out of the public answer.
                    (log.info if self._ok else log.warning)("health: rasa %s", detail)
                    self._last_detail = detail
        return self._ok

    async def delete_conversation(self, sender: str) -> bool:
        """Delete the conversation through the first replica that manages it (deleting twice is harmless)."""
        for replica in self.candidates(sender):
            if await replica.delete_conversation(sender):
                return True
        return False

    async def _check_forever(self) -> None:
        while True:
            try:
                await self.health()
            except Exception as exc:  # noqa: BLE001 - the next round tries again
                log.error("replica health check failed: %s", describe_exception(exc))
            await asyncio.sleep(self._interval)
