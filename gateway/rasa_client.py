"""Talks to the Rasa server's REST channel and status endpoint on the loopback interface."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from gateway.models import BotMessage, is_rejection, parse_rasa_reply

log = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class RasaHealth:
    """What ``/status`` told us."""

    reachable: bool
    model_loaded: bool
    detail: str


class RasaClient:
    """One pooled HTTP client for all turns; every call has a hard deadline."""

    def __init__(
        self,
        base_url: str,
        timeout_seconds: float,
        transport: httpx.AsyncBaseTransport | None = None,
        auth_token: str | None = None,
    ) -> None:
        """Prepare the client; connections open lazily. ``auth_token`` opens Rasa's HTTP API (not the webhook)."""
        self._timeout = timeout_seconds
        # Rasa's token auth reads ?token=; Rasa's access log is off, and our log scrubber masks token= anyway.
        self._auth = {"token": auth_token} if auth_token else {}
        # trust_env=False: Rasa is on loopback and must never be reached through a proxy from the environment.
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout_seconds, trust_env=False, transport=transport)

    async def close(self) -> None:
        """Release pooled connections."""
        await self._http.aclose()

    async def send(
        self, sender: str, message: str, metadata: dict[str, Any], timeout: float | None = None
    ) -> list[BotMessage]:
        """Run one turn within ``timeout`` seconds (default: the client's); raises RasaUnavailable, never returns []."""
        body = {"sender": sender, "message": message, "metadata": metadata}
        try:
            # The deadline covers connect, queueing and the whole body, not just each socket read.
            async with asyncio.timeout(self._timeout if timeout is None else min(timeout, self._timeout)):
                response = await self._http.post("/webhooks/rest/webhook", json=body)
        except TimeoutError as exc:
            raise RasaUnavailable("timeout") from exc
        except NOT_SENT_ERRORS as exc:
            raise RasaNotAccepted(type(exc).__name__) from exc
        except httpx.TransportError as exc:
            raise RasaConnectionLost(type(exc).__name__) from exc
        except httpx.HTTPError as exc:
            raise RasaUnavailable(type(exc).__name__) from exc
        if response.status_code != 200:
            raise RasaUnavailable(f"status {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise RasaUnavailable("invalid json") from exc
        if is_rejection(data):
            raise PayloadNotOffered()
        messages = parse_rasa_reply(data)
        if not any(m.text.strip() for m in messages):
            raise RasaUnavailable("empty reply")
        return messages

    async def health(self) -> RasaHealth:
        """Ask ``/status`` whether Rasa is up with a model loaded."""
        try:
            async with asyncio.timeout(min(self._timeout, 3.0)):
                response = await self._http.get("/status", params=self._auth)
        except (TimeoutError, httpx.HTTPError) as exc:
            return RasaHealth(False, False, f"unreachable ({type(exc).__name__})")
        if response.status_code != 200:
            return RasaHealth(True, False, f"status {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            return RasaHealth(True, False, "invalid json")
        loaded = isinstance(data, dict) and bool(data.get("model_id") or data.get("model_file"))
        return RasaHealth(True, loaded, "model loaded" if loaded else "no model loaded")

    async def delete_conversation(self, sender: str) -> bool:
        """Ask the REST channel to delete the stored conversation of ``sender`` (LINE unfollow); True if done."""
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._http.delete(
                    f"/webhooks/rest/conversations/{quote(sender, safe='')}", params=self._auth
                )
        except (TimeoutError, httpx.HTTPError) as exc:
            log.warning("deleting a Rasa conversation failed: %s", type(exc).__name__)
            return False
        if response.status_code != 200:
            log.warning("deleting a Rasa conversation failed: status %d", response.status_code)
            return False
        return True
