"""LINE webhook: signed fixtures against a running gateway, a fake Rasa and a validating fake LINE API."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.line.convert import postback_data
from tests.gateway import line_events as ev
from tests.gateway.conftest import LINE_SECRET, Gateway
from tests.gateway.fakes.fake_line import FakeLine
from tests.gateway.fakes.fake_rasa import APPLICANT_BUTTONS, LONG_PAYLOAD, FakeRasa
from tests.gateway.fakes.servers import ServerThread

FakeRasaFixture = tuple[FakeRasa, ServerThread]
FakeLineFixture = tuple[FakeLine, ServerThread]


def post(gw: Gateway, raw: bytes, headers: Mapping[str, str | bytes] | None = None) -> httpx.Response:
    """POST raw bytes to the webhook, signed correctly unless headers are given."""
    chosen = headers if headers is not None else ev.signed_headers(LINE_SECRET, raw)
    # As bytes: a header may be raw bytes on purpose (not valid text), and httpx takes str or bytes, not a mix.
    # httpx itself encodes str headers as ASCII.
    encoded = {
        name.encode("ascii"): value if isinstance(value, bytes) else value.encode("ascii")
        for name, value in chosen.items()
    }
    return httpx.post(f"{gw.url}/line/webhook", content=raw, headers=encoded)


def deliver(gw: Gateway, *events: dict[str, object]) -> httpx.Response:
    """POST correctly signed events and expect 200."""
    raw = ev.body(*events)
    response = post(gw, raw)
    assert response.status_code == 200, response.text
    return response


def settle(gw: Gateway, timeout: float = 10.0) -> None:
    """Wait until the gateway's background LINE work is done (bounded)."""
    runner = gw.server.app.state.webhook.runner if hasattr(gw.server.app, "state") else None
    deadline = time.monotonic() + timeout
    while runner is not None and runner.pending and time.monotonic() < deadline:
        time.sleep(0.02)
    assert runner is None or runner.pending == 0, "background LINE work did not finish"


@pytest.fixture
def line_gw(gateway: Gateway, fake_line: FakeLineFixture, caplog: pytest.LogCaptureFixture) -> Iterator[Gateway]:
    """A LINE-enabled gateway (mitaka account); afterwards, every LINE call must have been valid and no id logged."""
    # Deployed log levels: INFO everywhere, plus the gateway's own DEBUG lines.
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="gateway")
    yield gateway
    settle(gateway)
    assert fake_line[0].problems() == []
    for clear_id in (ev.USER_ID, ev.OTHER_USER_ID, ev.GROUP_ID):
        assert clear_id not in caplog.text
        assert clear_id.encode() not in Path(gateway.settings.db_path).read_bytes()


@pytest.fixture
def gateway(start_gateway: Callable[..., Gateway]) -> Gateway:
    """Override: the LINE tests run one city's account."""
    return start_gateway(default_municipality="mitaka")


def quick_items(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The quick-reply items of a LINE message body (parsed JSON)."""
    quick = message.get("quickReply")
    return list(quick["items"]) if isinstance(quick, dict) else []


# ---- signature ----


def test_missing_and_bad_signatures_are_rejected_before_anything(
    line_gw: Gateway, fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture
) -> None:
    """Missing, empty, wrong or mismatched signatures → 400 and nothing processed."""
    raw = ev.body(ev.text_event("暗証番号を忘れました"))
    good = ev.signed_headers(LINE_SECRET, raw)
    cases: dict[str, Mapping[str, str | bytes]] = {
        "missing": {"content-type": "application/json"},
        "empty": {"content-type": "application/json", "x-line-signature": ""},
        "wrong secret": ev.signed_headers("another-secret", raw),
        "other body": ev.signed_headers(LINE_SECRET, raw + b" "),
        "garbage": {"content-type": "application/json", "x-line-signature": "not base64 ☃".encode()},
    }
    for name, headers in cases.items():
        response = post(line_gw, raw, headers)
        assert response.status_code == 400, name
        assert response.json()["error"] == "invalid_signature"
    tampered = raw.replace("忘れました".encode(), "変更したい".encode())
    assert post(line_gw, tampered, good).status_code == 400
    time.sleep(0.3)
    assert fake_rasa[0].requests == [] and fake_line[0].requests == []


def test_unsigned_garbage_is_rejected_even_if_not_json(line_gw: Gateway) -> None:
    """The signature is checked before the body is parsed."""
    response = post(line_gw, b"{{{", {"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_signature"
    signed_garbage = post(line_gw, b"{{{")
    assert signed_garbage.status_code == 400 and signed_garbage.json()["error"] == "bad_json"


def test_line_not_configured_answers_503_and_web_chat_still_works(start_gateway: Callable[..., Gateway]) -> None:
    """Without credentials the webhook is 503 and the web chat keeps working."""
    gw = start_gateway(line_channel_secret=None, line_channel_access_token=None)
    raw = ev.body(ev.text_event("こんにちは"))
    response = post(gw, raw)
    assert response.status_code == 503 and response.json()["error"] == "line_not_configured"
    sid = httpx.post(f"{gw.url}/api/chat/session").json()["session_id"]
    assert httpx.post(f"{gw.url}/api/chat/message", json={"session_id": sid, "text": "こんにちは"}).status_code == 200


# ---- the verify request and event types ----


def test_verify_with_empty_events(line_gw: Gateway, fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture) -> None:
    """LINE's verify request (no events) gets 200 and causes no call."""
    raw = json.dumps({"destination": ev.BOT_DESTINATION, "events": []}).encode()
    response = post(line_gw, raw)
    assert response.status_code == 200
    settle(line_gw)
    assert fake_line[0].requests == [] and fake_rasa[0].requests == []


def test_text_message_gets_one_reply_with_quick_replies(
    line_gw: Gateway, fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture
) -> None:
    """A text turn gives one reply whose quick replies are Rasa's buttons."""
    deliver(line_gw, ev.text_event("暗証番号を忘れました", reply_token="token-text-1"))
    replies = fake_line[0].wait_for("/message/reply", 1)
    settle(line_gw)
    assert len(fake_line[0].calls("/message/reply")) == 1
    body = replies[0].body
    assert body["replyToken"] == "token-text-1"
    assert body["messages"][0]["text"].startswith("暗証番号の再設定ですね")
    items = quick_items(body["messages"][-1])
    assert [i["action"]["label"] for i in items] == ["本人", "法定代理人", "任意代理人"]
    assert items[0]["action"]["data"] == '/inform{"applicant_type":"self"}'
    assert items[0]["action"]["displayText"] == "本人"
    request = fake_rasa[0].requests[0]
    assert request["metadata"] == {"channel": "line", "municipality": "mitaka"}
    assert ev.USER_ID not in request["sender"] and request["sender"].startswith("line-user-")
    assert fake_line[0].calls("/loading") == []  # fast turn: no animation


def test_postback_maps_back_to_the_offered_payload(
    line_gw: Gateway, fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture
) -> None:
    """A quick-reply postback reaches Rasa as the payload it stands for."""
    deliver(line_gw, ev.text_event("暗証番号を忘れました"))
    first = fake_line[0].wait_for("/message/reply", 1)[0].body
    data = quick_items(first["messages"][-1])[0]["action"]["data"]
    deliver(line_gw, ev.postback_event(data))
    second = fake_line[0].wait_for("/message/reply", 2)[1].body
    # The account is fixed to mitaka, so the fake answers with the checklist straight away.
    assert "マイナンバーカード" in second["messages"][0]["text"]
    assert fake_rasa[0].requests[1]["message"] == '/inform{"applicant_type":"self"}'
    assert fake_rasa[0].requests[0]["sender"] == fake_rasa[0].requests[1]["sender"]


def test_forged_postback_is_not_forwarded(
    line_gw: Gateway, fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture
) -> None:
    """Postback data the bot never offered is answered politely and not forwarded."""
    deliver(line_gw, ev.postback_event('/inform{"municipality":"chiba"}'), ev.postback_event("/restart"))
    replies = fake_line[0].wait_for("/message/reply", 2)
    settle(line_gw)
    assert fake_rasa[0].requests == []
    assert all("この選択肢は現在ご利用いただけません" in r.body["messages"][0]["text"] for r in replies)


def test_rich_menu_postbacks_are_always_accepted(
    line_gw: Gateway, fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture
) -> None:
    """The rich menu's fixed payloads need no prior offer."""
    deliver(line_gw, ev.postback_event("/forgot_pin"))
    fake_line[0].wait_for("/message/reply", 1)
    assert fake_rasa[0].requests[0]["message"] == "/forgot_pin"


def test_follow_greets_with_the_main_choices(
    line_gw: Gateway, fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture
) -> None:
    """A new friend gets the greeting with the four main choices."""
    deliver(line_gw, ev.follow_event())
    reply = fake_line[0].wait_for("/message/reply", 1)[0].body
    assert "三鷹市" in reply["messages"][0]["text"]
    labels = [i["action"]["label"] for i in quick_items(reply["messages"][-1])]
    assert labels == ["暗証番号を忘れた", "ロックされた", "変更したい", "代理人の手続き"]
    assert fake_rasa[0].requests == []


def test_unfollow_and_unknown_events_send_nothing(
    line_gw: Gateway, fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture
) -> None:
    """Unfollow and unknown event types cause no LINE call and no turn (unfollow deletes: see below)."""
    deliver(line_gw, ev.unfollow_event(), ev.unknown_event())
    settle(line_gw)
    time.sleep(0.2)
    assert fake_line[0].requests == [] and fake_rasa[0].requests == []


def test_unfollow_deletes_the_conversation_in_rasa_and_the_gateway(
    line_gw: Gateway, fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture
) -> None:
    """A user who blocks the account is forgotten: Rasa's stored conversation (token-guarded DELETE). The gateway
    keeps nothing of a LINE conversation (the buttons offered are in Rasa's tracker), before or after."""
    deliver(line_gw, ev.text_event("暗証番号を忘れました"))
    fake_line[0].wait_for("/message/reply", 1)
    settle(line_gw)
    conversation = fake_rasa[0].requests[-1]["sender"]
    db = sqlite3.connect(line_gw.settings.db_path)
    assert db.execute("SELECT COUNT(*) FROM kv WHERE value LIKE ?", (f"%{conversation}%",)).fetchone()[0] == 0
    deliver(line_gw, ev.unfollow_event())
    settle(line_gw)
    deadline = time.monotonic() + 3
    while not fake_rasa[0].deleted and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fake_rasa[0].deleted == [conversation]
    assert ev.USER_ID not in conversation
    assert db.execute("SELECT COUNT(*) FROM kv WHERE value LIKE ?", (f"%{conversation}%",)).fetchone()[0] == 0
    # Its buttons went with Rasa's tracker: a tap of one now is refused politely.
    deliver(line_gw, ev.postback_event(APPLICANT_BUTTONS[0]["payload"]))
    assert (
        "この選択肢は現在ご利用いただけません"
        in fake_line[0].wait_for("/message/reply", 2)[1].body["messages"][0]["text"]
    )


@pytest.mark.parametrize("kind", ["sticker", "image", "video", "audio", "file", "location"])
def test_non_text_messages_get_a_polite_reply_and_are_never_downloaded(
    line_gw: Gateway, fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture, kind: str
) -> None:
    """Media get a 'please type' reply; their content is never fetched."""
    deliver(line_gw, ev.media_event(kind))
    reply = fake_line[0].wait_for("/message/reply", 1)[0].body
    settle(line_gw)
    assert "文字で入力してください" in reply["messages"][0]["text"]
    assert [r.path for r in fake_line[0].requests] == ["/v2/bot/message/reply"]
    assert fake_rasa[0].requests == []


# ---- delivery semantics ----


def test_redelivery_is_processed_once(line_gw: Gateway, fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture) -> None:
    """A redelivered event (same webhookEventId) is not processed again."""
    event = ev.text_event("暗証番号を忘れました", event_id="01HREDELIVERY0000000000001")
    deliver(line_gw, event)
    redelivered = dict(event, deliveryContext={"isRedelivery": True})
    deliver(line_gw, redelivered)
    fake_line[0].wait_for("/message/reply", 1)
    settle(line_gw)
    time.sleep(0.2)
    assert len(fake_line[0].calls("/message/reply")) == 1
    assert len(fake_rasa[0].requests) == 1


def test_concurrent_duplicate_deliveries_produce_exactly_one_reply(
    line_gw: Gateway, fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture
) -> None:
    """Four simultaneous copies of one delivery give exactly one reply."""
    raw = ev.body(ev.text_event("暗証番号を忘れました", event_id="01HDUPLICATE00000000000001"))
    statuses: list[int] = []
    threads = [threading.Thread(target=lambda: statuses.append(post(line_gw, raw).status_code)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert statuses == [200, 200, 200, 200]
    fake_line[0].wait_for("/message/reply", 1)
    settle(line_gw)
    time.sleep(0.2)
    assert len(fake_line[0].calls("/message/reply")) == 1
    assert len(fake_rasa[0].requests) == 1


def test_webhook_answers_before_a_slow_turn_and_shows_loading(
    line_gw: Gateway, fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture
) -> None:
    """200 comes at once; a slow turn shows the loading animation first."""
    fake_rasa[0].mode = "slow"
    fake_rasa[0].slow_seconds = 0.8  # slower than the loading threshold (0.3 s), within Rasa's deadline (1.5 s)
    started = time.monotonic()
    deliver(line_gw, ev.text_event("暗証番号を忘れました"))
    assert time.monotonic() - started < 0.5
    loading = fake_line[0].wait_for("/loading/start", 1)[0].body
    assert loading["chatId"] == ev.USER_ID
    assert loading["loadingSeconds"] % 5 == 0
    reply = fake_line[0].wait_for("/message/reply", 1)[0].body
    assert reply["messages"][0]["text"].startswith("暗証番号の再設定ですね")


def test_rasa_down_gives_the_city_fallback(
    line_gw: Gateway, fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture
) -> None:
    """A failing Rasa gives the city's phone number on LINE too."""
    fake_rasa[0].mode = "error"
    deliver(line_gw, ev.text_event("暗証番号を忘れました"))
    reply = fake_line[0].wait_for("/message/reply", 1)[0].body
    assert "0422-29-9191" in reply["messages"][0]["text"]


def test_rejected_reply_token_without_push_fallback_sends_nothing_more(
    line_gw: Gateway, fake_line: FakeLineFixture, caplog: pytest.LogCaptureFixture
) -> None:
    """A rejected token is logged; no push unless configured."""
    fake_line[0].reject_reply_tokens.add("expired-token")
    deliver(line_gw, ev.text_event("こんにちは", reply_token="expired-token"))
    fake_line[0].wait_for("/message/reply", 1)
    settle(line_gw)
    assert fake_line[0].calls("/message/push") == []
    assert "Invalid reply token" in caplog.text


def test_rejected_reply_token_falls_back_to_push_when_enabled(
    start_gateway: Callable[..., Gateway], fake_line: FakeLineFixture, caplog: pytest.LogCaptureFixture
) -> None:
    """With LINE_PUSH_FALLBACK a rejected token leads to one push with a retry key."""
    gw = start_gateway(default_municipality="mitaka", line_push_fallback=True)
    fake_line[0].reject_reply_tokens.add("expired-token")
    deliver(gw, ev.text_event("暗証番号を忘れました", reply_token="expired-token"))
    push = fake_line[0].wait_for("/message/push", 1)[0]
    settle(gw)
    assert push.body["to"] == ev.USER_ID
    assert push.body["messages"][0]["text"].startswith("暗証番号の再設定ですね")
    assert push.headers["x-line-retry-key"]
    assert len(fake_line[0].calls("/message/reply")) == 1
    assert fake_line[0].problems() == []
    assert ev.USER_ID not in caplog.text


def test_reply_respects_line_limits(line_gw: Gateway, fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture) -> None:
    """Many/long messages and 16 buttons fit LINE's limits without losing text."""
    deliver(line_gw, ev.text_event("たくさん教えて"))
    reply = fake_line[0].wait_for("/message/reply", 1)[0].body
    messages = reply["messages"]
    assert 1 <= len(messages) <= 5
    assert all(len(m["text"]) <= 5000 for m in messages)
    items = quick_items(messages[-1])
    assert len(items) == 13
    assert all(len(i["action"]["label"]) <= 20 and len(i["action"]["data"]) <= 300 for i in items)
    # Nothing was silently lost: every text piece is still there.
    joined = "\n".join(m["text"] for m in messages)
    assert all(f"ご案内 {i}" in joined for i in range(8)) and "い" * 100 in joined
    assert "ほかのご用件は文字で入力してください" in joined
    # The over-long payload travels as a hash and maps back to the exact payload.
    long_item = items[0]["action"]
    assert long_item["data"] == postback_data(LONG_PAYLOAD) != LONG_PAYLOAD
    deliver(line_gw, ev.postback_event(long_item["data"]))
    fake_line[0].wait_for("/message/reply", 2)
    assert fake_rasa[0].requests[-1]["message"] == LONG_PAYLOAD


def test_typed_text_is_guarded_on_line_too(
    line_gw: Gateway, fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture
) -> None:
    """LINE text is de-commanded and redacted like web text."""
    deliver(line_gw, ev.text_event("/restart"), ev.text_event("暗証番号は4821です"))
    fake_line[0].wait_for("/message/reply", 2)
    assert [r["message"] for r in fake_rasa[0].requests] == ["／restart", "暗証番号は［暗証番号］です"]


def test_line_numbers_per_line_and_answers_to_pin_questions_are_redacted(
    line_gw: Gateway, fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture
) -> None:
    """One group per line (common on LINE), and 「たしか4917」 (no PIN word: a PIN all the same, issue 20)."""
    deliver(line_gw, ev.text_event("3141\n5926\n5352"), ev.text_event("暗証番号を変更したい"))
    fake_line[0].wait_for("/message/reply", 2)
    deliver(line_gw, ev.text_event("たしか4917だったと思う"))
    fake_line[0].wait_for("/message/reply", 3)
    assert [r["message"] for r in fake_rasa[0].requests] == [
        "［個人番号］",
        "暗証番号を変更したい",
        "たしか［暗証番号］だったと思う",
    ]


def test_events_of_one_user_keep_their_order(
    line_gw: Gateway, fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture
) -> None:
    """Several events of one user in one delivery reach Rasa in order."""
    deliver(line_gw, *[ev.text_event(f"質問{i}") for i in range(4)])
    fake_line[0].wait_for("/message/reply", 4)
    assert [r["message"] for r in fake_rasa[0].requests] == [f"質問{i}" for i in range(4)]


# ---- groups and rooms ----


def test_group_messages_need_a_mention(
    line_gw: Gateway, fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture
) -> None:
    """In groups the bot introduces itself and answers only when mentioned."""
    deliver(line_gw, ev.join_event())
    join_reply = fake_line[0].wait_for("/message/reply", 1)[0].body
    assert "メンション" in join_reply["messages"][0]["text"]
    deliver(
        line_gw,
        ev.group_text_event("今日の晩ごはんどうする？"),
        ev.media_event("sticker", source={"type": "group", "groupId": ev.GROUP_ID}),
    )
    settle(line_gw)
    time.sleep(0.2)
    assert len(fake_line[0].calls("/message/reply")) == 1 and fake_rasa[0].requests == []
    deliver(line_gw, ev.group_text_event("@案内 暗証番号を忘れました", mention_self_at=(0, 3)))
    reply = fake_line[0].wait_for("/message/reply", 2)[1].body
    assert reply["messages"][0]["text"].startswith("暗証番号の再設定ですね")
    request = fake_rasa[0].requests[0]
    assert request["message"] == "暗証番号を忘れました"
    assert request["sender"].startswith("line-group-") and ev.GROUP_ID not in request["sender"]
    assert fake_line[0].calls("/loading") == []


def test_standby_events_are_ignored(line_gw: Gateway, fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture) -> None:
    """Events in standby mode are not answered."""
    event = ev.text_event("こんにちは")
    event["mode"] = "standby"
    deliver(line_gw, event)
    settle(line_gw)
    assert fake_line[0].requests == [] and fake_rasa[0].requests == []
