"""Rasa's REST channel with the privacy guard, a no-silence guarantee and a guarded conversation delete."""

from __future__ import annotations

import hmac
import logging
import os
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.commands import main_menu_payloads, offered_match, offered_payloads
from privacy.commands import is_command, neutralised, visible_text
from privacy.redact import contains_placeholder, redact
from replies.contact import fallback_message
from storage.events import redact_strings

logger = logging.getLogger(__name__)

AUTH_TOKEN_ENV = "RASA_AUTH_TOKEN"
# The domain response that asks residents not to type PINs or 個人番号: every reply to a redacted message has it.
NOTICE_RESPONSE = "utter_privacy_warning"
# Metadata the gateway sets on a tapped button (web payload, LINE postback data). A button the bot never offered is
# answered with REJECTED alone: no turn runs and nothing is stored. The gateway keeps no copy of the offers.
BUTTON_METADATA = "button"
REJECTED = {"rejected": "payload_not_offered"}


class RedactingRestInput(RestInput):
    """Rasa's REST channel (same name, same URL) that redacts PINs and 個人番号 before Rasa sees, stores or logs them."""

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
        """Pass on only a JSON object as metadata, its strings redacted; anything else is dropped."""
        metadata = super().get_metadata(request)
        return redact_strings(metadata, redact) if isinstance(metadata, dict) else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's REST routes, with a polite fallback and ``DELETE /conversations/<id>``."""

        async def on_message_never_silent(message: UserMessage) -> None:
            collector = message.output_channel
            # What the turn says, as Rasa's REST webhook collects it (a streamed reply is not kept: nothing to edit).
            collected = getattr(collector, "messages", None)
            sent = collected if isinstance(collected, list) else []
            sent_before = len(sent)
            if (message.metadata or {}).get(BUTTON_METADATA) is True:
                message.text = await _offered_payload(message.text or "", message.sender_id)
                if message.text is None:
                    logger.info("Refused a button the bot did not offer.")
                    return await collector.send_custom_json(message.sender_id, REJECTED)
            message.text = await _only_offered_commands(message.text, message.sender_id)
            try:
                await on_new_message(message)
            except Exception:  # noqa: BLE001 - the resident must get an answer whatever failed
                logger.exception("Handling a REST message failed; sending the fallback reply.")
                # A failed turn is answered with the apology alone: what the bot said before the failure (e.g. its
                # events could not be saved) describes a conversation state that was never stored.
                del sent[sent_before:]
            if len(sent) == sent_before:
                municipality = await _known_municipality(message)
                await collector.send_text_message(message.sender_id, fallback_message(municipality))
            if sent is collected and isinstance(message.text, str) and contains_placeholder(message.text):
                await _lead_with_notice(collector, sent, message.sender_id, sent_before)

        blueprint = super().blueprint(on_message_never_silent)

        @blueprint.route("/conversations/<sender_id>", methods=["DELETE"])
        async def delete_conversation(request: Request, sender_id: Text) -> HTTPResponse:
            """Forget a conversation (LINE unfollow); needs the API token, like Rasa's own HTTP API."""
            if not _authorised(request):
                return response.json({"error": "not authorised"}, status=401)
            store = _agent().tracker_store
            while hasattr(store, "_tracker_store"):  # Rasa wraps ours in FailSafeTrackerStore
                store = store._tracker_store
            if not hasattr(store, "delete"):
                return response.json({"error": "tracker store cannot delete"}, status=501)
            deleted = await store.delete(sender_id)
            logger.info("Deleted a conversation on request (%d events).", deleted)
            return response.json({"deleted": deleted})

        return blueprint


def _authorised(request: Request) -> bool:
    """The request carries RASA_AUTH_TOKEN (``?token=`` as Rasa's API, or a Bearer header); no token, no access."""
    expected = os.environ.get(AUTH_TOKEN_ENV, "")
    header = request.headers.get("authorization", "")
    provided = header[7:].strip() if header.lower().startswith("bearer ") else request.args.get("token") or ""
    return bool(expected) and hmac.compare_digest(provided.encode(), expected.encode())


async def _known_municipality(message: UserMessage) -> Optional[str]:
    """Find the resident's municipality from the message metadata or the stored conversation."""
    value = (message.metadata or {}).get("municipality")
    if not isinstance(value, str):
        tracker = await _stored_tracker(message.sender_id)
        value = tracker.get_slot("municipality") if tracker else None
    return value if isinstance(value, str) else None


def _agent() -> Any:
    """The Rasa agent serving this channel (domain and tracker store)."""
    return Sanic.get_app("rasa_server").ctx.agent


async def _stored_tracker(sender_id: Text) -> Any:
    """The stored conversation, or None when there is none or it cannot be read."""
    try:
        return await _agent().tracker_store.retrieve(sender_id)
    except Exception as error:  # noqa: BLE001 - unreadable means unknown: callers take the safe default
        logger.warning("Could not read a stored conversation (%s).", type(error).__name__)
        return None


async def _offered_payload(text: Text, sender_id: Text) -> Optional[Text]:
    """The payload ``text`` names if the main menu or else the stored conversation offered it, or None."""
    try:
        payload = offered_match(text, main_menu_payloads(_agent().domain))
    except Exception:  # noqa: BLE001 - no domain, no menu: only offered buttons pass
        payload = None
    if payload is None:
        tracker = await _stored_tracker(sender_id)
        payload = offered_match(text, offered_payloads(tracker.events) if tracker is not None else set())
    return payload


async def _only_offered_commands(text: Optional[Text], sender_id: Text) -> Optional[Text]:
    """``text``, its slash neutralised if it is a command the bot did not offer (only commands are looked up)."""
    command = visible_text(text) if isinstance(text, str) else ""  # as Rasa's command check meets it
    if not is_command(command):
        return text
    payload = await _offered_payload(command, sender_id)
    if payload is not None:
        return payload
    logger.info("Neutralised a slash command the bot did not offer.")
    return neutralised(command)


def _notice() -> Optional[Text]:
    """The notice's text, from the domain (never a copy of it)."""
    try:
        variations = _agent().domain.responses.get(NOTICE_RESPONSE) or []
    except Exception as error:  # noqa: BLE001 - no domain: the reply goes out as it is
        logger.warning("The privacy notice could not be read from the domain (%s).", type(error).__name__)
        return None
    return next((v["text"] for v in variations if isinstance(v, dict) and isinstance(v.get("text"), str)), None)


async def _lead_with_notice(collector: OutputChannel, sent: list[Any], sender_id: Text, sent_before: int) -> None:
    """Make the reply to a message that carried a PIN or 個人番号 start with the notice, unless it has it already.

    Inside the form the dialogue may answer the question instead; the resident must be told in every state.
    """
    notice = _notice()
    if notice is None or any(notice in str(message.get("text") or "") for message in sent[sent_before:]):
        return
    await collector.send_text_message(sender_id, notice)
    sent.insert(sent_before, sent.pop())
