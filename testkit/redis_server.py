"""A private ``redis-server`` on a free 127.0.0.1 port (never the machine's 6379), stoppable for fault tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Optional

from testkit.services import free_port, unavailable


def redis_server_binary() -> str:
    """The redis-server on PATH; skips the test (fails it when SCALED_TESTS=required) if there is none."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server is not on PATH (apt-get install redis-server)")
    return str(binary)


class RedisServer:
    """One redis-server without automatic snapshots; ``stop``/``kill`` and ``start`` keep the port and the folder."""

    def __init__(self, workdir: Path) -> None:
        """Pick a free port; nothing runs until ``start``."""
        self.binary = redis_server_binary()
        self.port = free_port()
        self.workdir = workdir
        self._process: Optional[subprocess.Popen[bytes]] = None

    @property
    def url(self) -> str:
        """The redis:// URL of database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        """Start the server (loading the folder's snapshot, if a test saved one) and wait until it answers PING."""
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

    def kill(self) -> None:
        """Kill the server at once (SIGKILL): what it held in memory since its last snapshot is gone."""
        if self._process is None:
            return
        self._process.kill()
        self._process.wait(10)
        self._process = None

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self._process is not None and self._process.poll() is None
