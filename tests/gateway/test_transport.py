"""Issue 20: the real server process (``python -m gateway``) bounds slow and idle clients (slowloris)."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from gateway.settings import REPO_ROOT
from gateway.transport import UnsupportedServer, check_uvicorn
from testkit.services import port_open
from tests.gateway.conftest import Gateway
from tests.gateway.fakes.fake_rasa import FakeRasa
from tests.gateway.fakes.servers import ServerThread
from tests.gateway.gateway_process import gateway_env, gateway_process

TIMEOUT = 1.0
# Generous against a loaded machine, and still far below "never".
SLACK = 2.5


@pytest.fixture(scope="module")
def gateway_url(
    tmp_path_factory: pytest.TempPathFactory, _fake_rasa_server: tuple[FakeRasa, ServerThread]
) -> Iterator[str]:
    """One gateway process for the module, with one-second header, body and keep-alive timeouts."""
    env = gateway_env(
        tmp_path_factory.mktemp("transport"),
        _fake_rasa_server[1].url,
        GATEWAY_HEADER_TIMEOUT_SECONDS=str(TIMEOUT),
        GATEWAY_BODY_TIMEOUT_SECONDS=str(TIMEOUT),
        GATEWAY_KEEPALIVE_SECONDS=str(int(TIMEOUT)),
    )
    with gateway_process(env) as url:
        yield url


def connect(url: str) -> socket.socket:
    """A raw TCP connection to the gateway."""
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=5)


def wait_closed(sock: socket.socket, limit: float) -> tuple[bytes, float | None]:
    """Everything the server sent until it closed the connection, and when (None: still open after ``limit``)."""
    started = time.monotonic()
    received = b""
    sock.settimeout(0.1)
    while time.monotonic() - started < limit:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return received, time.monotonic() - started
        if not chunk:
            return received, time.monotonic() - started
        received += chunk
    return received, None


def test_a_partial_request_head_is_disconnected(gateway_url: str) -> None:
    """Half a request head, then silence: the connection is closed within the header timeout, unanswered."""
    with connect(gateway_url) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        received, closed_after = wait_closed(sock, TIMEOUT + SLACK)
    assert closed_after is not None, "a partial request head kept the connection open"
    assert TIMEOUT * 0.8 <= closed_after < TIMEOUT + SLACK
    assert received == b""


def test_a_head_sent_byte_by_byte_does_not_extend_its_deadline(gateway_url: str) -> None:
    """A client trickling its head (a byte every 0.2 s) is cut off on the same deadline."""
    head = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 100
    with connect(gateway_url) as sock:
        started = time.monotonic()
        for byte in head:
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                break
            received, closed_after = wait_closed(sock, 0.2)
            if closed_after is not None:
                break
        elapsed = time.monotonic() - started
    assert elapsed < TIMEOUT + SLACK, "trickling the head kept the connection open"


def test_a_connection_that_sends_nothing_is_closed(gateway_url: str) -> None:
    """Connect and say nothing: closed within the header timeout."""
    with connect(gateway_url) as sock:
        _, closed_after = wait_closed(sock, TIMEOUT + SLACK)
    assert closed_after is not None and closed_after < TIMEOUT + SLACK


def test_a_slow_request_body_is_disconnected(gateway_url: str) -> None:
    """A complete head announcing 50 bytes of body, then 10 of them: closed within the body timeout."""
    head = (
        b"POST /api/chat/session HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Content-Length: 50\r\n\r\n"
    )
    with connect(gateway_url) as sock:
        sock.sendall(head + b'{"lang": "')
        received, closed_after = wait_closed(sock, TIMEOUT + SLACK)
    assert closed_after is not None, "a slow body kept the connection open"
    assert closed_after < TIMEOUT + SLACK


def test_an_idle_keep_alive_connection_is_closed_and_normal_requests_work(gateway_url: str) -> None:
    """A complete request is answered; the connection, then idle, is closed after the keep-alive timeout."""
    with connect(gateway_url) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        received, closed_after = wait_closed(sock, TIMEOUT + SLACK)
    assert received.startswith(b"HTTP/1.1 200 "), received[:100]
    assert b'{"status":"ok"}' in received
    assert closed_after is not None, "an idle keep-alive connection stayed open"
    assert closed_after < TIMEOUT + SLACK
    # Two requests on one connection, each in time, are both answered.
    with httpx.Client(base_url=gateway_url) as client:
        assert [client.get("/healthz").status_code for _ in range(2)] == [200, 200]


def test_an_oversized_request_head_is_refused(gateway_url: str) -> None:
    """A head longer than 16 KiB is refused and the connection closed: 431 (JSON) when it arrived whole, h11's 400
    when it is still arriving."""
    head = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 20_000
    with connect(gateway_url) as sock:
        sock.sendall(head + b"\r\n\r\n")
        received, closed_after = wait_closed(sock, TIMEOUT + SLACK)
    assert received.startswith(b"HTTP/1.1 431 "), received[:100]
    assert b'"error":"headers_too_large"' in received
    assert closed_after is not None
    with connect(gateway_url) as sock:
        sock.sendall(head)
        received, closed_after = wait_closed(sock, TIMEOUT + SLACK)
    assert received.startswith(b"HTTP/1.1 400 "), received[:100]
    assert closed_after is not None


def test_an_untested_uvicorn_is_refused() -> None:
    """The read timeouts depend on uvicorn's internals: another version must be tested before it is used."""
    check_uvicorn()  # the installed (locked) version
    with pytest.raises(UnsupportedServer, match="test_transport.py"):
        check_uvicorn("0.99.0")


def test_connections_beyond_the_limit_get_a_json_503(tmp_path: Path, fake_rasa: tuple[FakeRasa, ServerThread]) -> None:
    """With room for two connections, a third client is told politely (JSON, Retry-After) instead of uvicorn's
    plain-text 503; once the others are gone it is served."""
    env = gateway_env(tmp_path, fake_rasa[1].url, GATEWAY_MAX_CONNECTIONS="2", GATEWAY_HEADER_TIMEOUT_SECONDS="30")
    with gateway_process(env) as url, connect(url) as first, connect(url) as second:
        refused = httpx.get(f"{url}/healthz", headers={"Connection": "close"})
        assert refused.status_code == 503
        assert refused.json()["error"] == "busy" and "混み合って" in refused.json()["message"]
        assert refused.headers["retry-after"] == "5"
        first.close()
        second.close()
        time.sleep(0.3)
        assert httpx.get(f"{url}/healthz").status_code == 200


def test_a_client_leaving_mid_body_is_no_error(
    start_gateway: Callable[..., Gateway], caplog: pytest.LogCaptureFixture
) -> None:
    """A body cut off (the client left, or the body timeout closed it) is logged as such, not as a bug."""
    caplog.set_level(logging.INFO)
    gw = start_gateway()
    with connect(gw.url) as sock:
        sock.sendall(
            b"POST /api/chat/session HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b'Content-Length: 50\r\n\r\n{"lang": "'
        )
        time.sleep(0.3)
    deadline = time.monotonic() + 5
    while "client disconnected" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "client disconnected before its request body was complete" in caplog.text
    assert "unhandled error" not in caplog.text


@pytest.mark.parametrize("value", ["*", "0.0.0.0/0", "proxy.city.example.jp"])
def test_a_forwarded_allow_ips_trusting_anyone_refuses_to_start(
    tmp_path: Path, fake_rasa: tuple[FakeRasa, ServerThread], value: str
) -> None:
    """FORWARDED_ALLOW_IPS=* (or a value that is not a list of IPs/CIDRs) used to start a gateway that believes any
    client's X-Forwarded-For; now it exits 2 with a clear message."""
    env = gateway_env(tmp_path, fake_rasa[1].url, FORWARDED_ALLOW_IPS=value)
    refused = subprocess.run(
        [sys.executable, "-m", "gateway"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=30
    )
    assert refused.returncode == 2
    assert "invalid configuration: FORWARDED_ALLOW_IPS" in refused.stderr
    assert not port_open(int(env["GATEWAY_PORT"]))


def test_forwarded_allow_any_is_an_explicit_opt_in(tmp_path: Path, fake_rasa: tuple[FakeRasa, ServerThread]) -> None:
    """With FORWARDED_ALLOW_ANY=1 (a gateway only its proxy can reach), ``*`` starts."""
    env = gateway_env(tmp_path, fake_rasa[1].url, FORWARDED_ALLOW_IPS="*", FORWARDED_ALLOW_ANY="1")
    with gateway_process(env) as url:
        assert httpx.get(f"{url}/healthz").status_code == 200
