"""Fixtures for the action tests: the domain, fresh trackers and dispatchers, and a runner."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, UserUttered
from rasa_sdk.executor import CollectingDispatcher

REPO = Path(__file__).resolve().parents[2]
FIXED_NOW = "2025-06-10T10:00:00+09:00"  # a Tuesday, no holiday


@pytest.fixture(autouse=True)
def deterministic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No deployment city unless a test sets one; a fixed moment for opening-status lines."""
    monkeypatch.delenv("DEFAULT_MUNICIPALITY", raising=False)
    monkeypatch.setenv("PINBOT_NOW", FIXED_NOW)


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    """The bot's domain as the action server receives it."""
    from rasa.shared.core.domain import Domain

    return Domain.load(str(REPO / "domain.yml")).as_dict()


@pytest.fixture
def make_tracker(domain: Dict[str, Any]) -> Callable[..., Tracker]:
    """Build a fresh Tracker from slots, the latest message and (optionally) the events."""

    def make(
        slots: Optional[Dict[str, Any]] = None,
        text: str = "",
        intent: Optional[str] = None,
        entities: Optional[List[Dict[str, Any]]] = None,
        metadata: Optional[Dict[str, Any]] = None,
        intent_ranking: Optional[List[Dict[str, Any]]] = None,
        events: Optional[List[Dict[str, Any]]] = None,
        slot_events: Optional[List[Dict[str, Any]]] = None,
        active_loop: Optional[Dict[str, Any]] = None,
    ) -> Tracker:
        all_slots: Dict[str, Any] = {name: None for name in domain["slots"]}
        all_slots.update({"requested_slot": None, "session_started_metadata": None})
        unknown = set(slots or {}) - set(all_slots)
        assert not unknown, f"not slots of the domain: {unknown}"
        all_slots.update(slots or {})
        latest = {
            "text": text,
            "intent": {"name": intent, "confidence": 0.95} if intent else {},
            "entities": list(entities or []),
            "metadata": dict(metadata or {}),
            "intent_ranking": intent_ranking
            if intent_ranking is not None
            else ([{"name": intent, "confidence": 0.95}] if intent else []),
        }
        if events is None:
            events = [ActionExecuted("action_listen"), UserUttered(text, parse_data=latest)]
        events = list(events) + list(slot_events or [])
        return Tracker("test-sender", all_slots, latest, events, False, None, active_loop or {}, "action_listen")

    return make


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    """A fresh dispatcher per test."""
    return CollectingDispatcher()


@pytest.fixture
def run(
    domain: Dict[str, Any], dispatcher: CollectingDispatcher
) -> Callable[[Action, Tracker], Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]]:
    """Run an action like the action server does: (events, messages)."""

    def execute(action: Action, tracker: Tracker) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
        events = asyncio.run(action.run(dispatcher, tracker, domain))
        return events, dispatcher.messages

    return execute
