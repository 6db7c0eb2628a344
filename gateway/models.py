"""Typed shapes of what crosses the gateway: Rasa replies and the web chat API's bodies."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr


class BotButton(BaseModel):
    """A choice the bot offers; ``payload`` is what Rasa expects back when it is chosen."""

    model_config = ConfigDict(extra="ignore")

    title: StrictStr
    payload: StrictStr


class BotMessage(BaseModel):
    """One bot utterance as the gateway passes it on: plain text plus optional buttons."""

    model_config = ConfigDict(extra="ignore")

    text: str = ""
    buttons: list[BotButton] = Field(default_factory=list)

    def to_api(self) -> dict[str, Any]:
        """The contract's JSON shape (``buttons`` absent when there are none)."""
        body: dict[str, Any] = {"text": self.text}
        if self.buttons:
            body["buttons"] = [{"title": b.title, "payload": b.payload} for b in self.buttons]
        return body


def is_rejection(data: Any) -> bool:
    """Whether Rasa's REST channel refused a tapped button (channels/redacting_rest.py REJECTED): no turn ran."""
    return isinstance(data, list) and any(
        isinstance(item, dict) and item.get("custom") == {"rejected": "payload_not_offered"} for item in data
    )


def parse_rasa_reply(data: Any) -> list[BotMessage]:
    """Keep the text and well-formed buttons of Rasa's REST reply; images, custom payloads and junk are dropped."""
    if not isinstance(data, list):
        return []
    messages: list[BotMessage] = []
    for item in data:
        if not isinstance(item, dict):
            continue
        raw_text = item.get("text")
        text = raw_text if isinstance(raw_text, str) else ""
        buttons = []
        for raw in item.get("buttons") or []:
            if not (
                isinstance(raw, dict) and isinstance(raw.get("title"), str) and isinstance(raw.get("payload"), str)
            ):
                continue  # e.g. a web_url button: nothing a chat client can send back
            if raw["title"].strip() and raw["payload"].strip():
                buttons.append(BotButton(title=raw["title"], payload=raw["payload"]))
        if text.strip() or buttons:
            messages.append(BotMessage(text=text, buttons=buttons))
    return messages


class SessionRequest(BaseModel):
    """Body of ``POST /api/chat/session`` (it may also be empty)."""

    model_config = ConfigDict(extra="ignore")

    municipality: StrictStr | None = None


class MessageRequest(BaseModel):
    """Body of ``POST /api/chat/message``: exactly one of typed ``text`` or a button ``payload``."""

    model_config = ConfigDict(extra="ignore")

    session_id: StrictStr
    text: StrictStr | None = None
    payload: StrictStr | None = None


class SessionRef(BaseModel):
    """Body of ``DELETE /api/chat/session``: the session to delete."""

    model_config = ConfigDict(extra="ignore")

    session_id: StrictStr
