"""``python -m privacy.logsink FILE``: copy a process's output into FILE, redacted, rotated and age-bounded.

The launcher pipes every server's stdout/stderr through this (a second line of defence behind the logging filter:
tracebacks and third-party prints pass here too). The file rotates when it exceeds LOG_MAX_BYTES (default 5 MB)
or is older than a day (or the retention, if shorter); rotated files are deleted once older than RETENTION_DAYS,
and at most LOG_BACKUPS (default 10) are kept. Files are created 0600.
"""

from __future__ import annotations

import os
import select
import sys
import time
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO

from privacy.logging_filter import scrub_line
from privacy.retention import purge_interval_seconds, retention_seconds


class RotatingSink:
    """Appends lines to a file; rotates by size or age; forgets rotated files past the retention."""

    def __init__(self, path: Path, max_bytes: int, backups: int, retention: float) -> None:
        """Open (creating 0600) ``path``."""
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self.retention = retention
        self.max_age = min(24 * 3600.0, retention)
        self._open(time.time())

    def _open(self, now: float) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.chmod(self.path, 0o600)
        self._file: BinaryIO = os.fdopen(fd, "ab", buffering=0)
        stat = os.stat(self.path)
        # An existing file keeps its age: a restart must not keep old lines past the bound.
        self._opened = stat.st_mtime if stat.st_size else now

    def write(self, line: str, now: float | None = None) -> None:
        """Write one (already scrubbed) line, rotating first if due."""
        now = time.time() if now is None else now
        data = line.encode("utf-8", "replace")
        if self._file.tell() and (self._file.tell() + len(data) > self.max_bytes or now - self._opened > self.max_age):
            self.rotate(now)
        self._file.write(data)

    def rotate(self, now: float) -> None:
        """Shift FILE -> FILE.1 -> FILE.2 ...; drop the oldest and any rotated file past the retention."""
        self._file.close()
        self.path.with_name(f"{self.path.name}.{self.backups}").unlink(missing_ok=True)  # the oldest goes
        for index in range(self.backups - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{index}")
            if older.exists():
                older.rename(self.path.with_name(f"{self.path.name}.{index + 1}"))
        if self.path.exists():
            self.path.rename(self.path.with_name(f"{self.path.name}.1"))
        self.expire(now)
        self._open(now)

    def expire(self, now: float) -> None:
        """Delete rotated files last written longer ago than the retention."""
        for rotated in self.path.parent.glob(f"{self.path.name}.*"):
            with suppress(FileNotFoundError):  # removed meanwhile
                if now - rotated.stat().st_mtime > self.retention:
                    rotated.unlink()

    def tick(self, now: float | None = None) -> None:
        """Rotate a file that grew too old while nothing was written, and expire old rotated files."""
        now = time.time() if now is None else now
        if self._file.tell() and now - self._opened > self.max_age:
            self.rotate(now)
        else:
            self.expire(now)

    def close(self) -> None:
        """Close the file."""
        self._file.close()


def main(argv: list[str]) -> int:
    """Copy stdin to the sink until EOF; rotate and expire on time even while the process is silent."""
    if len(argv) != 2:
        print("usage: python -m privacy.logsink FILE", file=sys.stderr)
        return 2
    retention = retention_seconds()
    sink = RotatingSink(
        Path(argv[1]),
        max_bytes=int(os.environ.get("LOG_MAX_BYTES", "") or 5 * 1024 * 1024),
        backups=int(os.environ.get("LOG_BACKUPS", "") or 10),
        retention=retention,
    )
    sink.expire(time.time())
    fd = sys.stdin.fileno()
    pending = b""
    try:
        with suppress(KeyboardInterrupt):  # Ctrl-C reaches the whole process group: stop quietly
            while True:
                if not select.select([fd], [], [], purge_interval_seconds(retention))[0]:
                    sink.tick()  # silent for a while: rotation and expiry still happen on time
                elif chunk := os.read(fd, 65536):
                    *lines, pending = (pending + chunk).split(b"\n")
                    for raw in lines:
                        sink.write(scrub_line(raw.decode("utf-8", "replace") + "\n"))
                else:
                    break  # end of input
            if pending:
                sink.write(scrub_line(pending.decode("utf-8", "replace") + "\n"))
    finally:
        sink.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
