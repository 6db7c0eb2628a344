"""A private ``redis-server`` on a free 127.0.0.1 port (never the machine's 6379), stoppable for fault tests."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from urllib.parse import quote

import launch
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
        self.binary, self.port = redis_server_binary(), free_port()
        self.workdir, self.password, self.username = workdir, password, username
        self._servers = launch.Stack({})  # the launcher's start and stop; redis-server needs no variable of ours

    @property
    def url(self) -> str:
        """The redis:// URL of database 0, with the credentials (percent-encoded) when there are any."""
        credentials = ""
        if self.password:
            credentials = f"{quote(self.username, safe='')}:{quote(self.password, safe='')}@"
        return f"redis://{credentials}127.0.0.1:{self.port}/0"

    def _config(self) -> str:
        """redis.conf: the credentials, in a file so that no password shows in the process list."""
        if not self.password:
            return ""
        if self.username:
            return f"user default off\nuser {_quoted(self.username)} on {_quoted('>' + self.password)} ~* &* +@all\n"
        return f"requirepass {_quoted(self.password)}\n"

    def start(self, timeout: float = 10.0) -> RedisServer:
        """Start the server (loading the folder's snapshot, if a test saved one) and wait until it answers PING."""
        import redis  # both virtualenvs have it (Rasa's lock store, the gateway's state)

        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "redis.conf"
        config.touch(mode=0o600)
        config.write_text(self._config())
        command = [self.binary, str(config), "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", str(self.workdir)]
        self._servers.start("redis", "stock", command, self.workdir / "redis.log", sink=False, cwd=self.workdir)
        client, deadline = redis.Redis.from_url(self.url, socket_timeout=0.5), time.monotonic() + timeout
        while self.running and time.monotonic() < deadline:
            try:
                client.ping()  # also refused while a snapshot is loading
                client.close()
                return self
            except redis.RedisError:
                time.sleep(0.05)
        why = "did not answer" if self.running else "exited"
        raise RuntimeError(f"redis-server {why} on port {self.port} (log: {self.workdir / 'redis.log'})")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and wait for it."""
        self._servers.stop(grace=10)

    def kill(self) -> None:
        """Kill the server at once (SIGKILL): what it held in memory since its last snapshot is gone."""
        if self.running:
            self._servers.procs["redis"].kill()
        self._servers.stop()

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return "redis" in self._servers.procs and self._servers.procs["redis"].poll() is None
