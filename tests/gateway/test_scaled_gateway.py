"""Two gateway processes on one Redis (GATEWAY_STATE=redis) behave as one; Redis down degrades politely."""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable

import httpx
import pytest

from testkit.redis_server import RedisServer
from tests.gateway import line_events as ev
from tests.gateway.conftest import LINE_SECRET, Gateway
from tests.gateway.fakes.fake_line import FakeLine
from tests.gateway.fakes.fake_rasa import APPLICANT_BUTTONS, FakeRasa
from tests.gateway.fakes.servers import ServerThread

FakeRasaFixture = tuple[FakeRasa, ServerThread]
FakeLineFixture = tuple[FakeLine, ServerThread]


@pytest.fixture
def start_redis_gateway(
    start_gateway: Callable[..., Gateway], redis_server: RedisServer, redis_prefix: str
) -> Callable[..., Gateway]:
    """Factory: a gateway whose state lives in the test's Redis key space (all of them share it)."""

    def start(**overrides: object) -> Gateway:
        """One more gateway process on the same Redis and prefix."""
        return start_gateway(
            gateway_state="redis",
            redis_url=redis_server.url,
            redis_key_prefix=redis_prefix,
            default_municipality="mitaka",
            **overrides,
        )

    return start


def new_session(gw: Gateway) -> str:
    response = httpx.post(f"{gw.url}/api/chat/session", json={})
    assert response.status_code == 200, response.text
    return str(response.json()["session_id"])


def say(gw: Gateway, sid: str, text: str) -> httpx.Response:
    return httpx.post(f"{gw.url}/api/chat/message", json={"session_id": sid, "text": text}, timeout=10)


def press(gw: Gateway, sid: str, payload: str) -> httpx.Response:
    return httpx.post(f"{gw.url}/api/chat/message", json={"session_id": sid, "payload": payload}, timeout=10)


def test_a_session_made_on_one_gateway_works_on_the_other(
    start_redis_gateway: Callable[..., Gateway], fake_rasa: FakeRasaFixture
) -> None:
    """Session and offered buttons are shared: a proxy may send each request anywhere."""
    a, b = start_redis_gateway(), start_redis_gateway()
    sid = new_session(a)
    first = say(b, sid, "暗証番号を忘れました")
    assert first.status_code == 200 and first.json()["messages"][0]["buttons"][0]["title"] == "本人"
    assert press(a, sid, APPLICANT_BUTTONS[0]["payload"]).status_code == 200  # offered via B, pressed via A
    assert press(b, sid, "/not_offered").status_code == 403
    # The bot asks which PIN (via A); the bare number typed next (via B) is a PIN (as it is anywhere: issue 20).
    assert "どの暗証番号" in say(a, sid, "暗証番号を変更したい").json()["messages"][0]["text"]
    assert say(b, sid, "たしか4917だったと思う").json()["you"]["text"] == "たしか［暗証番号］だったと思う"
    assert fake_rasa[0].requests[-1]["message"] == "たしか［暗証番号］だったと思う"
    senders = {r["sender"] for r in fake_rasa[0].requests}
    assert len(senders) == 1  # one conversation in Rasa, whichever gateway forwarded


def test_a_conversation_outlives_every_gateway_restarting(
    start_redis_gateway: Callable[..., Gateway], fake_rasa: FakeRasaFixture
) -> None:
    """All gateways stop; a new one finds the session, its offered buttons and its conversation id in Redis."""
    first = start_redis_gateway()
    sid = new_session(first)
    assert say(first, sid, "暗証番号を忘れました").status_code == 200
    first.server.stop()
    second = start_redis_gateway()
    assert press(second, sid, APPLICANT_BUTTONS[0]["payload"]).status_code == 200
    assert len({r["sender"] for r in fake_rasa[0].requests}) == 1


def test_a_rate_limit_counts_across_gateways(start_redis_gateway: Callable[..., Gateway]) -> None:
    a, b = start_redis_gateway(rate_limit_session_per_minute=3), start_redis_gateway(rate_limit_session_per_minute=3)
    sid = new_session(a)
    assert [say(gw, sid, "こんにちは").status_code for gw in (a, b, a)] == [200, 200, 200]
    refused = say(b, sid, "こんにちは")
    assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    assert say(a, sid, "こんにちは").status_code == 429
    # Another session is not affected.
    assert say(b, new_session(b), "こんにちは").status_code == 200


def test_session_creation_limit_per_address_counts_across_gateways(start_redis_gateway: Callable[..., Gateway]) -> None:
    a = start_redis_gateway(rate_limit_sessions_per_ip_per_minute=2)
    b = start_redis_gateway(rate_limit_sessions_per_ip_per_minute=2)
    codes = [httpx.post(f"{gw.url}/api/chat/session", json={}).status_code for gw in (a, b, a)]
    assert codes == [200, 200, 429]


def test_a_line_event_delivered_to_both_gateways_is_answered_once(
    start_redis_gateway: Callable[..., Gateway], fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture
) -> None:
    a, b = start_redis_gateway(), start_redis_gateway()
    raw = ev.body(ev.text_event("暗証番号を忘れました", event_id="01HSCALEDDUPLICATE0000000A"))
    headers = ev.signed_headers(LINE_SECRET, raw)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        responses = list(
            pool.map(lambda gw: httpx.post(f"{gw.url}/line/webhook", content=raw, headers=headers), (a, b))
        )
    assert [r.status_code for r in responses] == [200, 200]
    fake_line[0].wait_for("/v2/bot/message/reply", 1)
    time.sleep(0.5)  # room for a second (wrong) answer to arrive
    # A later redelivery of the handled event is a duplicate too, on either gateway.
    assert httpx.post(f"{b.url}/line/webhook", content=raw, headers=headers).status_code == 200
    time.sleep(0.3)
    assert len(fake_line[0].calls("/v2/bot/message/reply")) == 1
    assert len(fake_rasa[0].requests) == 1
    assert fake_line[0].problems() == []


def test_unfollow_on_one_gateway_forgets_what_another_kept(
    start_redis_gateway: Callable[..., Gateway], fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture
) -> None:
    """LINE unfollow through B deletes the conversation A talked in: the shared offers, and Rasa's tracker."""
    a, b = start_redis_gateway(), start_redis_gateway()
    for gw, event in ((a, ev.text_event("暗証番号を忘れました")), (b, ev.unfollow_event())):
        raw = ev.body(event)
        assert httpx.post(f"{gw.url}/line/webhook", content=raw, headers=ev.signed_headers(LINE_SECRET, raw)).is_success
        if gw is a:
            fake_line[0].wait_for("/v2/bot/message/reply", 1)
    deadline = time.monotonic() + 5
    while not fake_rasa[0].deleted and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fake_rasa[0].deleted == [fake_rasa[0].requests[0]["sender"]]
    # The buttons offered before the unfollow are gone: pressing one (via A) is refused politely.
    raw = ev.body(ev.postback_event(APPLICANT_BUTTONS[0]["payload"]))
    assert httpx.post(f"{a.url}/line/webhook", content=raw, headers=ev.signed_headers(LINE_SECRET, raw)).is_success
    replies = fake_line[0].wait_for("/v2/bot/message/reply", 2)
    assert "この選択肢は現在ご利用いただけません" in str(replies[-1].body)
    assert len(fake_rasa[0].requests) == 1


def test_one_conversations_turns_run_one_at_a_time_across_gateways(
    start_redis_gateway: Callable[..., Gateway], fake_rasa: FakeRasaFixture
) -> None:
    """A burst on one conversation through two gateways: each turn is forwarded once and answered as itself; each
    gateway forwards one turn of it at a time. Across gateways Rasa's lock store orders them (this fake has none):
    tests/scaled/test_scaled_faults.py::test_concurrent_messages_of_one_session_through_the_gateway."""
    a, b = start_redis_gateway(rasa_timeout_seconds=4.0), start_redis_gateway(rasa_timeout_seconds=4.0)
    fake_rasa[0].mode, fake_rasa[0].slow_seconds = "slow", 0.2
    sid = new_session(a)
    texts = [f"質問{i}" for i in range(6)]
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda i: say((a, b)[i % 2], sid, texts[i]), range(6)))
    assert all(r.status_code == 200 for r in answers)
    assert [r.json()["messages"][0]["text"] for r in answers] == [f"「{t}」についてのご質問ですね。" for t in texts]
    assert sorted(r["message"] for r in fake_rasa[0].requests) == sorted(texts)  # each forwarded once
    assert fake_rasa[0].max_running_per_sender <= 2  # one per gateway


def test_redis_down_is_a_polite_503_and_recovery_is_automatic(
    start_redis_gateway: Callable[..., Gateway],
    redis_server: RedisServer,
    fake_rasa: FakeRasaFixture,
    fake_line: FakeLineFixture,
) -> None:
    gw = start_redis_gateway()
    sid = new_session(gw)
    assert say(gw, sid, "こんにちは").status_code == 200
    redis_server.stop()
    try:
        started = time.monotonic()
        for response in (
            httpx.post(f"{gw.url}/api/chat/session", json={}),
            say(gw, sid, "こんにちは"),
            httpx.post(
                f"{gw.url}/line/webhook",
                content=(raw := ev.body(ev.text_event("こんにちは"))),
                headers=ev.signed_headers(LINE_SECRET, raw),
            ),
        ):
            assert response.status_code == 503, response.text
            assert response.json()["error"] == "unavailable"
            assert "時間をおいて" in response.json()["message"]
            assert response.headers["Retry-After"] == "5"
        assert time.monotonic() - started < 3.0  # short socket timeouts, never a hang
        assert httpx.get(f"{gw.url}/healthz").status_code == 200  # Rasa is fine; /healthz is about Rasa
        assert fake_rasa[0].messages_for(fake_rasa[0].requests[0]["sender"]) == ["こんにちは"]  # nothing forwarded
    finally:
        redis_server.start()
    # Back by itself: the pool reconnects (this Redis kept nothing, so the resident starts a new session).
    assert say(gw, sid, "こんにちは").status_code == 404
    again = new_session(gw)
    assert say(gw, again, "こんにちは").status_code == 200
    raw = ev.body(ev.text_event("暗証番号を忘れました"))
    assert (
        httpx.post(f"{gw.url}/line/webhook", content=raw, headers=ev.signed_headers(LINE_SECRET, raw)).status_code
        == 200
    )
    fake_line[0].wait_for("/v2/bot/message/reply", 1)
