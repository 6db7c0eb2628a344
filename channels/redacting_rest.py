"""Rasa's REST channel with the privacy guard and a no-silence guarantee."""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, Sanic
from sanic.request import Request

from privacy import redact
from replies.contact import fallback_message

logger = logging.getLogger(__name__)


class RedactingRestInput(RestInput):
    """REST channel that redacts PINs and 個人番号 before Rasa sees, stores or logs the text."""

    @classmethod
    def name(cls) -> Text:
        """Keep Rasa's URL (/webhooks/rest/webhook): this replaces the plain REST channel."""
        return "rest"

    def _extract_message(self, req: Request) -> Optional[Text]:
        """Return the message text with sensitive numbers replaced by placeholders."""
        text = super()._extract_message(req)
        if not isinstance(text, str):
            return text
        redaction = redact(text)
        if redaction.changed:
            # Log the kind only, never the text.
            logger.info("Redacted %s from an incoming message.", ",".join(sorted(redaction.found)))
        return redaction.text

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        """Pass on only a JSON object as metadata; anything else is dropped."""
        metadata = super().get_metadata(request)
        return metadata if isinstance(metadata, dict) else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's REST routes, with a polite fallback when a turn produced no reply."""

        async def on_message_never_silent(message: UserMessage) -> None:
            collector = message.output_channel
            sent_before = len(getattr(collector, "messages", []))
            try:
                await on_new_message(message)
            except Exception:  # noqa: BLE001 - the resident must get an answer whatever failed
                logger.exception("Handling a REST message failed; sending the fallback reply.")
            if len(getattr(collector, "messages", [])) == sent_before:
                municipality = await _known_municipality(message)
                await collector.send_text_message(message.sender_id, fallback_message(municipality))

        return super().blueprint(on_message_never_silent)


async def _known_municipality(message: UserMessage) -> Optional[str]:
    """Find the resident's municipality from the message metadata or the stored conversation."""
    metadata = message.metadata or {}
    if isinstance(metadata.get("municipality"), str):
        return metadata["municipality"]
    try:
        agent = Sanic.get_app("rasa_server").ctx.agent
        tracker = await agent.tracker_store.retrieve(message.sender_id)
    except Exception:  # noqa: BLE001 - no tracker means no city: the generic contact is still right
        return None
    value = tracker.get_slot("municipality") if tracker else None
    return value if isinstance(value, str) else None
