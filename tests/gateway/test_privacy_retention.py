"""Issue 10 on the gateway: context-free redaction, the echo the widget shows, retention and private files."""

from __future__ import annotations

import sqlite3
import stat
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.gateway.conftest import Gateway
from tests.gateway.fakes.fake_rasa import FakeRasa
from tests.gateway.fakes.servers import ServerThread

FakeRasaFixture = tuple[FakeRasa, ServerThread]


def new_session(gw: Gateway) -> str:
    response = httpx.post(f"{gw.url}/api/chat/session", json={})
    assert response.status_code == 200
    return str(response.json()["session_id"])


def send(gw: Gateway, sid: str, text: str) -> httpx.Response:
    return httpx.post(f"{gw.url}/api/chat/message", json={"session_id": sid, "text": text})


def test_a_bare_pin_is_redacted_whatever_the_bot_asked(gateway: Gateway, fake_rasa: FakeRasaFixture) -> None:
    """Issue 20: the rule is context-free. 「たしか4917だったと思う」 names no PIN word and is the first message, and it
    still never reaches Rasa; dates and clock times without a PIN word do (the old rule needed the bot's question)."""
    sid = new_session(gateway)
    reply = send(gateway, sid, "たしか4917だったと思う").json()
    assert fake_rasa[0].requests[-1]["message"] == "たしか［暗証番号］だったと思う"
    assert reply["you"] == {"text": "たしか［暗証番号］だったと思う", "redacted": True}
    for kept in ("2026年の4月に行きます", "17:30に行っても間に合いますか", "12/28は開いていますか"):
        send(gateway, sid, kept)
        assert fake_rasa[0].requests[-1]["message"] == kept


def test_the_echo_is_exactly_what_was_forwarded(gateway: Gateway, fake_rasa: FakeRasaFixture) -> None:
    """The widget displays ``you.text``: the server's redaction, nothing more and nothing less."""
    sid = new_session(gateway)
    for typed in (
        "3141 - 5926 - 5352",
        "2718、2818、2840",
        "暗唱番号は1234",
        "電話は0422-29-9191",
        "こんにちは",
        "17:30",
    ):
        body = send(gateway, sid, typed).json()
        assert body["you"]["text"] == fake_rasa[0].requests[-1]["message"]
        assert body["you"]["redacted"] is ("［" in body["you"]["text"])
    assert send(gateway, sid, "2718、2818、2840").json()["you"]["text"] == "［個人番号］"


def test_sessions_are_purged_after_the_retention(
    start_gateway: Callable[..., Gateway], fake_rasa: FakeRasaFixture
) -> None:
    """RETENTION_DAYS bounds the gateway's database too, even when the session TTL is longer."""
    gw = start_gateway(retention_seconds=1.0, session_ttl_seconds=86400)
    sid = new_session(gw)
    assert send(gw, sid, "暗証番号を忘れました").status_code == 200
    time.sleep(2.6)
    assert send(gw, sid, "こんにちは").status_code == 404
    with sqlite3.connect(gw.settings.db_path) as db:
        # Nothing of the session is left; and the gateway never kept the buttons offered (Rasa's tracker has them).
        assert db.execute("SELECT COUNT(*) FROM kv").fetchone()[0] == 0


def test_database_file_is_private(gateway: Gateway) -> None:
    new_session(gateway)
    assert stat.S_IMODE(Path(gateway.settings.db_path).stat().st_mode) == 0o600


def test_healthz_needs_the_rasa_token(start_gateway: Callable[..., Gateway]) -> None:
    """Rasa's /status is token-guarded: without RASA_AUTH_TOKEN the gateway cannot see a model."""
    assert httpx.get(f"{start_gateway().url}/healthz").status_code == 200
    assert httpx.get(f"{start_gateway(rasa_auth_token=None).url}/healthz").status_code == 503
