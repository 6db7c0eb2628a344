"""Issue 10 item 6 and issue 12 item 4: LINE events survive a failed reply; the SDK's parser types every event."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.gateway import line_events as ev
from tests.gateway.conftest import LINE_SECRET, Gateway
from tests.gateway.fakes.fake_line import FakeLine
from tests.gateway.fakes.fake_rasa import FakeRasa
from tests.gateway.fakes.servers import ServerThread
from tests.gateway.test_line_webhook import deliver, post, settle

FakeRasaFixture = tuple[FakeRasa, ServerThread]
FakeLineFixture = tuple[FakeLine, ServerThread]


@pytest.fixture
def line_gw(
    start_gateway: Callable[..., Gateway], fake_line: FakeLineFixture, caplog: pytest.LogCaptureFixture
) -> Iterator[Gateway]:
    """A LINE-enabled gateway for mitaka; afterwards every LINE call was valid and no LINE id was logged."""
    caplog.set_level(logging.INFO)
    gw = start_gateway(default_municipality="mitaka")
    yield gw
    settle(gw)
    assert fake_line[0].problems() == []
    assert ev.USER_ID not in caplog.text


def replied_texts(fake: FakeLine) -> list[str]:
    """The first message text of every reply call, in order."""
    return [r.body["messages"][0]["text"] for r in fake.calls("/message/reply")]


# ---- item 6: one failure never drops the other events ----


def test_failed_reply_does_not_drop_the_users_other_events(
    line_gw: Gateway, fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture
) -> None:
    """Three events in one delivery; LINE fails the first reply with a 500: the other two are still answered."""
    fake_line[0].fail_reply_tokens.add("token-fails")
    deliver(
        line_gw,
        ev.text_event("一つ目の質問", reply_token="token-fails"),
        ev.text_event("二つ目の質問", reply_token="token-two"),
        ev.text_event("三つ目の質問", reply_token="token-three"),
    )
    fake_line[0].wait_for("/message/reply", 3)
    settle(line_gw)
    assert [r.body["replyToken"] for r in fake_line[0].calls("/message/reply")] == [
        "token-fails",
        "token-two",
        "token-three",
    ]
    assert [m["message"] for m in fake_rasa[0].requests] == ["一つ目の質問", "二つ目の質問", "三つ目の質問"]


def test_reply_answered_without_sent_messages_does_not_drop_other_events(
    line_gw: Gateway, fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture, caplog: pytest.LogCaptureFixture
) -> None:
    """LINE answers 200 without ``sentMessages`` (the SDK's model rejects it): every event is still answered once,
    nothing is pushed, and the events count as handled."""
    fake_line[0].omit_sent_messages = True
    events = [ev.text_event(f"質問{i}", event_id=f"01HNOSENT{i:017d}") for i in range(3)]
    deliver(line_gw, *events)
    fake_line[0].wait_for("/message/reply", 3)
    settle(line_gw)
    assert len(fake_line[0].calls("/message/reply")) == 3 and fake_line[0].calls("/message/push") == []
    assert "line event failed" not in caplog.text
    deliver(line_gw, *[dict(e, deliveryContext={"isRedelivery": True}) for e in events])
    settle(line_gw)
    time.sleep(0.2)
    assert len(fake_line[0].calls("/message/reply")) == 3  # handled: the redelivery is a duplicate


def test_event_counts_as_handled_only_after_it_is_answered(
    line_gw: Gateway, fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture
) -> None:
    """An event whose reply failed is not recorded as handled: LINE's redelivery of it is answered. An answered
    event's redelivery is a duplicate."""
    fake_line[0].fail_reply_tokens.add("token-fails")
    failed = ev.text_event("暗証番号を忘れました", reply_token="token-fails", event_id="01HFAILEDREPLY000000000001")
    answered = ev.text_event("こんにちは", event_id="01HANSWERED000000000000001")
    deliver(line_gw, failed, answered)
    fake_line[0].wait_for("/message/reply", 2)
    settle(line_gw)
    # LINE delivers both again (a fresh token for the failed one: the fake treats tokens as single-use).
    deliver(
        line_gw,
        dict(failed, replyToken="token-second-try", deliveryContext={"isRedelivery": True}),
        dict(answered, deliveryContext={"isRedelivery": True}),
    )
    fake_line[0].wait_for("/message/reply", 3)
    settle(line_gw)
    time.sleep(0.2)
    tokens = [r.body["replyToken"] for r in fake_line[0].calls("/message/reply")]
    assert tokens.count("token-second-try") == 1 and len(tokens) == 3
    assert "暗証番号の再設定ですね" in replied_texts(fake_line[0])[-1]
    assert [m["message"] for m in fake_rasa[0].requests].count("こんにちは") == 1


def test_event_counts_as_handled_after_its_push_fallback_was_tried(
    start_gateway: Callable[..., Gateway], fake_line: FakeLineFixture
) -> None:
    """Token rejected, push fallback on: once the push was tried the event is handled; a redelivery is a duplicate."""
    gw = start_gateway(default_municipality="mitaka", line_push_fallback=True)
    fake_line[0].reject_reply_tokens.add("expired-token")
    event = ev.text_event("こんにちは", reply_token="expired-token", event_id="01HPUSHTRIED00000000000001")
    deliver(gw, event)
    fake_line[0].wait_for("/message/push", 1)
    settle(gw)
    deliver(gw, dict(event, deliveryContext={"isRedelivery": True}))
    settle(gw)
    time.sleep(0.2)
    assert len(fake_line[0].calls("/message/push")) == 1 and len(fake_line[0].calls("/message/reply")) == 1


def test_line_turn_beyond_the_cap_gets_a_polite_busy_reply(
    start_gateway: Callable[..., Gateway], fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture
) -> None:
    """Issue 10 item 5 on LINE: with one turn in flight and a cap of one, another chat's message is answered with
    the polite "busy" text at once instead of queueing, and never reaches Rasa."""
    gw = start_gateway(default_municipality="mitaka", max_turns_in_flight=1, line_loading_after_seconds=5.0)
    fake_rasa[0].mode, fake_rasa[0].slow_seconds = "slow", 1.0
    deliver(gw, ev.text_event("一人目の質問"))
    deadline = time.monotonic() + 5
    while not fake_rasa[0].requests and time.monotonic() < deadline:
        time.sleep(0.01)
    deliver(gw, ev.text_event("二人目の質問", source={"type": "user", "userId": ev.OTHER_USER_ID}))
    fake_line[0].wait_for("/message/reply", 2)
    settle(gw)
    texts = replied_texts(fake_line[0])
    assert "混み合って" in texts[0] and "一人目の質問" in texts[1]
    assert [m["message"] for m in fake_rasa[0].requests] == ["一人目の質問"]
    assert fake_line[0].problems() == []


# ---- issue 12 item 4: the SDK's WebhookParser ----


def test_sdk_parser_maps_unknown_and_malformed_events_safely(
    line_gw: Gateway, fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture
) -> None:
    """Unknown event types, unknown message types and a known type with a broken field become the SDK's
    UnknownEvent and are skipped; the valid events of the same delivery are answered."""
    broken_postback = ev.postback_event("/forgot_pin")
    broken_postback["postback"] = {"data": 12}
    future_message = ev.text_event("ignored")
    future_message["message"] = {"id": "1", "type": "hologram", "quoteToken": "q"}
    deliver(line_gw, ev.unknown_event(), broken_postback, future_message, ev.text_event("暗証番号を忘れました"))
    fake_line[0].wait_for("/message/reply", 1)
    settle(line_gw)
    time.sleep(0.2)
    assert len(fake_line[0].calls("/message/reply")) == 1
    assert [m["message"] for m in fake_rasa[0].requests] == ["暗証番号を忘れました"]


def test_sdk_parser_refuses_signed_bodies_that_are_not_payloads(line_gw: Gateway, fake_line: FakeLineFixture) -> None:
    """Signed but not a webhook payload (no events list, an event without a type): a JSON 400, nothing sent."""
    for raw in (
        json.dumps({"destination": ev.BOT_DESTINATION}).encode(),
        json.dumps({"destination": ev.BOT_DESTINATION, "events": [{"mode": "active"}]}).encode(),
        json.dumps({"destination": ev.BOT_DESTINATION, "events": ["x"]}).encode(),
        json.dumps({"destination": ev.BOT_DESTINATION, "events": {"type": "message"}}).encode(),
    ):
        response = post(line_gw, raw)
        assert response.status_code == 400 and response.json()["error"] == "bad_json", raw
    assert fake_line[0].requests == []


def test_own_body_limit_is_kept_before_the_sdk_parser(start_gateway: Callable[..., Gateway]) -> None:
    """The gateway's own size limit applies before the SDK sees the body (413, signature or not)."""
    gw = start_gateway(default_municipality="mitaka", line_max_body_bytes=2048)
    raw = ev.body(ev.text_event("あ" * 1000))
    response = httpx.post(f"{gw.url}/line/webhook", content=raw, headers=ev.signed_headers(LINE_SECRET, raw))
    assert response.status_code == 413 and response.json()["error"] == "body_too_large"
