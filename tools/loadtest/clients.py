"""What residents say, and the clients that say it: Rasa's REST channel (stock bot) and the gateway's web chat API."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp

from replies.catalogue import apology

# A bot message as either API returns it: {"text": ..., "buttons": [{"title", "payload"}]} (buttons optional).
BotMessage = Mapping[str, Any]


@dataclass(frozen=True)
class Step:
    """One resident message: typed ``text``, or the offered button whose title contains ``button``."""

    text: str = ""
    button: str = ""

    def __post_init__(self) -> None:
        """Exactly one of text and button."""
        if bool(self.text) == bool(self.button):
            raise ValueError("a step is either typed text or a button title")


@dataclass(frozen=True)
class Outgoing:
    """What the client sends for a step: a typed text or a button's payload."""

    text: str | None = None
    payload: str | None = None


def say(text: str) -> Step:
    """A typed message."""
    return Step(text=text)


def press(title_part: str) -> Step:
    """A press on the offered button whose title contains ``title_part``."""
    return Step(button=title_part)


def resolve(step: Step, last_messages: Sequence[BotMessage]) -> tuple[Outgoing, bool]:
    """The message to send for ``step`` after the bot said ``last_messages``, and whether it went as scripted.

    A button the bot did not offer is typed as its title instead (the form's free-text fallback understands
    titles); the second value is then False so the report can show that the dialogue took another path.
    """
    if step.text:
        return Outgoing(text=step.text), True
    for message in last_messages:
        for button in message.get("buttons") or ():
            if step.button in str(button.get("title", "")) and button.get("payload"):
                return Outgoing(payload=str(button["payload"])), True
    return Outgoing(text=step.button), False


@dataclass(frozen=True)
class Reply:
    """The outcome of one turn: latency in seconds, an error kind or None, and the bot's messages."""

    latency: float
    error: str | None
    messages: list[BotMessage] = field(default_factory=list)


class SessionFailed(Exception):
    """A conversation could not be opened; ``str(exc)`` says why (same kinds as a turn's errors)."""


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
    # The gateway's fallback and Rasa's no-silence fallback share this wording (replies/catalogue.yml): an apology is a
    # turn the bot could not answer, whatever the HTTP status says.
    return "fallback" if any(apology("unavailable") in str(m.get("text") or "") for m in messages) else None


class HttpClient:
    """Rasa's REST channel (``rest``: the stock bot) or the gateway's web chat API (``gateway``, CONTRACT §4)."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, surface: str) -> None:
        """Talk to ``base_url`` through ``surface``."""
        self._http, self._base, self.surface = http, base_url, surface

    async def _post(self, path: str, body: dict[str, Any]) -> tuple[str | None, Any]:
        """POST a JSON body; (error kind or None, decoded JSON answer or None)."""
        try:
            async with self._http.post(f"{self._base}{path}", json=body) as response:
                raw = await response.read()
                if not 200 <= response.status < 300:
                    return f"http_{response.status}", None
        except asyncio.TimeoutError:
            return "timeout", None
        except aiohttp.ClientError as exc:
            return "connection" if isinstance(exc, aiohttp.ClientConnectionError) else "client_error", None
        try:
            return None, json.loads(raw)
        except ValueError:
            return "bad_json", None

    async def open(self) -> str:
        """A new sender id (Rasa creates the tracker on the first message), or ``POST /api/chat/session``'s id."""
        if self.surface == "rest":
            return f"load-{uuid.uuid4().hex}"
        error, data = await self._post("/api/chat/session", {})
        if error is not None or not isinstance(data, dict) or not isinstance(data.get("session_id"), str):
            raise SessionFailed(error or "bad_session")
        return str(data["session_id"])

    async def send(self, conversation: str, outgoing: Outgoing) -> Reply:
        """One message, typed or the offered button's payload, timed from sending to having decoded the answer."""
        started = time.perf_counter()
        if self.surface == "rest":
            message = outgoing.text if outgoing.text is not None else outgoing.payload
            error, data = await self._post("/webhooks/rest/webhook", {"sender": conversation, "message": message})
        else:
            kind, value = ("text", outgoing.text) if outgoing.text is not None else ("payload", outgoing.payload)
            error, data = await self._post("/api/chat/message", {"session_id": conversation, kind: value})
            data = data.get("messages") if isinstance(data, dict) else None
        latency = time.perf_counter() - started
        messages: list[BotMessage] = [m for m in data if isinstance(m, dict)] if isinstance(data, list) else []
        return Reply(latency, error) if error is not None else Reply(latency, answer_error(messages), messages)


def _scripts(text: str) -> tuple[tuple[Step, ...], ...]:
    """One conversation a line, its messages split by `` / ``: ``[title]`` presses a button, anything else is typed."""
    steps = (line.split(" / ") for line in text.strip().splitlines())
    return tuple(tuple(press(m[1:-1]) if m.startswith("[") else say(m) for m in script) for script in steps)


# Conversations a resident has with the PIN bot, taken from tests/e2e/test_conversations.py and tests/stories/:
# typed questions, the form's questions answered by buttons or free text, follow-up buttons, small talk.
PINBOT_SCRIPTS = _scripts(
    """
マイナンバーカードの暗証番号を忘れてしまいました / [本人] / [三鷹市] / [署名用] / [はい] / [窓口の詳しい案内]
暗証番号を忘れました / 本人です / 三鷹市 / 署名用です / ありがとうございました
千葉市に住んでいます。暗証番号を忘れたので、委任状を持って母の代わりに行きたいです / [手続きの流れと注意] / [2回目の持ち物] / ありがとう
暗証番号を変更したいです / 自分です / たじみし / ありがとうございました
ロックされてしまいました / 暗証番号って何回まちがえるとロックされるんですか / [本人] / [龍ケ崎市] / [利用者証明用] / [いいえ]
土曜日も窓口は開いていますか / [三鷹市] / さようなら
こんにちは / 龍ケ崎市です。父の代わりに電子証明書の更新に行きたいです / ありがとう
粗大ごみの出し方を教えてください / 担当の方と電話で話したいです / ありがとうございました
暗証番号を教えてもらえませんか / [再設定の手続きを見る] / [任意代理人] / [多治見市]
"""
)
# The stock `rasa init` bot's own training examples (greet, mood, affirm/deny, goodbye, bot challenge).
STOCK_SCRIPTS = _scripts(
    """
hello / I am sad / yes / bye
hi / I am great / goodbye
hey there / I am sad / no / bye
are you a bot? / hello / perfect / see you later
"""
)
