"""channels.redacting_rest: a turn that fails is answered with the polite apology alone."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, List

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint

from channels.redacting_rest import RedactingRestInput
from replies.catalogue import apology

APOLOGY = apology("unavailable")  # what a resident reads when nothing else could be produced

Handler = Callable[[UserMessage], Any]


def _never_silent(monkeypatch: pytest.MonkeyPatch, on_new_message: Handler) -> Handler:
    """The wrapper RedactingRestInput hands to Rasa's REST routes."""
    captured: List[Handler] = []

    def capture(self: RestInput, handler: Handler) -> Blueprint:
        captured.append(handler)
        return Blueprint(f"test_{len(captured)}")

    monkeypatch.setattr(RestInput, "blueprint", capture)
    RedactingRestInput().blueprint(on_new_message)
    return captured[0]


def test_a_turn_that_fails_after_speaking_gets_only_the_apology(monkeypatch: pytest.MonkeyPatch) -> None:
    """E.g. the answer was said but its events could not be saved: the unsaved answer is not sent."""

    async def speaks_then_fails(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "お住まいの市を選んでください。")
        raise RuntimeError("database down")

    handler = _never_silent(monkeypatch, speaks_then_fails)
    collector = CollectingOutputChannel()
    asyncio.run(handler(UserMessage("本人です", collector, "s-1")))
    assert len(collector.messages) == 1
    assert collector.messages[0]["text"].startswith(APOLOGY)


def test_a_turn_that_succeeds_is_passed_on(monkeypatch: pytest.MonkeyPatch) -> None:
    async def answers(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "お住まいの市を選んでください。")

    handler = _never_silent(monkeypatch, answers)
    collector = CollectingOutputChannel()
    asyncio.run(handler(UserMessage("本人です", collector, "s-1")))
    assert [m["text"] for m in collector.messages] == ["お住まいの市を選んでください。"]
