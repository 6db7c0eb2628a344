"""A private ``redis-server`` on a free 127.0.0.1 port (never the machine's 6379), stoppable for fault tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Optional
from urllib.parse import quote

from testkit.services import free_port, unavailable


def redis_server_binary() -> str:
    """The redis-server on PATH; skips the test (fails it when SCALED_TESTS=required) if there is none."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server is not on PATH (apt-get install redis-server)")
    return str(binary)


def _quoted(value: str) -> str:
    """A value for redis.conf, double-quoted (spaces, quotes and backslashes kept as they are)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class RedisServer:
    """One redis-server without automatic snapshots; ``stop``/``kill`` and ``start`` keep the port and the folder.

    With a ``password`` it refuses clients that do not give it (``requirepass``); with a ``username`` too, only that
    ACL user may log in (the ``default`` user is off).
    """

    def __init__(self, workdir: Path, password: str = "", username: str = "") -> None:
        """Pick a free port; nothing runs until ``start``."""
        self.binary = redis_server_binary()
        self.port = free_port()
        self.workdir = workdir
        self.password = password
        self.username = username
        self._process: Optional[subprocess.Popen[bytes]] = None

    @property
    def url(self) -> str:
        """The redis:// URL of database 0, with the credentials (percent-encoded) when there are any."""
        credentials = ""
        if self.password:
            credentials = f"{quote(self.username, safe='')}:{quote(self.password, safe='')}@"
        return f"redis://{credentials}127.0.0.1:{self.port}/0"

    def _config(self) -> bytes:
        """Settings given on stdin (``redis-server -``), so that no password shows in the process list."""
        if not self.password:
            return b""
        if self.username:
            lines = ["user default off", f"user {_quoted(self.username)} on {_quoted('>' + self.password)} ~* &* +@all"]
        else:
            lines = [f"requirepass {_quoted(self.password)}"]
        return "".join(line + "\n" for line in lines).encode()

    def _auth(self) -> bytes:
        """The AUTH command of the readiness probe (RESP, so any byte of the password is safe)."""
        if not self.password:
            return b""
        words = [b"AUTH"] + ([self.username.encode()] if self.username else []) + [self.password.encode()]
        return b"*%d\r\n" % len(words) + b"".join(b"$%d\r\n%s\r\n" % (len(word), word) for word in words)

    def start(self, timeout: float = 10.0) -> RedisServer:
        """Start the server (loading the folder's snapshot, if a test saved one) and wait until it answers PING."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        command = [self.binary, "-", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", str(self.workdir)]
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.workdir
        )
        assert self._process.stdin is not None
        self._process.stdin.write(self._config())
        self._process.stdin.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self._process.returncode} on port {self.port}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(self._auth() + b"PING\r\n")
                    answer = b""
                    while not answer.endswith(b"\r\n") or (self.password and answer.count(b"\r\n") < 2):
                        chunk = sock.recv(64)
                        if not chunk:
                            break
                        answer += chunk
                    if answer.endswith(b"+PONG\r\n"):
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
