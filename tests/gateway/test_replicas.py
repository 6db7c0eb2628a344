"""Several Rasa replicas: a turn is resent only when no replica accepted it, never twice; dead replicas leave."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import httpx
import pytest

from gateway.rasa import RasaConnectionLost, RasaNotAccepted, RasaUnavailable, ReplicaPool
from gateway.settings import Settings
from testkit.services import free_port
from tests.gateway.conftest import Gateway, wait_for_health
from tests.gateway.fakes.dying_rasa import DyingRasa
from tests.gateway.fakes.fake_rasa import FakeRasa, create_fake_rasa
from tests.gateway.fakes.servers import ServerThread

FakeRasaFixture = tuple[FakeRasa, ServerThread]
A, B, C = "http://a.test", "http://b.test", "http://c.test"
REPLY = [{"recipient_id": "s", "text": "こんにちは"}]


class Replica:
    """A MockTransport replica that counts the turns it received and fails as told."""

    def __init__(self, failure: type[httpx.TransportError] | None = None, model: bool = True) -> None:
        """``failure``: raise this on every turn (after counting it only if the request was written)."""
        self.failure = failure
        self.model = model
        self.turns: list[str] = []
        self.deleted: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        """The fake's answer."""
        if request.url.path == "/status":
            if self.failure is not None:
                raise httpx.ConnectError("refused", request=request)
            return httpx.Response(200, json={"model_file": "m.tar.gz" if self.model else None})
        if request.method == "DELETE":
            if self.failure is not None:
                raise self.failure("down", request=request)
            self.deleted.append(request.url.path.rsplit("/", 1)[-1])
            return httpx.Response(200, json={})
        if self.failure in (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
            raise self.failure("never sent", request=request)
        self.turns.append(request.read().decode())
        if self.failure is not None:
            raise self.failure("lost after sending", request=request)
        return httpx.Response(200, json=REPLY)


def pool_of(replicas: dict[str, Replica]) -> ReplicaPool:
    """A pool over MockTransport replicas (no background checks: the test decides what is known)."""
    transports: dict[str, httpx.AsyncBaseTransport] = {
        url: httpx.MockTransport(replica.handle) for url, replica in replicas.items()
    }
    return ReplicaPool(list(replicas), 2.0, auth_token="t", transports=transports)


def sender_first_on(pool: ReplicaPool, url: str) -> str:
    """A sender id whose preferred replica is ``url``."""
    for i in range(1000):
        if pool.candidates(f"s{i}")[0].url == url:
            return f"s{i}"
    raise AssertionError("no sender prefers " + url)


@pytest.mark.parametrize("failure", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
def test_a_turn_no_replica_accepted_goes_to_the_next(failure: type[httpx.TransportError]) -> None:
    replicas = {A: Replica(failure), B: Replica()}

    async def main() -> None:
        pool = pool_of(replicas)
        sender = sender_first_on(pool, A)
        messages = await pool.send(sender, "hi", {})
        assert [m.text for m in messages] == ["こんにちは"]
        assert not pool.replicas[0].healthy and pool.replicas[1].healthy
        # Known to be down now: the next turn goes straight to B.
        await pool.send(sender, "again", {})
        await pool.close()

    asyncio.run(main())
    assert replicas[A].turns == [] and len(replicas[B].turns) == 2


@pytest.mark.parametrize("failure", [httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError, httpx.ReadTimeout])
def test_a_turn_lost_after_sending_is_never_resent(failure: type[httpx.TransportError]) -> None:
    """Rasa may have run it: the caller gets RasaUnavailable (the fallback) and the replica leaves the rotation."""
    replicas = {A: Replica(failure), B: Replica()}

    async def main() -> None:
        pool = pool_of(replicas)
        sender = sender_first_on(pool, A)
        with pytest.raises(RasaConnectionLost):
            await pool.send(sender, "hi", {})
        assert not pool.replicas[0].healthy
        await pool.send(sender, "next", {})  # the resident's next message: same sender, another replica
        await pool.close()

    asyncio.run(main())
    assert len(replicas[A].turns) == 1 and len(replicas[B].turns) == 1
    assert '"next"' in replicas[B].turns[0]


def test_every_replica_refusing_ends_in_unavailable() -> None:
    replicas = {A: Replica(httpx.ConnectError), B: Replica(httpx.ConnectError)}

    async def main() -> None:
        pool = pool_of(replicas)
        with pytest.raises(RasaNotAccepted):
            await pool.send("s", "hi", {})
        # All marked down: each is still tried (the marks may be stale) and each refuses once more, nothing more.
        with pytest.raises(RasaUnavailable):
            await pool.send("s", "hi", {})
        await pool.close()

    asyncio.run(main())


def test_health_is_ok_while_one_replica_is() -> None:
    replicas = {A: Replica(httpx.ConnectError), B: Replica(model=False), C: Replica()}

    async def main() -> None:
        pool = pool_of(replicas)
        ok, detail = await pool.health()
        assert ok and detail.startswith("1/3 replicas healthy")
        assert [r.healthy for r in pool.replicas] == [False, False, True]
        # Turns go only to the healthy one, whatever their affinity.
        for i in range(10):
            await pool.send(f"s{i}", "hi", {})
        replicas[C].failure = httpx.ConnectError
        ok, _ = await pool.health()
        assert not ok
        await pool.close()

    asyncio.run(main())
    assert len(replicas[C].turns) == 10 and not replicas[A].turns and not replicas[B].turns


def test_turns_spread_and_stick_to_their_replica() -> None:
    """Many conversations use every replica; one conversation keeps its replica while it is healthy."""
    replicas = {A: Replica(), B: Replica(), C: Replica()}

    async def main() -> None:
        pool = pool_of(replicas)
        for i in range(60):
            await pool.send(f"s{i}", "hi", {})
            await pool.send(f"s{i}", "again", {})
        await pool.close()

    asyncio.run(main())
    assert all(len(r.turns) >= 20 for r in replicas.values()), [len(r.turns) for r in replicas.values()]
    for replica in replicas.values():
        senders = [t.split('"sender":')[1].split(",")[0] for t in replica.turns]
        assert all(senders.count(s) == 2 for s in senders)  # both turns of a conversation on the same replica


def test_delete_goes_to_a_healthy_replica() -> None:
    replicas = {A: Replica(httpx.ConnectError), B: Replica()}

    async def main() -> None:
        pool = pool_of(replicas)
        await pool.health()
        assert await pool.delete_conversation("conv-1")
        replicas[B].failure = httpx.ConnectError
        assert not await pool.delete_conversation("conv-2")
        await pool.close()

    asyncio.run(main())
    assert replicas[B].deleted == ["conv-1"]


def test_background_checks_bring_a_replica_back() -> None:
    replicas = {A: Replica(httpx.ConnectError), B: Replica()}

    async def main() -> None:
        pool = ReplicaPool(
            [A, B],
            2.0,
            auth_token="t",
            health_interval_seconds=0.05,
            transports={url: httpx.MockTransport(r.handle) for url, r in replicas.items()},
        )
        pool.start()
        await asyncio.sleep(0.2)
        assert not pool.replicas[0].healthy
        replicas[A].failure = None
        await asyncio.sleep(0.2)
        assert pool.replicas[0].healthy
        await pool.close()

    asyncio.run(main())


# ---- against real sockets, through the gateway ----


@pytest.fixture
def second_rasa() -> Iterator[FakeRasaFixture]:
    """Another fake Rasa replica beside the shared one."""
    state = FakeRasa()
    server = ServerThread(create_fake_rasa(state)).start()
    yield state, server
    server.stop()


def send_new(gw: Gateway, text: str) -> tuple[str, httpx.Response]:
    """A new session and its first message."""
    sid = httpx.post(f"{gw.url}/api/chat/session", json={"municipality": "mitaka"}).json()["session_id"]
    return sid, httpx.post(f"{gw.url}/api/chat/message", json={"session_id": sid, "text": text}, timeout=10)


def test_a_stopped_replica_refuses_and_the_turn_is_answered_once_elsewhere(
    start_gateway: Callable[..., Gateway], fake_rasa: FakeRasaFixture, second_rasa: FakeRasaFixture
) -> None:
    """Replica B stops between health checks: turns preferring it are refused there and answered by A, once."""
    a, b = fake_rasa, second_rasa
    urls = (a[1].url, b[1].url)
    gw = start_gateway(rasa_urls=urls, rasa_health_interval_seconds=60.0)
    assert httpx.get(f"{gw.url}/healthz").status_code == 200
    b[1].stop()
    local = ReplicaPool(urls, 1.0)  # the same affinity the gateway computes
    sent = 0
    while not any(local.candidates(r["sender"])[0].url == b[1].url for r in a[0].requests):
        assert sent < 40, "no conversation preferred replica B"
        _, answer = send_new(gw, "暗証番号を忘れました")
        sent += 1
        assert answer.status_code == 200
        assert answer.json()["messages"][0]["buttons"][0]["title"] == "本人"  # Rasa's answer, not the fallback
    assert len(a[0].requests) == sent  # every turn reached a Rasa exactly once
    assert b[0].requests == []
    assert httpx.get(f"{gw.url}/healthz").status_code == 200  # one healthy replica is enough
    a[1].stop()
    wait_for_health(gw.url, 503)
    a[1].start()


def test_a_replica_dying_mid_turn_gives_the_fallback_and_the_next_message_continues_elsewhere(
    start_gateway: Callable[..., Gateway], fake_rasa: FakeRasaFixture
) -> None:
    """The turn in flight is not resent (Rasa may have applied it); the same conversation goes on on the other."""
    dying = DyingRasa()
    try:
        urls = (dying.url, fake_rasa[1].url)
        gw = start_gateway(rasa_urls=urls, rasa_health_interval_seconds=60.0)
        assert httpx.get(f"{gw.url}/healthz").status_code == 200  # both replicas look fine
        sid = ""
        for _ in range(40):
            sid, answer = send_new(gw, "暗証番号を忘れました")
            assert answer.status_code == 200
            if dying.turns:
                break
        assert len(dying.turns) == 1, "no conversation preferred the dying replica"
        text = answer.json()["messages"][0]["text"]
        assert "0422-29-9191" in text and "三鷹市" in text  # the polite fallback
        sender = dying.turns[0]["sender"]
        assert sender not in [r["sender"] for r in fake_rasa[0].requests]  # never resent to the other replica
        follow_up = httpx.post(f"{gw.url}/api/chat/message", json={"session_id": sid, "text": "本人です"}, timeout=10)
        assert follow_up.status_code == 200 and "本人です" in follow_up.json()["messages"][0]["text"]
        assert fake_rasa[0].messages_for(str(sender)) == ["本人です"]  # same conversation id, other replica
        assert len(dying.turns) == 1
    finally:
        dying.stop()


def test_rasa_urls_fall_back_to_rasa_url() -> None:
    assert Settings(rasa_url="http://127.0.0.1:5005").replica_urls == ("http://127.0.0.1:5005",)
    settings = Settings.from_env({"RASA_URLS": "http://127.0.0.1:5005, http://127.0.0.1:5006/,", "RASA_URL": "x"})
    assert settings.replica_urls == ("http://127.0.0.1:5005", "http://127.0.0.1:5006")
    assert Settings.from_env({"RASA_URL": "http://127.0.0.1:5007"}).replica_urls == ("http://127.0.0.1:5007",)


def test_refused_port_costs_no_fallback_at_startup(start_gateway: Callable[..., Gateway]) -> None:
    """A replica that never came up is seen by the first check; the gateway still answers with the other."""
    gw = start_gateway(rasa_urls=(f"http://127.0.0.1:{free_port()}", start_gateway().settings.rasa_url))
    assert httpx.get(f"{gw.url}/healthz").status_code == 200
    for _ in range(4):
        _, answer = send_new(gw, "暗証番号を忘れました")
        assert answer.json()["messages"][0]["buttons"][0]["title"] == "本人"
