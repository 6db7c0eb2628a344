"""Issue 20: one client cannot take the capacity everyone shares (turns in flight, /healthz, IPv6 prefixes)."""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable

import httpx

from gateway.state import address_keys
from tests.gateway.conftest import Gateway
from tests.gateway.fakes.fake_rasa import FakeRasa, create_fake_rasa
from tests.gateway.fakes.servers import ServerThread
from tests.gateway.test_hardening import wait_for_rasa_requests
from tests.gateway.test_webchat_api import assert_json_error, new_session, send

FakeRasaFixture = tuple[FakeRasa, ServerThread]
FLOODER = {"X-Forwarded-For": "203.0.113.66"}
RESIDENT = {"X-Forwarded-For": "198.51.100.7"}
# High enough that the per-minute rate limits never refuse the flood: what is tested is the in-flight caps.
# Every turn the gateway takes holds its slot this long, so the whole flood arrives while the first ones still hold
# theirs, even on a loaded machine.
SLOW_RASA = 4.0
NO_RATE_LIMITS = {"rate_limit_session_per_minute": 1000, "rate_limit_ip_per_minute": 1000}


def flood(gw: Gateway, bodies: list[dict[str, str]], fake: FakeRasa) -> tuple[list[httpx.Response], httpx.Response]:
    """Send ``bodies`` at once as FLOODER; while they are in flight, one resident from elsewhere asks a question."""
    resident = new_session(gw, headers=RESIDENT)
    with concurrent.futures.ThreadPoolExecutor(len(bodies)) as pool:
        futures = [pool.submit(send, gw, body, headers=FLOODER) for body in bodies]
        wait_for_rasa_requests(fake, 1)
        # Every flood request has reached the gateway: the refused ones came back at once, the rest are queued.
        deadline = time.monotonic() + 5
        while sum(f.done() for f in futures) < len(bodies) - 32 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)
        answer = send(gw, {"session_id": resident, "text": "暗証番号を忘れました"}, headers=RESIDENT)
        return [f.result() for f in futures], answer


def assert_polite_refusals(responses: list[httpx.Response], allowed: int) -> None:
    """At most ``allowed`` of the flood were taken; every other one is a polite 429 with Retry-After."""
    refused = [r for r in responses if r.status_code != 200]
    assert len(responses) - len(refused) <= allowed, [r.status_code for r in responses]
    for response in refused:
        assert_json_error(response, 429, "turns_in_flight")
        assert "お待ち" in response.json()["message"]
        assert int(response.headers["retry-after"]) >= 1


def test_one_client_flooding_its_conversation_does_not_make_others_busy(
    start_gateway: Callable[..., Gateway], fake_rasa: FakeRasaFixture
) -> None:
    """40 concurrent turns on one conversation used to fill the global cap (32) with turns waiting for that
    conversation's lock, so every other resident got 503. Now the flood is refused beyond its conversation's own
    cap and the other resident is answered."""
    # The default caps: 8 turns per conversation, 16 per client.
    gw = start_gateway(rasa_timeout_seconds=SLOW_RASA + 1, **NO_RATE_LIMITS)
    fake_rasa[0].mode, fake_rasa[0].slow_seconds = "slow", SLOW_RASA
    sid = new_session(gw, headers=FLOODER)
    responses, answer = flood(gw, [{"session_id": sid, "text": f"質問{i}"} for i in range(40)], fake_rasa[0])
    assert answer.status_code == 200, answer.text  # answered (by Rasa, or its apology if Rasa is too slow)
    assert_polite_refusals(responses, allowed=8)


def test_one_client_flooding_many_conversations_does_not_make_others_busy(
    start_gateway: Callable[..., Gateway], fake_rasa: FakeRasaFixture
) -> None:
    """The same client spreading its flood over ten sessions is held to its own cap (per address)."""
    gw = start_gateway(rasa_timeout_seconds=SLOW_RASA + 1, rate_limit_sessions_per_ip_per_minute=100, **NO_RATE_LIMITS)
    fake_rasa[0].mode, fake_rasa[0].slow_seconds = "slow", SLOW_RASA
    sessions = [new_session(gw, headers=FLOODER) for _ in range(10)]
    bodies = [{"session_id": sessions[i % 10], "text": f"質問{i}"} for i in range(40)]
    responses, answer = flood(gw, bodies, fake_rasa[0])
    assert answer.status_code == 200, answer.text
    assert_polite_refusals(responses, allowed=16)


def test_turns_queued_in_one_conversation_count_once_against_the_global_cap(
    start_gateway: Callable[..., Gateway], fake_rasa: FakeRasaFixture
) -> None:
    """With a global cap of two, one resident's three queued turns take one slot: a second resident is still
    served, a third is told the gateway is busy (503)."""
    gw = start_gateway(max_turns_in_flight=2, rasa_timeout_seconds=SLOW_RASA + 1)
    fake_rasa[0].mode, fake_rasa[0].slow_seconds = "slow", SLOW_RASA
    first, second, third = (new_session(gw) for _ in range(3))
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        queued = [pool.submit(send, gw, {"session_id": first, "text": f"質問{i}"}) for i in range(3)]
        wait_for_rasa_requests(fake_rasa[0], 1)
        time.sleep(0.3)  # the other two are queued behind the first one's lock by now
        served = pool.submit(send, gw, {"session_id": second, "text": "二人目です"})
        wait_for_rasa_requests(fake_rasa[0], 2)
        refused = send(gw, {"session_id": third, "text": "三人目です"})
        assert [f.result().status_code for f in queued] == [200, 200, 200]
        assert served.result().status_code == 200
    assert_json_error(refused, 503, "busy")
    assert [r["message"] for r in fake_rasa[0].requests][1] == "二人目です"


# ---- IPv6: /64, /56 and /48 ----


def test_address_keys_of_ipv6_tiers() -> None:
    """An IPv6 client counts against its /64, /56 and /48; IPv4 (mapped or not) against its address only."""
    assert address_keys("2001:db8:1:2ff::1") == ["2001:db8:1:2ff::/64", "2001:db8:1:200::/56", "2001:db8:1::/48"]
    assert address_keys("203.0.113.7") == ["203.0.113.7"] == address_keys("::ffff:203.0.113.7")
    assert address_keys("unknown") == ["unknown"]


def test_ipv6_clients_rotating_64s_are_limited_by_56_and_48(start_gateway: Callable[..., Gateway]) -> None:
    """A client rotating through the /64s of its /56 (256 of them) or its /48 (65,536) used to get a fresh limit
    each time. Now the /56 allows 4× and the /48 16× the per-address limit; another /48 is unaffected."""
    gw = start_gateway(rate_limit_sessions_per_ip_per_minute=2)

    def create(address: str) -> int:
        """Create a session as if from ``address`` (the test server trusts X-Forwarded-For from 127.0.0.1)."""
        return httpx.post(f"{gw.url}/api/chat/session", headers={"X-Forwarded-For": address}).status_code

    # One /56: each /64 stays within its own 2, but the /56 allows 8 in all.
    codes = [create(f"2001:db8:1:1{i:02x}::1") for i in range(9)]
    assert codes == [200] * 8 + [429]
    refused = httpx.post(f"{gw.url}/api/chat/session", headers={"X-Forwarded-For": "2001:db8:1:1ff::1"})
    assert_json_error(refused, 429, "rate_limited")
    assert 1 <= int(refused.headers["retry-after"]) <= 61
    # The /48 allows 32: three more /56s of 8 fill it; the next /56 of the same /48 is refused at once.
    assert [create(f"2001:db8:1:{n}{i:02x}::1") for n in (2, 3, 4) for i in range(8)] == [200] * 24
    assert create("2001:db8:1:500::1") == 429
    assert create("2001:db8:2:100::1") == 200  # another /48
    assert create("203.0.113.7") == 200


# ---- /healthz ----


def test_healthz_bursts_reach_the_replicas_once_a_second(
    start_gateway: Callable[..., Gateway], fake_rasa: FakeRasaFixture
) -> None:
    """/healthz is public and used to probe every replica's /status on each call: a burst of 40 was 40 probes per
    replica. Its answer is now kept for a second, concurrent callers share one probe, and a change still shows
    within about a second."""
    second = FakeRasa()
    second_server = ServerThread(create_fake_rasa(second)).start()
    try:
        gw = start_gateway(rasa_urls=(fake_rasa[1].url, second_server.url), rasa_health_interval_seconds=3600)
        time.sleep(0.3)  # the startup check of both replicas is done
        before = (fake_rasa[0].status_calls, second.status_calls)
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda _: httpx.get(f"{gw.url}/healthz").status_code, range(40)))
        elapsed = time.monotonic() - started
        assert codes == [200] * 40
        probes = (fake_rasa[0].status_calls - before[0], second.status_calls - before[1])
        bound = int(elapsed) + 2  # one probe per started second of the burst, plus one at its edge
        assert all(1 <= p <= bound for p in probes), (probes, elapsed)
        fake_rasa[0].model_loaded = second.model_loaded = False
        time.sleep(1.1)
        assert httpx.get(f"{gw.url}/healthz").status_code == 503
    finally:
        second_server.stop()
