"""A private ``redis-server`` on a free 127.0.0.1 port (never the machine's 6379), stoppable for fault tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from gateway.tests.fakes.servers import free_port


def scaled_tests_required() -> bool:
    """CI sets SCALED_TESTS=required: there a missing redis-server is a failure, not a skip."""
    return os.environ.get("SCALED_TESTS", "").strip().lower() == "required"


def redis_server_binary() -> str:
    """The redis-server on PATH; skips the test (fails it when SCALED_TESTS=required) if there is none."""
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server is not on PATH: the gateway's Redis-mode tests need it (apt-get install redis-server)"
        if scaled_tests_required():
            pytest.fail(message + " [SCALED_TESTS=required]", pytrace=False)
        pytest.skip(message)
    return binary


class RedisServer:
    """One redis-server process without persistence; ``stop`` and ``start`` keep the same port."""

    def __init__(self, workdir: Path) -> None:
        """Pick a free port; nothing runs until ``start``."""
        self.binary = redis_server_binary()
        self.port = free_port()
        self.workdir = workdir
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The redis:// URL of database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        """Start the server and wait until it accepts connections."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        command += ["--dir", str(self.workdir)]
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.workdir
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self._process.returncode} on port {self.port}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and wait for it."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(10)
        self._process = None

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self._process is not None and self._process.poll() is None
