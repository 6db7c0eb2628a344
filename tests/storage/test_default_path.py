"""The tracker store of endpoints.yml works from the repo root with or without TRACKER_DB."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.core.tracker_store import TrackerStore
from rasa.core.utils import read_endpoints_from_path

from storage.redacting_sql import RedactingSQLTrackerStore
from storage.stats import DEFAULT_DB, tracker_db_path

REPO = Path(__file__).resolve().parents[2]


def test_endpoints_need_no_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """rasa run / shell read endpoints.yml with no variable set: defaults, never a file named ${TRACKER_DB}."""
    monkeypatch.delenv("TRACKER_DB", raising=False)
    monkeypatch.delenv("ACTION_ENDPOINT_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    endpoints = read_endpoints_from_path(str(REPO / "endpoints.yml"))
    assert endpoints.action is not None and endpoints.action.url == "http://127.0.0.1:5055/webhook"
    store = TrackerStore.create(endpoints.tracker_store)
    assert isinstance(store, RedactingSQLTrackerStore)
    assert (tmp_path / DEFAULT_DB).is_file()
    assert not list(tmp_path.glob("$*"))


def test_tracker_db_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "state" / "deep" / "tracker.db"
    monkeypatch.setenv("TRACKER_DB", str(target))
    RedactingSQLTrackerStore()
    assert target.is_file()


def test_explicit_db_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_DB", "from-env.db")
    assert tracker_db_path("given.db") == Path("given.db")
    monkeypatch.setenv("TRACKER_DB", "  ")
    assert tracker_db_path() == DEFAULT_DB
