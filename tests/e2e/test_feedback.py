"""Issue 23 through the public gateway and the real servers: 👍/👎 under a checklist, 👎's reasons, the office's
phone; on the web chat API and as LINE quick replies (against a local stand-in for LINE's Messaging API)."""

from __future__ import annotations

import json
import secrets
import sqlite3
from typing import Any, Dict, Iterator, List

import pytest

from tests.e2e.helpers import other_city_phones
from tests.e2e.line import FakeLineApi, LineUser, labels, texts
from tests.e2e.stack import Stack, http_json

CASE = "千葉市に住んでいます。暗証番号を忘れたので、委任状を持って母の代わりに行きたいです"
KEY = "checklist|chiba|pin_reset|voluntary_proxy|forgot_pin"
PHONE = "043-400-3147"
REASONS = ["情報が足りない", "自分の場合と違う", "分かりにくい"]
LINE_SECRET = secrets.token_hex(16)
LINE_TOKEN = secrets.token_hex(16)


@pytest.fixture(scope="module")
def gateway(stack: Stack, line_api: FakeLineApi) -> Iterator[Stack]:
    """The module's Rasa + action server, with the public gateway (web chat and LINE) in front."""
    stack.env_extra.update(
        LINE_CHANNEL_SECRET=LINE_SECRET, LINE_CHANNEL_ACCESS_TOKEN=LINE_TOKEN, LINE_API_BASE=line_api.url
    )
    stack.start_gateway()
    yield stack
    stack.stop("gateway")


def titles(messages: List[Dict[str, Any]]) -> List[str]:
    return [button["title"] for message in messages for button in message.get("buttons") or []]


def tap(messages: List[Dict[str, Any]], title: str) -> str:
    return next(b["payload"] for m in messages for b in m.get("buttons") or [] if b["title"].startswith(title))


def test_web_checklist_rating_reason_and_the_offices_phone(gateway: Stack) -> None:
    session = http_json("POST", f"{gateway.gateway_url}/api/chat/session", {})["session_id"]

    def send(**turn: str) -> List[Dict[str, Any]]:
        answer = http_json("POST", f"{gateway.gateway_url}/api/chat/message", {"session_id": session, **turn})
        return list(answer["messages"])

    answer = send(text=CASE)
    assert "【千葉市】暗証番号の再設定（任意代理人が手続きする場合）" in answer[0]["text"]
    assert [title[0] for title in titles(answer)[-2:]] == ["👍", "👎"]  # CONTRACT §4, after the answer's own buttons
    assert all(not message.get("buttons") for message in answer[:-1])
    asked = send(payload=tap(answer, "👎"))
    assert [m["text"] for m in asked] == ["よろしければ理由をお選びください。"] and titles(asked) == REASONS
    thanked = send(payload=tap(asked, "情報が足りない"))
    text = "\n".join(m["text"] for m in thanked)
    assert text.startswith("ご回答ありがとうございます。") and PHONE in text
    assert not any(phone in text for phone in other_city_phones("chiba"))
    # What the staff console counts: the ratings, each after the answer key of the answer it rates.
    with sqlite3.connect(gateway.tracker_db) as conn:
        rows = conn.execute("SELECT data FROM events WHERE sender_id LIKE 'web-%' ORDER BY id")  # this one session
        events = [json.loads(data) for (data,) in rows]
    keys = [e["value"] for e in events if e.get("event") == "slot" and e.get("name") == "answer_key"]
    rated = [
        (e["parse_data"]["intent"]["name"], [(x["entity"], x["value"]) for x in e["parse_data"]["entities"]])
        for e in events
        if e.get("event") == "user" and e["parse_data"]["intent"]["name"].startswith("feedback")
    ]
    assert keys == [KEY]
    assert rated == [("feedback", [("rating", "not_helpful")]), ("feedback_reason", [("reason", "missing_info")])]


def test_line_quick_replies_rating_reason_and_the_offices_phone(gateway: Stack, line_api: FakeLineApi) -> None:
    resident = LineUser(gateway.gateway_url, LINE_SECRET, line_api)

    def quick(messages: List[Dict[str, Any]]) -> List[str]:
        """The quick-reply labels (LINE shows them on the last message only)."""
        assert all("quickReply" not in m or m["quickReply"] is None for m in messages[:-1])
        return labels(messages[-1:])

    answer = resident.say(CASE)
    choices = quick(answer)
    assert choices[-2:] == ["👍 役に立った", "👎 役に立たなかった"] and len(choices) <= 13
    asked = resident.tap(answer, "👎 役に立たなかった")
    assert quick(asked) == REASONS
    thanked = resident.tap(asked, "自分の場合と違う")
    assert PHONE in texts(thanked)
