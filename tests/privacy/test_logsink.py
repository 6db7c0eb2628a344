"""privacy.logsink: process output is redacted, rotated by size and age, and forgotten after the retention."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

from privacy.logging_filter import scrub_line
from privacy.logsink import RotatingSink

REPO = Path(__file__).resolve().parents[2]


def test_lines_are_redacted_and_tokens_masked() -> None:
    line = "GET /status?token=abcdef123456&x=1 body=マイナンバー 3141 - 5926 - 5352 暗唱番号は8642\n"
    out = scrub_line(line)
    assert "abcdef123456" not in out and "token=***" in out
    assert "5352" not in out and "8642" not in out


def test_rotates_by_size_and_keeps_a_bounded_number(tmp_path: Path) -> None:
    sink = RotatingSink(tmp_path / "rasa.log", max_bytes=100, backups=3, retention=3600)
    for i in range(50):
        sink.write(f"line {i:03d} " + "x" * 30 + "\n")
    sink.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["rasa.log", "rasa.log.1", "rasa.log.2", "rasa.log.3"]
    assert all(p.stat().st_size <= 100 for p in tmp_path.iterdir())
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in tmp_path.iterdir())


def all_text(directory: Path) -> str:
    return "".join(p.read_text() for p in sorted(directory.iterdir()))


def test_no_line_outlives_the_retention(tmp_path: Path) -> None:
    """Rotation by age (write or idle tick) and expiry: a line older than the retention is in no file."""
    path = tmp_path / "gateway.log"
    sink = RotatingSink(path, max_bytes=10**6, backups=5, retention=100)
    now = time.time()
    sink.write("first line\n", now=now)
    sink.write("second line\n", now=now + 60)
    assert "first line" in all_text(tmp_path)
    sink.write("third line\n", now=now + 120)  # the file is older than the bound: rotated, old lines expire
    assert "first line" not in all_text(tmp_path) and path.read_text() == "third line\n"
    sink.tick(now=now + 130)
    assert "third line" in all_text(tmp_path), "a young line stays"
    os.utime(path, (now + 120, now + 120))
    sink.tick(now=now + 300)  # idle: nothing written, the job still rotates and expires
    assert all_text(tmp_path) == ""
    sink.close()


def test_the_command_copies_stdin(tmp_path: Path) -> None:
    target = tmp_path / "log" / "actions.log"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    subprocess.run(
        [sys.executable, "-m", "privacy.logsink", str(target)],
        input="hello\n暗証番号は1234\nmy number 1234 5678 9018".encode(),
        env=env,
        check=True,
        timeout=30,
    )
    assert target.read_text() == "hello\n暗証番号は［暗証番号］\nmy number ［個人番号］\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
