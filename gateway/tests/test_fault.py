"""Fault test: the gateway as its own process (``python -m gateway``); Rasa stops and comes back."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.settings import REPO_ROOT
from gateway.tests.fakes.fake_rasa import FAKE_RASA_TOKEN, FakeRasa
from gateway.tests.fakes.servers import ServerThread, free_port


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
            "KNOWLEDGE_DIR": str(kb_dir),
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
    assert health.json()["status"] == "unavailable" and health.json()["rasa"]["reachable"] is False
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
    assert "暗証番号を忘れました" not in log  # residents' text is not logged
