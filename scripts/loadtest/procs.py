"""Server processes started by the harness: each in its own process group, all stopped on exit, error or Ctrl-C."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from scripts.loadtest.rss import all_processes, descendants

# Every process started and not yet stopped: stop_all() ends them whatever happened to the run.
_STARTED: list[ManagedProcess] = []


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (with the pid, it names one process: pids are reused)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rfind(")") + 2 :].split()[19])


class ManagedProcess:
    """A server (or a script starting several) in a new session, its output copied to a log file."""

    def __init__(
        self, name: str, args: Sequence[str], cwd: Path, env: Mapping[str, str], log_path: Path, ready_line: str = ""
    ) -> None:
        self.name = name
        self.log_path = log_path
        self._ready_line = ready_line
        self.waits_for_ready_line = bool(ready_line)
        self.ready_seen = threading.Event()
        # Every descendant ever seen, with its start time: anything that left the process group is still stopped.
        self._known: dict[int, int] = {}
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("ab")
        # A session of its own: Ctrl-C in the terminal reaches the harness only, which then stops the group in order.
        self.popen = subprocess.Popen(
            list(args),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _STARTED.append(self)
        self._reader = threading.Thread(target=self._copy_output, name=f"log-{name}", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        """The leader's pid (also the process group id)."""
        return self.popen.pid

    def alive(self) -> bool:
        """Whether the leader still runs."""
        return self.popen.poll() is None

    def _copy_output(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self._log.write(line)
            self._log.flush()
            if self._ready_line and line.decode("utf-8", "replace").startswith(self._ready_line):
                self.ready_seen.set()

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the process's output, for an error message."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def remember_tree(self) -> list[int]:
        """Record the current descendants (so they are stopped even if they leave the group); their pids."""
        tree = descendants(self.pid, all_processes())
        for info in tree:
            started = start_time(info.pid)
            if started is not None:
                self._known.setdefault(info.pid, started)
        return [info.pid for info in tree]

    def stop(self, grace_s: float = 20.0) -> None:
        """SIGTERM to the leader (scripts stop their children in order), then the group, then SIGKILL what is left."""
        if self in _STARTED:
            _STARTED.remove(self)
        if self.alive():
            self.remember_tree()
            _signal_pid(self.pid, signal.SIGTERM)
            _wait_until(lambda: not self.alive(), grace_s)
        _signal_group(self.pid, signal.SIGTERM)
        _wait_until(lambda: not self._leftovers(), 10.0)
        _signal_group(self.pid, signal.SIGKILL)
        for pid in self._leftovers():
            _signal_pid(pid, signal.SIGKILL)
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self._reader.join(timeout=2)
        self._log.close()

    def _leftovers(self) -> list[int]:
        """Known descendants still running (same pid and start time) and members of the process group."""
        alive = [pid for pid, started in self._known.items() if start_time(pid) == started]
        return alive + [pid for pid in _group_members(self.pid) if pid not in alive]


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == pgid:
                    members.append(int(entry))
            except OSError:
                continue
    return members


def _signal_pid(pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _wait_until(done: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not done():
        time.sleep(0.2)


def stop_all() -> None:
    """Stop every process still running that the harness started, newest first."""
    for process in reversed(list(_STARTED)):
        process.stop()


def port_free(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:port (and the port is bindable)."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_block(size: int, taken: set[int], rng: random.Random | None = None) -> int:
    """The first port of ``size`` consecutive free ports, none in ``taken`` (replicas listen on port, port+1, …)."""
    chooser = rng or random.Random()
    for _ in range(500):
        base = chooser.randrange(20000, 40000 - size)
        block = range(base, base + size)
        if not taken.intersection(block) and all(port_free(p) for p in block):
            taken.update(block)
            return base
    raise RuntimeError(f"no block of {size} free ports found")
