"""channels.redacting_rest: only a button the bot offered (or its main menu) reaches Rasa as a command; a reply to a
message that carried a PIN or 個人番号 starts with the notice."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any, List, Optional

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint

from channels import redacting_rest
from channels.commands import main_menu_payloads
from channels.redacting_rest import NOTICE_RESPONSE, RedactingRestInput
from privacy import redact
from privacy.commands import payload_key
from replies.catalogue import catalogue
from replies.feedback import rating_replies, with_rating
from replies.message import Reply

REPO = Path(__file__).resolve().parents[2]
DOMAIN = Domain.from_yaml((REPO / "domain.yml").read_text(encoding="utf-8"))
NOTICE = DOMAIN.responses[NOTICE_RESPONSE][0]["text"]
SCRIPT = '/inform{"municipality":"<script>alert(1)</script>","applicant_type":"self"}'
SELF = '/inform{"applicant_type": "self"}'
CITY_QUESTION = "どちらの市の手続きですか。"


class FakeStore:
    """A tracker store holding one conversation; counts its reads."""

    def __init__(self, events: List[Event], fails: bool = False) -> None:
        self.events = events
        self.fails = fails
        self.reads = 0

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        self.reads += 1
        if self.fails:
            raise ConnectionError("database down")
        return DialogueStateTracker.from_events(sender_id, self.events, DOMAIN.slots) if self.events else None


def asked(text: str, *payloads: str) -> BotUttered:
    return BotUttered(text, data={"buttons": [{"title": p, "payload": p} for p in payloads]})


def said(text: str) -> UserUttered:
    return UserUttered(text, intent={"name": "greet", "confidence": 1.0})


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> FakeStore:
    """The channel's agent: the real domain and a fake store (each test sets the conversation)."""
    fake = FakeStore([])
    monkeypatch.setattr(redacting_rest, "_agent", lambda: SimpleNamespace(domain=DOMAIN, tracker_store=fake))
    return fake


def run_turn(
    monkeypatch: pytest.MonkeyPatch, text: str, reply: Optional[List[str]] = None, metadata: Optional[dict] = None
) -> tuple[Any, List[Any]]:
    """One turn through the channel's wrapper: what Rasa was handed, and what the resident got."""
    captured: List[Any] = []
    handed: List[UserMessage] = []

    def capture(self: RestInput, handler: Any) -> Blueprint:
        captured.append(handler)
        return Blueprint(f"test_{len(captured)}")

    async def rasa(message: UserMessage) -> None:
        handed.append(message)
        for line in reply if reply is not None else ["ok"]:
            await message.output_channel.send_text_message(message.sender_id, line)

    monkeypatch.setattr(RestInput, "blueprint", capture)
    RedactingRestInput().blueprint(rasa)
    collector = CollectingOutputChannel()
    # What Rasa's REST route does: the text through _extract_message (redaction), then the wrapped handler.
    extracted = RedactingRestInput()._extract_message(SimpleNamespace(json={"message": text}))  # type: ignore[arg-type]
    asyncio.run(captured[0](UserMessage(extracted, collector, "s-1", metadata=metadata)))
    return (handed[0].text if handed else None), collector.messages


def test_a_typed_command_with_made_up_slot_values_is_neutralised(
    monkeypatch: pytest.MonkeyPatch, store: FakeStore
) -> None:
    store.events = [ActionExecuted("action_listen"), asked("窓口で手続きをするのはどなたですか。", SELF)]
    text, _ = run_turn(monkeypatch, SCRIPT)
    assert text == "／" + SCRIPT[1:]


def test_a_button_of_the_latest_turn_passes(monkeypatch: pytest.MonkeyPatch, store: FakeStore) -> None:
    store.events = [said("暗証番号を忘れた"), asked("窓口で手続きをするのはどなたですか。", SELF)]
    assert run_turn(monkeypatch, SELF)[0] == SELF
    # Rasa strips the text before reading a command; so does the check.
    assert run_turn(monkeypatch, f"  {SELF}\n")[0] == SELF


def test_every_bot_message_of_the_latest_turn_counts(monkeypatch: pytest.MonkeyPatch, store: FakeStore) -> None:
    store.events = [said("暗証番号を忘れた"), asked("答え", "/office_hours"), asked("ほかに", "/affirm", "/deny")]
    assert run_turn(monkeypatch, "/office_hours")[0] == "/office_hours"
    assert run_turn(monkeypatch, "/deny")[0] == "/deny"


def test_typed_text_that_redacts_is_no_button(monkeypatch: pytest.MonkeyPatch, store: FakeStore) -> None:
    """Only the exact payload passes: a command that held a PIN-like value is neutralised, never taken as a button."""
    offered = '/case_details{"part": "second_visit"}'
    store.events = [said("手続きの流れ"), asked("2回目の持ち物", offered, "/identity_documents")]
    assert run_turn(monkeypatch, offered)[0] == offered
    typed = '/case_details{"part": "abc123"}'
    assert run_turn(monkeypatch, typed)[0] == "／" + redact(typed).text[1:]


def test_a_button_of_an_earlier_turn_still_passes(monkeypatch: pytest.MonkeyPatch, store: FakeStore) -> None:
    """A resident who taps an earlier button (another applicant) means it; a payload never offered stays text."""
    store.events = [
        asked("どなたですか。", SELF),
        said("本人です"),
        asked(CITY_QUESTION, '/inform{"municipality": "x"}'),
    ]
    assert run_turn(monkeypatch, SELF)[0] == SELF
    other = '/inform{"applicant_type": "voluntary_proxy"}'
    assert run_turn(monkeypatch, other)[0] == "／" + other[1:]


def test_a_payload_like_typed_text_is_not_a_button(monkeypatch: pytest.MonkeyPatch, store: FakeStore) -> None:
    store.events = [said("暗証番号を忘れた"), asked("どなたですか。", SELF)]
    assert run_turn(monkeypatch, '/inform{"applicant_type":"self"}')[0] == '／inform{"applicant_type":"self"}'
    assert run_turn(monkeypatch, SELF + " ")[0] == SELF
    assert run_turn(monkeypatch, SELF + "x")[0] == "／" + SELF[1:] + "x"


@pytest.mark.parametrize(
    "typed",
    [
        "\u200b" + SCRIPT,  # an invisible character in front
        "\ufeff \u2060" + SCRIPT,
        "\u3000" + SCRIPT,  # ideographic space (Rasa's strip removes it)
        "／" + SCRIPT[1:],  # the full-width solidus: NFKC on the way would make it a slash
        "∕" + SCRIPT[1:],  # a slash confusable
        "\u3164 " + SCRIPT,  # a Hangul filler, which strip() keeps
    ],
)
def test_hidden_and_look_alike_slashes_are_neutralised(
    monkeypatch: pytest.MonkeyPatch, store: FakeStore, typed: str
) -> None:
    text, _ = run_turn(monkeypatch, typed)
    assert text == "／" + SCRIPT[1:]


def test_the_main_menu_can_always_be_sent(monkeypatch: pytest.MonkeyPatch, store: FakeStore) -> None:
    menu = main_menu_payloads(DOMAIN)
    assert {"/forgot_pin", "/pin_locked", "/change_pin", "/proxy_help"} <= menu
    for payload in menu:
        assert run_turn(monkeypatch, payload)[0] == payload
    assert store.reads == 0, "a main-menu payload needs no stored conversation"


def test_the_line_rich_menu_is_part_of_the_main_menu() -> None:
    """The gateway's LINE menu (rich menu, greeting quick replies: the catalogue's starters) posts these back at any
    time."""
    line_payloads = {choice.payload for choice in catalogue().starters}
    assert line_payloads, "no starter in replies/catalogue.yml"
    assert line_payloads <= main_menu_payloads(DOMAIN)


def test_typed_text_never_reads_the_conversation(monkeypatch: pytest.MonkeyPatch, store: FakeStore) -> None:
    store.events = [said("こんにちは"), asked(CITY_QUESTION, "/x")]
    for typed in ("三鷹市です", "a/b", "暗証番号 / 忘れた", "1/2"):
        assert run_turn(monkeypatch, typed)[0] == typed
    assert store.reads == 0


def test_an_unreadable_conversation_lets_no_command_through(monkeypatch: pytest.MonkeyPatch, store: FakeStore) -> None:
    store.events, store.fails = [asked("どなたですか。", SELF)], True
    assert run_turn(monkeypatch, SELF)[0] == "／" + SELF[1:]
    assert run_turn(monkeypatch, "/forgot_pin")[0] == "/forgot_pin"


@pytest.mark.parametrize("typed", ["1234", "たしか0000", "1234 5678 / 9012", "PIN 1234"])
def test_a_reply_to_a_redacted_message_starts_with_the_notice(
    monkeypatch: pytest.MonkeyPatch, store: FakeStore, typed: str
) -> None:
    """E.g. the form answers the city question again without the notice: the channel puts it first."""
    text, replies = run_turn(monkeypatch, typed, reply=[CITY_QUESTION])
    assert text is not None and typed not in text
    assert [r["text"] for r in replies] == [NOTICE, CITY_QUESTION]
    assert "入力しないでください" in replies[0]["text"]


def test_a_reply_with_the_notice_already_is_left_alone(monkeypatch: pytest.MonkeyPatch, store: FakeStore) -> None:
    _, replies = run_turn(monkeypatch, "1234", reply=[NOTICE, CITY_QUESTION])
    assert [r["text"] for r in replies] == [NOTICE, CITY_QUESTION]


def test_a_silent_turn_with_a_secret_gets_the_notice_and_the_apology(
    monkeypatch: pytest.MonkeyPatch, store: FakeStore
) -> None:
    _, replies = run_turn(monkeypatch, "暗証番号は1234です", reply=[])
    assert replies[0]["text"] == NOTICE and len(replies) == 2


def test_ordinary_messages_get_no_notice(monkeypatch: pytest.MonkeyPatch, store: FakeStore) -> None:
    for typed in ("三鷹市です", "暗証番号は4桁ですか", "本人"):
        _, replies = run_turn(monkeypatch, typed, reply=[CITY_QUESTION])
        assert [r["text"] for r in replies] == [CITY_QUESTION]


def test_a_tapped_button_the_bot_did_not_offer_is_rejected(monkeypatch: pytest.MonkeyPatch, store: FakeStore) -> None:
    """A message the gateway marks as a button runs only if offered; otherwise no turn, only the rejection marker."""
    store.events = [said("暗証番号を忘れた"), asked("どなたですか。", SELF)]
    assert run_turn(monkeypatch, SELF, metadata={"button": True})[0] == SELF
    other = '/inform{"applicant_type": "voluntary_proxy"}'
    text, reply = run_turn(monkeypatch, other, metadata={"button": True})
    assert text is None and reply == [{"recipient_id": "s-1", "custom": redacting_rest.REJECTED}]
    # Not a command, yet a button: refused too, never run as typed text.
    assert run_turn(monkeypatch, "本人", metadata={"button": True}) == (None, reply)
    menu = sorted(main_menu_payloads(DOMAIN))[0]
    assert run_turn(monkeypatch, menu, metadata={"button": True})[0] == menu


def test_a_long_payload_comes_back_as_its_key(monkeypatch: pytest.MonkeyPatch, store: FakeStore) -> None:
    """LINE's postback data holds 300 characters: a longer payload is sent as its key and mapped back here."""
    long_payload = '/inform{"note": "' + "x" * 400 + '"}'
    store.events = [said("暗証番号を忘れた"), asked("どなたですか。", long_payload)]
    assert redact(payload_key(long_payload)).text == payload_key(long_payload)
    assert run_turn(monkeypatch, payload_key(long_payload), metadata={"button": True})[0] == long_payload
    assert run_turn(monkeypatch, payload_key(SELF), metadata={"button": True})[0] is None


def test_feedback_buttons_with_entities_pass(monkeypatch: pytest.MonkeyPatch, store: FakeStore) -> None:
    """Issue 23: 👍/👎 under an answer and 👎's reasons carry entities; tapped, each reaches Rasa as it was offered."""
    ratings = [button.payload for button in with_rating([Reply("答え")])[0].buttons]
    reasons = [button.payload for button in rating_replies("not_helpful")[0].buttons]
    assert ratings == ['/feedback{"rating":"helpful"}', '/feedback{"rating":"not_helpful"}']
    store.events = [said("暗証番号は何桁"), asked("答え", *ratings), said(ratings[1]), asked("理由", *reasons)]
    for payload in ratings + reasons:
        assert run_turn(monkeypatch, payload, metadata={"button": True})[0] == payload
    made_up = '/feedback_reason{"reason":"free text"}'
    assert run_turn(monkeypatch, made_up, metadata={"button": True})[0] is None
