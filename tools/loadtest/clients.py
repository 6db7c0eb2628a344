"""HTTP clients of the two surfaces under load: Rasa's REST channel (stock bot) and the gateway's web chat API."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp

from replies.contact import APOLOGY
from tools.loadtest.conversations import BotMessage, Outgoing


@dataclass(frozen=True)
class Reply:
    """The outcome of one turn: latency in seconds, an error kind or None, and the bot's messages."""

    latency: float
    error: str | None
    messages: list[BotMessage] = field(default_factory=list)


class SessionFailed(Exception):
    """A conversation could not be opened; ``kind`` says why (same kinds as a turn's errors)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class BotClient(Protocol):
    """One way of talking to a bot: open a conversation, then send turns in it."""

    async def open(self) -> str:
        """Start a conversation and return its handle (raises SessionFailed)."""

    async def send(self, conversation: str, outgoing: Outgoing) -> Reply:
        """Send one message and time the answer; never raises for HTTP or network failures."""


def answer_error(messages: list[BotMessage]) -> str | None:
    """Why a 2xx answer still failed the resident: no message at all, or the polite apology instead of an answer."""
    if not messages:
        return "empty"
    # The gateway's fallback and Rasa's no-silence fallback share this wording (replies.contact): an apology is a
    # turn the bot could not answer, whatever the HTTP status says.
    if any(APOLOGY in str(m.get("text") or "") for m in messages):
        return "fallback"
    return None


async def post_json(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> tuple[str | None, Any]:
    """POST a JSON body; (error kind or None, decoded JSON answer or None)."""
    try:
        async with http.post(url, json=body) as response:
            raw = await response.read()
            if not 200 <= response.status < 300:
                return f"http_{response.status}", None
    except asyncio.TimeoutError:
        return "timeout", None
    except aiohttp.ClientConnectionError:
        return "connection", None
    except aiohttp.ClientError:
        return "client_error", None
    try:
        return None, json.loads(raw)
    except ValueError:
        return "bad_json", None


class RestClient:
    """Rasa's REST channel, ``POST /webhooks/rest/webhook`` (the stock bot): a conversation is a fresh sender id."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str) -> None:
        self._http = http
        self._url = f"{base_url}/webhooks/rest/webhook"

    async def open(self) -> str:
        """A new sender id; Rasa creates the tracker on the first message."""
        return f"load-{uuid.uuid4().hex}"

    async def send(self, conversation: str, outgoing: Outgoing) -> Reply:
        """One message (a payload goes as the message text, as Rasa's REST channel expects)."""
        message = outgoing.text if outgoing.text is not None else outgoing.payload
        started = time.perf_counter()
        error, data = await post_json(self._http, self._url, {"sender": conversation, "message": message})
        latency = time.perf_counter() - started
        if error is not None:
            return Reply(latency, error)
        messages: list[BotMessage] = [m for m in data if isinstance(m, dict)] if isinstance(data, list) else []
        return Reply(latency, answer_error(messages), messages)


class GatewayClient:
    """The gateway's web chat API (CONTRACT §4), as the widget uses it."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str) -> None:
        self._http = http
        self._base = base_url

    async def open(self) -> str:
        """``POST /api/chat/session`` → the session id."""
        error, data = await post_json(self._http, f"{self._base}/api/chat/session", {})
        if error is not None:
            raise SessionFailed(error)
        if not isinstance(data, dict) or not isinstance(data.get("session_id"), str):
            raise SessionFailed("bad_session")
        return str(data["session_id"])

    async def send(self, conversation: str, outgoing: Outgoing) -> Reply:
        """``POST /api/chat/message`` with the typed text or the offered button's payload."""
        body: dict[str, Any] = {"session_id": conversation}
        if outgoing.text is not None:
            body["text"] = outgoing.text
        else:
            body["payload"] = outgoing.payload
        started = time.perf_counter()
        error, data = await post_json(self._http, f"{self._base}/api/chat/message", body)
        latency = time.perf_counter() - started
        if error is not None:
            return Reply(latency, error)
        raw = data.get("messages") if isinstance(data, dict) else None
        messages: list[BotMessage] = [m for m in raw if isinstance(m, dict)] if isinstance(raw, list) else []
        return Reply(latency, answer_error(messages), messages)


def http_session(timeout_s: float) -> aiohttp.ClientSession:
    """One keep-alive connection pool for a whole target, without aiohttp's default cap of 100 connections."""
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=timeout_s),
        connector=aiohttp.TCPConnector(limit=0),
    )
