"""CI fails if runtime state is ever committed again: database files, or files named like an unexpanded ``${VAR}``."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATABASE = re.compile(r"\.(db|sqlite|sqlite3|db-journal|db-wal|sqlite3-wal|sqlite3-shm)$", re.IGNORECASE)
UNEXPANDED = re.compile(r"\$\{[^}]*\}|\$\{|\$[A-Z_]{2,}")


def tracked_files() -> list[str]:
    output = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True, capture_output=True).stdout.decode(
        "utf-8", "replace"
    )
    return [name for name in output.split("\0") if name]


def test_git_lists_files() -> None:
    assert "README.md" in tracked_files()


def test_no_database_file_is_tracked() -> None:
    assert [name for name in tracked_files() if DATABASE.search(name)] == []


def test_no_file_is_named_like_an_unexpanded_variable() -> None:
    assert [name for name in tracked_files() if UNEXPANDED.search(name)] == []


def test_the_checks_would_catch_the_old_mistake() -> None:
    """The file that was once committed (``${TRACKER_DB}``) and the usual database names are caught."""
    assert UNEXPANDED.search("${TRACKER_DB}") and UNEXPANDED.search("var/${STATE_DIR}/x")
    assert all(DATABASE.search(n) for n in ("var/tracker.db", "a.sqlite", "gateway.sqlite3", "x.DB"))
    assert not DATABASE.search("docs/dbs.md")
