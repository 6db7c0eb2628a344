"""A private PostgreSQL 15 cluster and a private redis-server per test session: the machine's own are never touched."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import List, Optional

from tests.services import unavailable

PG_BINDIR = Path(os.environ.get("PG_BINDIR", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class PostgresCluster:
    """A throw-away cluster (trust auth, 127.0.0.1 on a free port, socket in its own folder, no fsync)."""

    def __init__(self) -> None:
        """Find the server binaries; nothing runs until ``start``."""
        self.initdb = PG_BINDIR / "initdb"
        self.pg_ctl = PG_BINDIR / "pg_ctl"
        if not (os.access(self.initdb, os.X_OK) and os.access(self.pg_ctl, os.X_OK)):
            unavailable(
                f"PostgreSQL 15 server binaries not found: {self.initdb} and {self.pg_ctl} "
                "(apt-get install postgresql-15, or set PG_BINDIR)"
            )
        # initdb refuses to run as root: then the cluster belongs to the postgres OS user.
        self.as_user: List[str] = []
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if runuser is None:
                unavailable("runuser not found: as root, the private PostgreSQL cluster runs as the postgres user")
            self.as_user = [str(runuser), "-u", "postgres", "--"]
        self.port = free_port()
        # Not under pytest's tmp_path: its parents are 0700 root, which the postgres user cannot traverse.
        self.root = Path(tempfile.mkdtemp(prefix="pinbot-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        try:
            if self.as_user:
                shutil.chown(self.root, "postgres", "postgres")
            # UTF8: the tracker holds Japanese text; no sync: the cluster lives for one test session.
            initdb = [str(self.initdb), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8"]
            self._run(initdb + ["--locale=C", "--no-sync"])
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    def _run(self, command: List[str], timeout: float = 120) -> None:
        result = subprocess.run(
            self.as_user + command, cwd=self.root, capture_output=True, text=True, timeout=timeout, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")

    def start(self) -> PostgresCluster:
        """Start the server and wait until it accepts connections."""
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            [str(self.pg_ctl), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start"]
        )
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: disconnects every client, as an operator's restart does)."""
        if (self.data / "postmaster.pid").exists():
            self._run([str(self.pg_ctl), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop"])

    @property
    def running(self) -> bool:
        """Whether the server accepts connections."""
        return port_open(self.port)

    def destroy(self) -> None:
        """Stop the server and delete the cluster."""
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


class RedisServer:
    """One redis-server without automatic snapshots; ``stop`` and ``start`` keep the port and the folder.

    Like gateway/tests/fakes/redis_server.py (which lives in the gateway's virtualenv). Its folder keeps an RDB file
    only when a test asks for one (``snapshot``), as a Redis with persistence would have.
    """

    def __init__(self, workdir: Path) -> None:
        """Pick a free port; nothing runs until ``start``."""
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("redis-server not found on PATH (apt-get install redis-server)")
        self.binary = str(binary)
        self.port = free_port()
        self.workdir = workdir
        self._process: Optional[subprocess.Popen[bytes]] = None

    @property
    def url(self) -> str:
        """The redis:// URL of database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        """Start the server (loading the folder's snapshot, if any) and wait until it answers PING."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        command += ["--dir", str(self.workdir)]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
