"""A private PostgreSQL 15 cluster per test session: the machine's own is never touched (Redis: testkit.redis_server)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, List

from testkit.services import free_port, port_open, unavailable

PG_BINDIR = Path(os.environ.get("PG_BINDIR", "/usr/lib/postgresql/15/bin"))


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

    def connect(self, database: str = "postgres") -> Any:
        """A psycopg2 connection as the superuser ``postgres`` (trust), in autocommit (CREATE DATABASE, VACUUM...)."""
        import psycopg2

        connection = psycopg2.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database, connect_timeout=5
        )
        connection.autocommit = True
        return connection

    def add_login_role(self, name: str, password: str, *, createdb: bool = False) -> None:
        """A role that is not a superuser and must give its password (scram), as a DBA would create it.

        The cluster trusts every other login; this role's own pg_hba line comes first, so a wrong or missing
        password is refused and a test proves the password really reached the server.
        """
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                # The password travels as a bound value, never in a command line.
                options = "LOGIN NOSUPERUSER " + ("CREATEDB" if createdb else "NOCREATEDB")
                cursor.execute(f"CREATE ROLE {name} {options} PASSWORD %s", (password,))
        finally:
            connection.close()
        hba = self.data / "pg_hba.conf"
        hba.write_text(f"host all {name} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
        self._run([str(self.pg_ctl), "-D", str(self.data), "reload"])
        self._wait_for_password_rule(name)

    def _wait_for_password_rule(self, name: str, timeout: float = 10.0) -> None:
        """A reload is a signal: wait until the server refuses ``name`` without a password."""
        import psycopg2

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                psycopg2.connect(host="127.0.0.1", port=self.port, user=name, dbname="postgres").close()
            except psycopg2.OperationalError as error:
                if "password" in str(error):
                    return
            time.sleep(0.1)
        raise RuntimeError(f"the cluster still lets {name} in without a password")

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
