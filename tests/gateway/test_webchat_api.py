"""The web chat API of CONTRACT §4 against a running gateway and a fake Rasa."""

from __future__ import annotations

import concurrent.futures
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.gateway.conftest import Gateway, wait_for_health
from tests.gateway.fakes.fake_rasa import FakeRasa
from tests.gateway.fakes.servers import ServerThread

FakeRasaFixture = tuple[FakeRasa, ServerThread]


def new_session(gw: Gateway, body: Any = None, **kwargs: Any) -> str:
    """Create a session and return its id."""
    response = httpx.post(f"{gw.url}/api/chat/session", json=body, **kwargs)
    assert response.status_code == 200, response.text
    return str(response.json()["session_id"])


def send(gw: Gateway, body: Any, **kwargs: Any) -> httpx.Response:
    """POST one message body."""
    return httpx.post(f"{gw.url}/api/chat/message", json=body, timeout=10, **kwargs)


def assert_json_error(response: httpx.Response, status: int, code: str) -> None:
    """The response is the given 4xx with a JSON error code and message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == code
    assert isinstance(body["message"], str) and body["message"]


def test_session_ids_are_unguessable_and_unique(gateway: Gateway) -> None:
    """Session ids are random, long and never cached."""
    ids = {new_session(gateway) for _ in range(5)}
    assert len(ids) == 5
    for sid in ids:
        assert len(sid) >= 43  # 256 random bits
    response = httpx.post(f"{gateway.url}/api/chat/session")
    assert response.headers["cache-control"] == "no-store"
    assert set(response.json()) == {"session_id"}


def test_full_flow_buttons_and_checklist(gateway: Gateway, fake_rasa: FakeRasaFixture) -> None:
    """Question → 本人 → 三鷹市 → checklist, with the contract's JSON shape."""
    sid = new_session(gateway)
    first = send(gateway, {"session_id": sid, "text": "暗証番号を忘れました"})
    assert first.status_code == 200
    messages = first.json()["messages"]
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert titles == ["本人", "法定代理人", "任意代理人"]
    self_payload = messages[0]["buttons"][0]["payload"]
    second = send(gateway, {"session_id": sid, "payload": self_payload}).json()["messages"]
    cities = {b["title"]: b["payload"] for b in second[0]["buttons"]}
    assert set(cities) == {"三鷹市", "千葉市", "多治見市", "龍ケ崎市"}
    third = send(gateway, {"session_id": sid, "payload": cities["三鷹市"]}).json()["messages"]
    # Rasa also sent an image-only message: the gateway passes text only, in the contract's shape.
    assert len(third) == 1 and "buttons" not in third[0]
    assert "マイナンバーカード" in third[0]["text"]
    state = fake_rasa[0]
    sender = state.requests[0]["sender"]
    assert sender != sid and sid not in sender
    assert state.messages_for(sender) == ["暗証番号を忘れました", self_payload, cities["三鷹市"]]
    assert state.requests[0]["metadata"] == {"channel": "web"}


@pytest.mark.parametrize("value", ["mitaka", "三鷹市", "三鷹", "ＭＩＴＡＫＡ"])
def test_municipality_fixed_by_embedding(gateway: Gateway, fake_rasa: FakeRasaFixture, value: str) -> None:
    """An id or Japanese name at session creation reaches Rasa as metadata."""
    sid = new_session(gateway, {"municipality": value})
    send(gateway, {"session_id": sid, "text": "こんにちは"})
    assert fake_rasa[0].requests[-1]["metadata"] == {"channel": "web", "municipality": "mitaka"}


@pytest.mark.parametrize("value,expected", [("龍ヶ崎市", "ryugasaki"), ("竜ケ崎市", "ryugasaki"), ("千葉市", "chiba")])
def test_municipality_name_variants(
    start_gateway: Callable[..., Gateway], fake_rasa: FakeRasaFixture, value: str, expected: str
) -> None:
    """Spelling variants of city names (the project's own KB files) resolve to the canonical id."""
    gateway = start_gateway(knowledge_dir=Path(__file__).resolve().parents[2] / "knowledge")
    sid = new_session(gateway, {"municipality": value})
    send(gateway, {"session_id": sid, "text": "こんにちは"})
    assert fake_rasa[0].requests[-1]["metadata"]["municipality"] == expected


def test_unknown_municipality_is_refused(gateway: Gateway) -> None:
    """An unsupported city is a 422."""
    response = httpx.post(f"{gateway.url}/api/chat/session", json={"municipality": "大阪市"})
    assert_json_error(response, 422, "unknown_municipality")


@pytest.mark.parametrize(
    "typed,forwarded",
    [
        ("/restart", "／restart"),
        ('/inform{"municipality":"mitaka"}', '／inform{"municipality":"mitaka"}'),
        ("   /greet", "／greet"),
        ("\u3000/greet", "／greet"),
        ("\u200b/greet", "／greet"),
        ("\ufeff\u200d/greet", "／greet"),
        ("暗証番号 /forgot_pin", "暗証番号 /forgot_pin"),
    ],
)
def test_typed_text_is_never_a_rasa_command(
    gateway: Gateway, fake_rasa: FakeRasaFixture, typed: str, forwarded: str
) -> None:
    """Typed text starting with '/' (even after invisible characters) is neutralised."""
    sid = new_session(gateway)
    assert send(gateway, {"session_id": sid, "text": typed}).status_code == 200
    sent = fake_rasa[0].requests[-1]["message"]
    assert sent == forwarded
    assert not sent.strip().startswith("/")


def test_pin_and_individual_number_are_redacted_before_rasa_logs_and_storage(
    gateway: Gateway, fake_rasa: FakeRasaFixture, caplog: pytest.LogCaptureFixture
) -> None:
    """PINs and 個人番号 never reach Rasa, the logs or the database."""
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="gateway")
    sid = new_session(gateway)
    texts = ["暗証番号は4821です", "マイナンバーは1234 5678 9012です", "9274"]
    for text in texts:
        assert send(gateway, {"session_id": sid, "text": text}).status_code == 200
    sent = [r["message"] for r in fake_rasa[0].requests]
    assert sent == ["暗証番号は［暗証番号］です", "マイナンバーは［個人番号］です", "［暗証番号］"]
    for secret in ("4821", "1234 5678 9012", "123456789012", "9274"):
        assert secret not in caplog.text
        assert secret.encode() not in Path(gateway.settings.db_path).read_bytes()
    # The fake echoes what it got; the resident never sees the number echoed back either.
    reply = send(gateway, {"session_id": sid, "text": "暗証番号は4821です"}).json()
    assert "4821" not in str(reply)


@pytest.mark.parametrize(
    "raw,status,code",
    [
        (b"{not json", 400, "bad_json"),
        (b"\xff\xfe\x00", 400, "bad_json"),
        (b"[1, 2]", 400, "invalid_request"),
        (b'"text"', 400, "invalid_request"),
        (b'{"text": "hi"}', 400, "invalid_request"),
        (b'{"session_id": 12, "text": "hi"}', 400, "invalid_request"),
    ],
)
def test_malformed_bodies(gateway: Gateway, fake_rasa: FakeRasaFixture, raw: bytes, status: int, code: str) -> None:
    """Bad JSON and wrong shapes → 400, and Rasa is not called."""
    response = httpx.post(f"{gateway.url}/api/chat/message", content=raw, headers={"content-type": "application/json"})
    assert_json_error(response, status, code)
    assert fake_rasa[0].requests == []


def test_field_errors(gateway: Gateway, fake_rasa: FakeRasaFixture) -> None:
    """Missing, doubled or mistyped fields → 400; empty text → 422."""
    sid = new_session(gateway)
    assert_json_error(send(gateway, {"session_id": sid}), 400, "invalid_request")
    assert_json_error(send(gateway, {"session_id": sid, "text": "a", "payload": "/greet"}), 400, "invalid_request")
    assert_json_error(send(gateway, {"session_id": sid, "text": 5}), 400, "invalid_request")
    assert_json_error(send(gateway, {"session_id": sid, "text": " \n\u3000"}), 422, "empty_text")
    assert fake_rasa[0].requests == []


def test_unknown_and_malformed_sessions_are_404(gateway: Gateway, fake_rasa: FakeRasaFixture) -> None:
    """Unknown or malformed session ids → 404."""
    real = new_session(gateway)
    forged = real[:-1] + ("A" if real[-1] != "A" else "B")
    for sid in (forged, "x" * 43, "short", "../../etc/passwd", "' OR 1=1 --"):
        assert_json_error(send(gateway, {"session_id": sid, "text": "こんにちは"}), 404, "unknown_session")
    assert fake_rasa[0].requests == []


def test_length_limits(start_gateway: Callable[..., Gateway], fake_rasa: FakeRasaFixture) -> None:
    """Text over the limit → 413 text_too_long; an oversized body → 413 body_too_large."""
    gw = start_gateway(max_text_chars=100, max_body_bytes=2048)
    sid = new_session(gw)
    assert send(gw, {"session_id": sid, "text": "あ" * 100}).status_code == 200
    assert_json_error(send(gw, {"session_id": sid, "text": "あ" * 101}), 413, "text_too_long")
    assert_json_error(send(gw, {"session_id": sid, "text": "a" * 5000}), 413, "body_too_large")
    big = httpx.post(f"{gw.url}/api/chat/session", content=b"{" + b" " * 4096 + b"}")
    assert_json_error(big, 413, "body_too_large")
    assert len(fake_rasa[0].requests) == 1


def test_wrong_method_and_path_are_json(gateway: Gateway) -> None:
    """405 and 404 are JSON too."""
    assert_json_error(httpx.get(f"{gateway.url}/api/chat/message"), 405, "method_not_allowed")
    assert_json_error(httpx.get(f"{gateway.url}/api/nothing"), 404, "not_found")


def test_payload_forgery_is_refused(gateway: Gateway, fake_rasa: FakeRasaFixture) -> None:
    """Only payloads the bot offered to this session are accepted."""
    sid = new_session(gateway)
    # Never offered anything yet.
    assert_json_error(send(gateway, {"session_id": sid, "payload": "/restart"}), 403, "payload_not_offered")
    offered = send(gateway, {"session_id": sid, "text": "暗証番号を忘れました"}).json()["messages"][0]["buttons"]
    # A payload shaped like the offered ones but with another slot value.
    forged = '/inform{"applicant_type":"self","municipality":"chiba"}'
    assert_json_error(send(gateway, {"session_id": sid, "payload": forged}), 403, "payload_not_offered")
    assert_json_error(
        send(gateway, {"session_id": sid, "payload": offered[0]["payload"] + " "}), 403, "payload_not_offered"
    )
    assert [r["message"] for r in fake_rasa[0].requests] == ["暗証番号を忘れました"]
    assert send(gateway, {"session_id": sid, "payload": offered[0]["payload"]}).status_code == 200


def test_sessions_are_isolated(gateway: Gateway, fake_rasa: FakeRasaFixture) -> None:
    """Two sessions have separate Rasa senders, cities and offered buttons."""
    alice, bob = new_session(gateway, {"municipality": "mitaka"}), new_session(gateway, {"municipality": "chiba"})
    offered = send(gateway, {"session_id": alice, "text": "暗証番号を忘れました"}).json()["messages"][0]["buttons"]
    # Bob cannot use the buttons offered to Alice.
    assert_json_error(send(gateway, {"session_id": bob, "payload": offered[0]["payload"]}), 403, "payload_not_offered")
    send(gateway, {"session_id": bob, "text": "こんにちは"})
    senders = {r["sender"] for r in fake_rasa[0].requests}
    assert len(senders) == 2
    by_sender = {r["sender"]: r["metadata"].get("municipality") for r in fake_rasa[0].requests}
    assert sorted(by_sender.values()) == ["chiba", "mitaka"]
    # Alice's conversation continues undisturbed.
    assert send(gateway, {"session_id": alice, "payload": offered[0]["payload"]}).status_code == 200


def test_rate_limit_per_session(start_gateway: Callable[..., Gateway], fake_rasa: FakeRasaFixture) -> None:
    """More than N messages a minute in one session → 429 with Retry-After; others unaffected."""
    gw = start_gateway(rate_limit_session_per_minute=3, rate_limit_ip_per_minute=100)
    flooder, other = new_session(gw), new_session(gw)
    codes = [send(gw, {"session_id": flooder, "text": f"質問{i}"}).status_code for i in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    limited = send(gw, {"session_id": flooder, "text": "まだ"})
    assert_json_error(limited, 429, "rate_limited")
    assert 1 <= int(limited.headers["retry-after"]) <= 61
    assert send(gw, {"session_id": other, "text": "こんにちは"}).status_code == 200
    assert len(fake_rasa[0].requests) == 4


def test_rate_limit_per_client_address(start_gateway: Callable[..., Gateway], fake_rasa: FakeRasaFixture) -> None:
    """More than N requests a minute from one address → 429, junk included."""
    gw = start_gateway(rate_limit_session_per_minute=100, rate_limit_ip_per_minute=4)
    sessions = [new_session(gw) for _ in range(3)]
    codes = [send(gw, {"session_id": sessions[i % 3], "text": f"質問{i}"}).status_code for i in range(6)]
    assert codes == [200, 200, 200, 200, 429, 429]
    # Junk requests count too, so a flood of bad ids cannot probe without limit.
    assert_json_error(send(gw, {"session_id": "x" * 43, "text": "a"}), 429, "rate_limited")


def test_rate_limit_on_session_creation(start_gateway: Callable[..., Gateway]) -> None:
    """Session creation is limited per address."""
    gw = start_gateway(rate_limit_sessions_per_ip_per_minute=2)
    codes = [httpx.post(f"{gw.url}/api/chat/session").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_origin_allowlist(start_gateway: Callable[..., Gateway], fake_rasa: FakeRasaFixture) -> None:
    """Only exact listed origins (and the gateway's own) may call the API."""
    city = "https://www.city.mitaka.lg.jp"
    gw = start_gateway(allowed_origins=frozenset({city}))
    allowed = httpx.post(f"{gw.url}/api/chat/session", headers={"Origin": city})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == city
    assert "Origin" in allowed.headers["vary"]
    sid = allowed.json()["session_id"]
    for origin in (
        "https://evil.example",
        "https://www.city.mitaka.lg.jp.evil.example",
        "http://www.city.mitaka.lg.jp",
        "null",
    ):
        refused = send(gw, {"session_id": sid, "text": "こんにちは"}, headers={"Origin": origin})
        assert_json_error(refused, 403, "origin_not_allowed")
        assert "access-control-allow-origin" not in refused.headers
    assert fake_rasa[0].requests == []
    ok = send(gw, {"session_id": sid, "text": "こんにちは"}, headers={"Origin": city})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == city
    # The demo page on the gateway's own origin always works.
    own = send(gw, {"session_id": sid, "text": "こんにちは"}, headers={"Origin": gw.url})
    assert own.status_code == 200


def test_cors_preflight(start_gateway: Callable[..., Gateway]) -> None:
    """Preflights get exact-origin CORS headers or a 403."""
    city = "https://www.city.chiba.jp"
    gw = start_gateway(allowed_origins=frozenset({city}))
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    ok = httpx.options(f"{gw.url}/api/chat/message", headers={"Origin": city, **preflight})
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == city
    assert ok.headers["access-control-allow-methods"] == "POST, DELETE"
    assert ok.headers["access-control-allow-origin"] != "*"
    bad = httpx.options(f"{gw.url}/api/chat/message", headers={"Origin": "https://evil.example", **preflight})
    assert bad.status_code == 403 and "access-control-allow-origin" not in bad.headers


@pytest.mark.parametrize("mode", ["error", "empty", "garbage", "images"])
def test_rasa_failures_give_the_city_fallback(gateway: Gateway, fake_rasa: FakeRasaFixture, mode: str) -> None:
    """Rasa errors, empty, non-JSON or text-less replies → the city's fallback."""
    fake_rasa[0].mode = mode
    sid = new_session(gateway, {"municipality": "mitaka"})
    response = send(gateway, {"session_id": sid, "text": "暗証番号を忘れました"})
    assert response.status_code == 200
    messages = response.json()["messages"]
    assert len(messages) == 1
    text = messages[0]["text"]
    assert "0422-29-9191" in text and "三鷹市" in text and "平日8時30分～17時15分" in text


def test_rasa_timeout_gives_fallback_within_the_deadline(gateway: Gateway, fake_rasa: FakeRasaFixture) -> None:
    """A hanging Rasa is cut off at the deadline with the fallback."""
    fake_rasa[0].mode = "slow"
    sid = new_session(gateway, {"municipality": "chiba"})
    started = time.monotonic()
    response = send(gateway, {"session_id": sid, "text": "暗証番号を忘れました"})
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert "043-245-5134" in response.json()["messages"][0]["text"]
    assert elapsed < gateway.settings.rasa_timeout_seconds + 1.0


@pytest.mark.parametrize(
    "municipality,expected,absent",
    [
        (
            "tajimi",
            "お問い合わせ：多治見市 市民課（ページに電話番号の記載がありません）",
            "0422",
        ),  # KB file without phones
        (
            None,
            "お問い合わせ：千葉市 市民自治推進部 区政推進課 電話 043-245-5134\n",
            "龍ケ崎市",
        ),  # every city the KB has
    ],
)
def test_fallback_contacts_when_kb_is_incomplete(
    gateway: Gateway, fake_rasa: FakeRasaFixture, municipality: str | None, expected: str, absent: str
) -> None:
    """A city without phones says so; an unknown city lists every city with a file, and only those."""
    fake_rasa[0].mode = "error"
    sid = new_session(gateway, {"municipality": municipality} if municipality else None)
    text = send(gateway, {"session_id": sid, "text": "こんにちは"}).json()["messages"][0]["text"]
    assert expected in text and absent not in text


def test_a_city_without_a_file_is_unknown(gateway: Gateway) -> None:
    """Only knowledge/municipalities/<id>.yml defines a city: without its file, ryugasaki is refused."""
    response = httpx.post(f"{gateway.url}/api/chat/session", json={"municipality": "ryugasaki"})
    assert_json_error(response, 422, "unknown_municipality")


def test_sessions_and_offers_survive_a_gateway_restart(
    start_gateway: Callable[..., Gateway], fake_rasa: FakeRasaFixture
) -> None:
    """A restarted gateway still knows the session and its offered buttons."""
    first = start_gateway()
    sid = new_session(first, {"municipality": "mitaka"})
    offered = send(first, {"session_id": sid, "text": "暗証番号を忘れました"}).json()["messages"][0]["buttons"]
    first.server.stop()
    second = start_gateway()
    response = send(second, {"session_id": sid, "payload": offered[0]["payload"]})
    assert response.status_code == 200
    assert "マイナンバーカード" in response.json()["messages"][0]["text"]
    assert len({r["sender"] for r in fake_rasa[0].requests}) == 1


def test_healthz_says_only_ok_or_not(
    gateway: Gateway, fake_rasa: FakeRasaFixture, caplog: pytest.LogCaptureFixture
) -> None:
    """/healthz is 200 only with a loaded model; the public body is ok/not ok only, the reason is logged."""
    caplog.set_level(logging.INFO)
    ok = httpx.get(f"{gateway.url}/healthz")
    assert ok.status_code == 200 and ok.json() == {"status": "ok"}
    fake_rasa[0].model_loaded = False
    down = wait_for_health(gateway.url, 503)  # the answer is kept for a second
    assert down.json() == {"status": "unavailable"}
    for leak in ("fake-model", "models/", "127.0.0.1", "rasa", "line", "version"):
        assert leak not in ok.text.lower() and leak not in down.text.lower()
    assert "health: rasa no model loaded" in caplog.text


def test_pages_and_security_headers(gateway: Gateway) -> None:
    """Demo pages, widget files and their security headers."""
    page = httpx.get(f"{gateway.url}/")
    assert page.status_code == 200
    assert '<script src="/widget.js" defer></script>' in page.text
    # The demo links are the cities with a knowledge file, and only those (the test KB has no ryugasaki.yml).
    assert '<a href="/demo/tajimi">多治見市</a>' in page.text and "/demo/ryugasaki" not in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    city = httpx.get(f"{gateway.url}/demo/chiba")
    assert 'data-municipality="chiba"' in city.text and "千葉市" in city.text
    assert httpx.get(f"{gateway.url}/demo/osaka").status_code == 404
    assert httpx.get(f"{gateway.url}/demo/%3Cscript%3E").status_code == 404
    widget = httpx.get(f"{gateway.url}/widget.js")
    assert widget.headers["content-type"].startswith("text/javascript")
    assert "innerHTML" not in widget.text and "eval(" not in widget.text
    assert httpx.get(f"{gateway.url}/widget.css").status_code == 200


def test_default_municipality_applies_to_web_sessions(
    start_gateway: Callable[..., Gateway], fake_rasa: FakeRasaFixture
) -> None:
    """A one-city deployment (DEFAULT_MUNICIPALITY, id or name) fixes sessions the embedding left open."""
    gw = start_gateway(default_municipality="多治見市")
    send(gw, {"session_id": new_session(gw), "text": "こんにちは"})
    send(gw, {"session_id": new_session(gw, {"municipality": "chiba"}), "text": "こんにちは"})
    assert [r["metadata"]["municipality"] for r in fake_rasa[0].requests] == ["tajimi", "chiba"]


# ---- issue 20: deleting a conversation, and an absolute session lifetime ----


def delete_session(gw: Gateway, body: Any, **kwargs: Any) -> httpx.Response:
    """DELETE /api/chat/session with a JSON body, as the widget sends it."""
    return httpx.request("DELETE", f"{gw.url}/api/chat/session", json=body, timeout=10, **kwargs)


def test_a_resident_deletes_their_conversation(gateway: Gateway, fake_rasa: FakeRasaFixture) -> None:
    """DELETE /api/chat/session forgets the session and its buttons here and the conversation in Rasa (through the
    token-guarded delete LINE's unfollow uses); the id is then unknown, and nothing else is touched."""
    sid, other = new_session(gateway), new_session(gateway)
    first = send(gateway, {"session_id": sid, "text": "暗証番号を忘れました"})
    payload = first.json()["messages"][0]["buttons"][0]["payload"]
    assert send(gateway, {"session_id": other, "text": "こんにちは"}).status_code == 200
    sender, other_sender = fake_rasa[0].requests[0]["sender"], fake_rasa[0].requests[1]["sender"]
    deleted = delete_session(gateway, {"session_id": sid})
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == {"deleted": True}
    assert deleted.headers["cache-control"] == "no-store"
    assert fake_rasa[0].deleted == [sender]
    assert_json_error(send(gateway, {"session_id": sid, "payload": payload}), 404, "unknown_session")
    assert_json_error(delete_session(gateway, {"session_id": sid}), 404, "unknown_session")
    assert send(gateway, {"session_id": other, "text": "まだ使えますか"}).status_code == 200
    assert other_sender not in fake_rasa[0].deleted
    # A session that never reached Rasa is deleted the same way (Rasa deletes nothing, successfully).
    fresh = new_session(gateway)
    assert delete_session(gateway, {"session_id": fresh}).status_code == 200


def test_deleting_during_a_turn_waits_for_it(gateway: Gateway, fake_rasa: FakeRasaFixture) -> None:
    """A deletion while Rasa is still answering a turn waits for that turn: deleting first would let the turn's end
    write the conversation back into Rasa's tracker."""
    fake_rasa[0].mode, fake_rasa[0].slow_seconds = "slow", 1.0
    sid = new_session(gateway)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        turn = pool.submit(send, gateway, {"session_id": sid, "text": "こんにちは"})
        deadline = time.monotonic() + 5
        while not fake_rasa[0].requests and time.monotonic() < deadline:
            time.sleep(0.01)
        assert delete_session(gateway, {"session_id": sid}).status_code == 200
        assert turn.result().status_code == 200
    assert fake_rasa[0].running_at_delete == [0]


def test_deleting_refuses_bad_requests_like_the_rest_of_the_api(gateway: Gateway, fake_rasa: FakeRasaFixture) -> None:
    """Unknown ids, a missing id, bad JSON: JSON 4xx, nothing deleted."""
    real = new_session(gateway)
    forged = real[:-1] + ("A" if real[-1] != "A" else "B")
    for sid in (forged, "short", "' OR 1=1 --"):
        assert_json_error(delete_session(gateway, {"session_id": sid}), 404, "unknown_session")
    assert_json_error(delete_session(gateway, {}), 400, "invalid_request")
    assert_json_error(delete_session(gateway, {"session_id": 5}), 400, "invalid_request")
    bad = httpx.request("DELETE", f"{gateway.url}/api/chat/session", content=b"{", timeout=10)
    assert_json_error(bad, 400, "bad_json")
    assert fake_rasa[0].deleted == []
    assert send(gateway, {"session_id": real, "text": "こんにちは"}).status_code == 200


def test_deleting_when_rasa_cannot_delete_keeps_the_session_to_try_again(
    start_gateway: Callable[..., Gateway], fake_rasa: FakeRasaFixture
) -> None:
    """If Rasa's conversation could not be deleted, the resident is told (503) and can try again later."""
    gw = start_gateway(rasa_auth_token="not-the-token-" + "x" * 32)
    sid = new_session(gw)
    assert send(gw, {"session_id": sid, "text": "こんにちは"}).status_code == 200
    refused = delete_session(gw, {"session_id": sid})
    assert_json_error(refused, 503, "unavailable")
    assert "削除できませんでした" in refused.json()["message"] and refused.headers["retry-after"]
    assert send(gw, {"session_id": sid, "text": "まだ使えますか"}).status_code == 200


def test_an_allowed_city_page_may_delete(start_gateway: Callable[..., Gateway]) -> None:
    """The browser's preflight for DELETE from an allowed origin is answered; another origin is refused."""
    city = "https://www.city.mitaka.lg.jp"
    gw = start_gateway(allowed_origins=frozenset({city}))
    preflight = httpx.options(
        f"{gw.url}/api/chat/session",
        headers={
            "Origin": city,
            "Access-Control-Request-Method": "DELETE",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert "DELETE" in preflight.headers["access-control-allow-methods"]
    sid = new_session(gw, headers={"Origin": city})
    assert delete_session(gw, {"session_id": sid}, headers={"Origin": city}).status_code == 200
    assert_json_error(
        delete_session(gw, {"session_id": new_session(gw)}, headers={"Origin": "https://evil.example"}),
        403,
        "origin_not_allowed",
    )


def test_sessions_end_after_their_absolute_lifetime(start_gateway: Callable[..., Gateway]) -> None:
    """A session in constant use still ends SESSION_MAX_AGE_SECONDS after it was issued: 404 unknown_session (the
    widget then starts a new one)."""
    gw = start_gateway(session_max_age_seconds=2)
    sid = new_session(gw)
    started = time.monotonic()
    while time.monotonic() - started < 1.5:
        assert send(gw, {"session_id": sid, "text": "こんにちは"}).status_code == 200
        time.sleep(0.3)
    time.sleep(max(0.0, 2.2 - (time.monotonic() - started)))
    assert_json_error(send(gw, {"session_id": sid, "text": "こんにちは"}), 404, "unknown_session")
