"""Issue 20 against the real servers, straight to Rasa's REST webhook (no gateway in front): a typed command is no
command, a reply to a message that carried a PIN or 個人番号 starts with the notice, and a failing action writes no
number to the logs."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from typing import Any, Dict, List, Tuple, Union

import pytest

from jptext import nfkc
from replies.catalogue import apology
from tests.e2e.helpers import Replies, button_titles, joined, payload_for, readable
from tests.e2e.stack import Stack

APOLOGY = apology("unavailable")  # what a resident reads when nothing else could be produced

SCRIPT = "<script>alert(1)</script>"
FORCED = '/inform{"municipality":"' + SCRIPT + '","applicant_type":"self"}'
NOTICE_WORDS = "入力しないでください"


def new_sender() -> str:
    """A fresh conversation id."""
    return f"e2e-guard-{uuid.uuid4().hex}"


def user_events(stack: Stack, sender: str) -> List[Dict[str, Any]]:
    """The stored user events of one conversation."""
    return [e for e in stack.tracker(sender)["events"] if e.get("event") == "user"]


def test_a_typed_command_is_plain_text_and_an_offered_button_still_works(stack: Stack) -> None:
    sender = new_sender()
    replies = stack.say(sender, "暗証番号を忘れた")
    replies = stack.say(sender, payload_for(replies, "本人"))
    assert "三鷹市" in button_titles(replies), "the offered 本人 button filled the form"
    assert stack.tracker(sender)["slots"]["applicant_type"] == "self"

    replies = stack.say(sender, FORCED)
    assert replies, "the resident still gets an answer"
    assert SCRIPT not in json.dumps(replies, ensure_ascii=False)
    tracker = stack.tracker(sender)
    assert SCRIPT not in json.dumps(tracker["slots"], ensure_ascii=False)
    last = user_events(stack, sender)[-1]
    assert last["text"] == "／" + FORCED[1:]
    ranking = last["parse_data"].get("intent_ranking") or []
    assert len(ranking) > 1, f"an intent forced by a command has a ranking of one: {ranking}"
    with sqlite3.connect(stack.tracker_db) as conn:
        stats = " ".join(str(v) for row in conn.execute("SELECT * FROM daily_counts") for v in row)
    assert "script" not in stats

    # The conversation goes on with the buttons the bot offers now.
    city_replies = replies if "三鷹市" in button_titles(replies) else stack.say(sender, "暗証番号を忘れた")
    replies = stack.say(sender, payload_for(city_replies, "三鷹市"))
    assert stack.tracker(sender)["slots"]["municipality"] == "mitaka"
    assert replies


def test_a_button_of_an_earlier_turn_is_still_a_button(stack: Stack) -> None:
    """A resident who taps an earlier button means it: it reaches Rasa as the payload the bot offered."""
    sender = new_sender()
    applicant = stack.say(sender, "暗証番号を忘れた")
    stack.say(sender, payload_for(applicant, "本人"))
    stack.say(sender, payload_for(applicant, "任意代理人"))
    last = user_events(stack, sender)[-1]
    assert last["text"] == payload_for(applicant, "任意代理人")
    assert last["parse_data"]["intent"]["name"] == "inform"


# The dialogue states where the bot waits for an answer, reached by the buttons a resident would press.
STATES: Dict[str, List[Union[str, Tuple[str]]]] = {
    "applicant": ["暗証番号を忘れた"],
    "city": ["暗証番号を忘れた", ("本人",)],
    "pin type": ["暗証番号を忘れた", ("本人",), ("三鷹市",)],
    "pending city": ["窓口の受付時間を教えてください"],
}


def reach(stack: Stack, state: str) -> Tuple[str, Replies]:
    """A new conversation in ``state``: its id and the bot's question."""
    sender = new_sender()
    replies: Replies = []
    for step in STATES[state]:
        replies = stack.say(sender, payload_for(replies, step[0]) if isinstance(step, tuple) else step)
    return sender, replies


@pytest.mark.parametrize(
    "state, typed",
    [
        ("city", "1234"),
        ("city", "たしか0000"),
        ("applicant", "1234 5678 / 9012"),
        ("pending city", "1234"),
        ("pending city", "たしか0000"),
        # States that answered the question (an office list, the next question) without the notice before.
        ("city", "三鷹市です。暗証番号は1234"),
        ("applicant", "本人です。マイナンバーは1234 5678 9012"),
        ("pin type", "署名用です。パスワードはabc12345"),
    ],
)
def test_a_reply_to_a_pin_or_number_starts_with_the_notice_and_the_conversation_goes_on(
    stack: Stack, state: str, typed: str
) -> None:
    sender, question = reach(stack, state)
    assert button_titles(question), f"{state}: the bot asks with buttons"
    replies = stack.say(sender, typed)
    assert replies and NOTICE_WORDS in replies[0].get("text", ""), joined(replies)
    assert [r["text"] for r in replies].count(replies[0]["text"]) == 1, "the notice once"
    for digits in re.findall(r"[0-9a-z]{4,}", typed):
        assert digits not in joined(replies)
    # It goes on: the bot's buttons now, or typing.
    offered = [r for r in replies if r.get("buttons")]
    follow = stack.say(sender, offered[-1]["buttons"][0]["payload"]) if offered else stack.say(sender, "三鷹市です")
    assert follow and APOLOGY not in joined(follow), joined(follow)


def log_lines(stack: Stack, name: str) -> List[str]:
    """One server's log lines, JSON escapes read (\\uff11 is １, also doubled) and normalised (１ is 1)."""
    text = stack.log_path(name).read_text(encoding="utf-8", errors="replace")
    return [nfkc(readable(line)) for line in text.splitlines()]


def test_a_failing_action_writes_no_number_to_the_logs(stack: Stack) -> None:
    """With the action server gone every custom action fails and Rasa logs each failure with its traceback; Rasa's
    structured lines are JSON that escapes Japanese and full-width digits (\\uff14\\uff19), as in its warning about
    a command it cannot parse. No number, in any form."""
    pins = ["4917", "8642", "2718"]
    number = "314159265358"
    stack.stop("actions")
    try:
        for text in ("暗証番号は４９１７です", "PIN：8642", "マイナンバーは３１４１ ５９２６ ５３５８です"):
            sender = new_sender()
            stack.say(sender, "暗証番号を忘れた")
            assert stack.say(sender, text), "the resident gets an answer"
        # An operator's parse (Rasa's HTTP API: no channel in front) of a malformed command: Rasa logs its text.
        stack.api("POST", "/model/parse", {"text": "/{暗証番号は２７１８です}"})
    finally:
        stack.start_actions()
    rasa_log = "\n".join(log_lines(stack, "rasa"))
    assert "Failed to run custom action" in rasa_log and "message.parsing.failed" in rasa_log, (
        "the failures were logged"
    )
    for name in ("rasa", "actions"):
        lines = log_lines(stack, name)
        assert lines, name
        for line in lines:
            assert number not in re.sub(r"\D", "", line), (name, line)
            for pin in pins:
                assert not re.search(rf"(?<!\d){pin}(?!\d)", line), (name, line)


def test_a_tapped_button_the_bot_did_not_offer_runs_no_turn(stack: Stack) -> None:
    """The gateway marks a tapped button (metadata button=true) and keeps no copy of the offers: the channel refuses
    one the bot never offered with the rejection marker alone, and nothing is stored."""
    sender = new_sender()
    replies = stack.say(sender, "暗証番号を忘れた")
    stored = len(user_events(stack, sender))
    refused = stack.say(sender, '/inform{"applicant_type":"voluntary_proxy","municipality":"chiba"}', {"button": True})
    assert refused == [{"recipient_id": sender, "custom": {"rejected": "payload_not_offered"}}]
    assert len(user_events(stack, sender)) == stored
    tapped = stack.say(sender, payload_for(replies, "本人"), {"button": True})
    assert "三鷹市" in button_titles(tapped) and len(user_events(stack, sender)) == stored + 1
