"""channels.cli: Rasa's API is served only with a token, never on the command line; tracker store errors fail the turn (channels.rasa_patches)."""

from __future__ import annotations

import asyncio
from typing import Optional

import pytest
from rasa.core.agent import Agent
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from channels.cli import with_auth_token
from channels.rasa_patches import create_tracker_store

TOKEN = "t" * 40
SERVE = ["run", "--model", "models/pinbot.tar.gz", "--enable-api", "-p", "5005"]


def test_the_token_is_added_from_the_environment() -> None:
    assert with_auth_token(SERVE, {"RASA_AUTH_TOKEN": TOKEN}) == SERVE + ["--auth-token", TOKEN]


@pytest.mark.parametrize("token", ["", "short-token"])
def test_the_api_is_never_served_without_a_real_token(token: str) -> None:
    with pytest.raises(SystemExit):
        with_auth_token(SERVE, {"RASA_AUTH_TOKEN": token})


def test_a_token_on_the_command_line_is_refused() -> None:
    with pytest.raises(SystemExit):
        with_auth_token(SERVE + ["--auth-token", TOKEN], {"RASA_AUTH_TOKEN": TOKEN})


def test_other_commands_pass_unchanged() -> None:
    assert with_auth_token(["run", "actions", "--port", "5055"], {}) == ["run", "actions", "--port", "5055"]
    assert with_auth_token(["shell", "--model", "m.tar.gz"], {"RASA_AUTH_TOKEN": TOKEN}) == [
        "shell",
        "--model",
        "m.tar.gz",
    ]


class _DatabaseDown(InMemoryTrackerStore):
    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        raise RuntimeError("database down")

    async def save(self, tracker: DialogueStateTracker) -> None:
        raise RuntimeError("database down")


def test_tracker_store_errors_fail_the_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rasa's own wrapper answers from an empty conversation when the database is down; ours passes the error on."""
    domain = Domain.empty()
    plain = Agent._create_tracker_store(_DatabaseDown(domain), domain)
    assert asyncio.run(plain.retrieve("s")) is None  # what Rasa does by itself: a blank conversation
    # Patched for this test only (the patch is process-wide, as in the server).
    monkeypatch.setattr(Agent, "_create_tracker_store", staticmethod(create_tracker_store))
    store = Agent._create_tracker_store(_DatabaseDown(domain), domain)
    assert isinstance(store, FailSafeTrackerStore)
    with pytest.raises(RuntimeError, match="database down"):
        asyncio.run(store.retrieve("s"))
    with pytest.raises(RuntimeError, match="database down"):
        asyncio.run(store.save(DialogueStateTracker("s", [])))
