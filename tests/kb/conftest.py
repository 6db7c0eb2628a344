"""Fixtures for the knowledge-base tests: the real KB, the seed pages, and editable copies."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

import pytest

from kb.paths import default_knowledge_dir, default_seeds_dir
from kb.store import KnowledgeBase, load_kb
from tests.kb.kb_testutil import squash


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    """The real knowledge base."""
    return load_kb()


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The seed pages (env SEEDS_DIR, default <repo>/../shared/seeds)."""
    path = default_seeds_dir()
    assert path.is_dir(), f"seed pages not found at {path}; set SEEDS_DIR"
    return path


@pytest.fixture(scope="session")
def seed_text(kb: KnowledgeBase, seeds_dir: Path) -> Callable[[str], str]:
    """Return the squashed text of the seed page behind a source id."""
    cache: dict[str, str] = {}

    def read(source_id: str) -> str:
        if source_id not in cache:
            cache[source_id] = squash((seeds_dir / kb.source(source_id).file).read_text(encoding="utf-8"))
        return cache[source_id]

    return read


@pytest.fixture(scope="session")
def raw_seed(kb: KnowledgeBase, seeds_dir: Path) -> Callable[[str], str]:
    """Return the unmodified text of the seed page behind a source id."""

    def read(source_id: str) -> str:
        return (seeds_dir / kb.source(source_id).file).read_text(encoding="utf-8")

    return read


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """A fresh copy of knowledge/ under tmp_path/knowledge, to break on purpose."""
    target = tmp_path / "knowledge"
    shutil.copytree(default_knowledge_dir(), target)
    return target


@pytest.fixture
def edit() -> Callable[[Path, str, str], None]:
    """Replace text that must occur exactly once in a file (so a drifted fixture fails loudly)."""

    def replace(path: Path, old: str, new: str) -> None:
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    return replace
