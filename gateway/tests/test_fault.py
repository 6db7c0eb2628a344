"""Fault test: the gateway as its own process (``python -m gateway``); Rasa stops and comes back."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.settings import REPO_ROOT
from gateway.tests.fakes.fake_rasa import FAKE_RASA_TOKEN, FakeRasa
from gateway.tests.fakes.servers import ServerThread
from testkit.services import free_port


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """Poll until the gateway process answers (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gateway exited with {process.returncode}")
        try:
            httpx.get(f"{url}/widget.css", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("gateway did not start")


@pytest.fixture
def gateway_process(
    tmp_path: Path, kb_dir: Path, fake_rasa: tuple[FakeRasa, ServerThread]
) -> Iterator[tuple[str, Path]]:
    """``python -m gateway`` on a free port, pointed at the fake Rasa; stopped (SIGTERM) at teardown."""
    port = free_port()
    log_path = tmp_path / "gateway.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "GATEWAY_", "RASA_"))}
    env.update(
        {
            "PYTHONPATH": str(REPO_ROOT),
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_PORT": str(port),
            "GATEWAY_DB_PATH": str(tmp_path / "gateway.sqlite3"),
            "RASA_URL": fake_rasa[1].url,
            "RASA_TIMEOUT_SECONDS": "2",
            "RASA_AUTH_TOKEN": FAKE_RASA_TOKEN,
            "KB_DIR": str(kb_dir),
        }
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        yield url, log_path
    finally:
        process.terminate()
        process.wait(15)


def test_rasa_stopped_then_back(gateway_process: tuple[str, Path], fake_rasa: tuple[FakeRasa, ServerThread]) -> None:
    """Rasa stops: /healthz 503 and the fallback answer; Rasa returns: all good again."""
    url, log_path = gateway_process
    rasa = fake_rasa[1]
    assert httpx.get(f"{url}/healthz").status_code == 200
    sid = httpx.post(f"{url}/api/chat/session", json={"municipality": "mitaka"}).json()["session_id"]

    rasa.stop()
    health = httpx.get(f"{url}/healthz")
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable"}  # the reason goes to the operator's log only
    started = time.monotonic()
    answer = httpx.post(f"{url}/api/chat/message", json={"session_id": sid, "text": "暗証番号を忘れました"}, timeout=10)
    assert answer.status_code == 200
    text = answer.json()["messages"][0]["text"]
    assert "0422-29-9191" in text and "三鷹市" in text
    assert time.monotonic() - started < 3.0

    rasa.start()
    assert httpx.get(f"{url}/healthz").status_code == 200
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
