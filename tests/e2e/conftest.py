"""Fixtures that run the real servers: one stack per test module."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from tests.e2e.stack import REPO, Stack


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The trained model (make test trains it first and passes RASA_MODEL)."""
    path = Path(os.environ.get("RASA_MODEL", REPO / "models" / "pinbot.tar.gz"))
    if not path.is_absolute():
        path = REPO / path
    assert path.exists(), f"no trained model at {path}: run `make train` first"
    return path


@pytest.fixture(scope="module")
def stack(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Action server + Rasa server with a fresh SQLite tracker store, at a fixed time (Tue 2026-11-24 10:00)."""
    running = Stack(
        model=model_path,
        state_dir=tmp_path_factory.mktemp("stack"),
        env_extra={"PINBOT_NOW": "2026-11-24T10:00:00+09:00", "DEFAULT_MUNICIPALITY": ""},
    )
    try:
        running.start_actions()
        running.start_rasa()
        yield running
    finally:
        running.stop_all()
