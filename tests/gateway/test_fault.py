"""Fault test: the gateway as its own process (``python -m gateway``); Rasa stops and comes back."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.gateway.conftest import wait_for_health
from tests.gateway.fakes.fake_rasa import FakeRasa
from tests.gateway.fakes.servers import ServerThread
from tests.gateway.gateway_process import gateway_env
from tests.gateway.gateway_process import gateway_process as run_gateway


@pytest.fixture
def gateway_process(
    tmp_path: Path, kb_dir: Path, fake_rasa: tuple[FakeRasa, ServerThread]
) -> Iterator[tuple[str, Path]]:
    """``python -m gateway`` on a free port, pointed at the fake Rasa, without GATEWAY_SECRET; stopped at teardown."""
    log_path = tmp_path / "gateway.log"
    env = gateway_env(
        tmp_path, fake_rasa[1].url, RASA_TIMEOUT_SECONDS="2", KB_DIR=str(kb_dir), GATEWAY_LOG_LEVEL="INFO"
    )
    del env["GATEWAY_SECRET"]
    with run_gateway(env, log_path) as url:
        yield url, log_path


def test_rasa_stopped_then_back(gateway_process: tuple[str, Path], fake_rasa: tuple[FakeRasa, ServerThread]) -> None:
    """Rasa stops: /healthz 503 and the fallback answer; Rasa returns: all good again."""
    url, log_path = gateway_process
    rasa = fake_rasa[1]
    assert httpx.get(f"{url}/healthz").status_code == 200
    sid = httpx.post(f"{url}/api/chat/session", json={"municipality": "mitaka"}).json()["session_id"]

    rasa.stop()
    health = wait_for_health(url, 503)
    assert health.json() == {"status": "unavailable"}  # the reason goes to the operator's log only
    started = time.monotonic()
    answer = httpx.post(f"{url}/api/chat/message", json={"session_id": sid, "text": "暗証番号を忘れました"}, timeout=10)
    assert answer.status_code == 200
    text = answer.json()["messages"][0]["text"]
    assert "0422-29-9191" in text and "三鷹市" in text
    assert time.monotonic() - started < 3.0

    rasa.start()
    wait_for_health(url, 200)
    back = httpx.post(f"{url}/api/chat/message", json={"session_id": sid, "text": "暗証番号を忘れました"}, timeout=10)
    assert back.json()["messages"][0]["buttons"][0]["title"] == "本人"

    log = log_path.read_text(encoding="utf-8")
    assert "demo page: http://127.0.0.1:" in log
    assert "GATEWAY_SECRET is not set" in log
    assert "turn fallback channel=web" in log
    assert "health: rasa unreachable (ConnectError)" in log
    assert "暗証番号を忘れました" not in log  # residents' text is not logged


def test_uvicorn_access_and_error_logs_are_redacted(gateway_process: tuple[str, Path]) -> None:
    """uvicorn's own lines go through the gateway's redaction: no query string, no number in a path, no body."""
    url, log_path = gateway_process
    number = "123456789012"
    assert httpx.get(f"{url}/demo/mitaka?mynumber={number}&pin=4821").status_code == 200
    assert httpx.get(f"{url}/demo/{number}").status_code == 404
    assert httpx.get(f"{url}/healthz?{number}").status_code == 200
    raw = b'{"text": "\\ud800 ' + number.encode() + b'"}'
    assert httpx.post(f"{url}/api/chat/session", content=raw).status_code == 400
    # A request line uvicorn itself refuses: its warning must not quote the number either.
    with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=5) as sock:
        sock.sendall(f"GET /demo/{number} HTTP/1.1\r\nHost: 127.0.0.1\r\nX: {number}\x00\r\n\r\n".encode())
        sock.recv(1024)
    deadline = time.monotonic() + 5
    while "GET /healthz?…" not in log_path.read_text(encoding="utf-8") and time.monotonic() < deadline:
        time.sleep(0.1)
    log = log_path.read_text(encoding="utf-8")
    assert '"GET /demo/mitaka?… HTTP/1.1" 200' in log  # the access log is on, with the query string dropped
    assert "GET /healthz?… HTTP/1.1" in log
    assert number not in log and "pin=" not in log and "mynumber=" not in log
    assert "Traceback" not in log
