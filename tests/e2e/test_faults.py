"""Faults: conversations survive a Rasa restart; without the action server residents still get answers."""

from __future__ import annotations

import uuid

from tests.e2e.helpers import button_titles, joined, payload_for
from tests.e2e.stack import Stack


def test_conversation_survives_a_rasa_restart(stack: Stack) -> None:
    """Mid-form state is in the SQLite tracker store: after a restart the form goes on where it was."""
    sender = f"e2e-{uuid.uuid4().hex}"
    replies = stack.say(sender, "暗証番号がロックされました")
    replies = stack.say(sender, payload_for(replies, "任意代理人"))
    assert "三鷹市" in button_titles(replies)
    stack.stop("rasa")
    assert stack.tracker_db.exists()
    stack.start_rasa()
    replies = stack.say(sender, '/inform{"municipality": "ryugasaki"}')
    text = joined(replies)
    assert "【龍ケ崎市】" in text and "任意代理人が手続きする場合" in text and "委任状" in text


def test_without_the_action_server(stack: Stack) -> None:
    """Static answers still come; answers composed from knowledge/ (the PIN types too, since issue 8: one copy of a
    fact) degrade to a polite message with the phone numbers."""
    stack.stop("actions")
    try:
        replies = stack.say(f"e2e-{uuid.uuid4().hex}", "こんにちは")
        assert "暗証番号" in joined(replies) and "暗証番号を忘れた" in [
            b["title"] for r in replies for b in r.get("buttons", [])
        ]
        replies = stack.say(f"e2e-{uuid.uuid4().hex}", "暗証番号は何種類ありますか？桁数も知りたいです")
        assert "申し訳ありません" in joined(replies) and "0422-29-9191" in joined(replies)
        replies = stack.say(
            f"e2e-{uuid.uuid4().hex}", "暗証番号を忘れました。どうすればいいですか", metadata={"municipality": "chiba"}
        )
        text = joined(replies)
        assert "申し訳ありません" in text and "043-400-3147" in text
    finally:
        stack.start_actions()
