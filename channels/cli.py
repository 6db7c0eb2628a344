"""``python -m channels.cli run ...``: Rasa's command line, with ``--auth-token`` taken from RASA_AUTH_TOKEN.

The token is added in memory, so it never shows in the process list (``ps`` shows the command line), and a server
with the HTTP API enabled refuses to start without one: Rasa's API must never be open, even on 127.0.0.1. A tracker
store error fails the turn (the resident gets the apology) instead of being answered from an empty conversation.
"""

from __future__ import annotations

import os
import sys
from typing import Optional

from channels.redacting_rest import AUTH_TOKEN_ENV


def with_auth_token(argv: list[str], env: dict[str, str]) -> list[str]:
    """``argv`` plus ``--auth-token``; raises SystemExit when ``run --enable-api`` has no token to use."""
    if "--auth-token" in argv or any(a.startswith("--auth-token=") for a in argv):
        raise SystemExit(f"pass the token in {AUTH_TOKEN_ENV}, not on the command line (it would show in ps)")
    token = env.get(AUTH_TOKEN_ENV, "").strip()
    serving_api = bool(argv) and argv[0] == "run" and "--enable-api" in argv
    if serving_api and len(token) < 32:
        raise SystemExit(f"{AUTH_TOKEN_ENV} must hold at least 32 characters when Rasa's HTTP API is enabled")
    return argv + ["--auth-token", token] if serving_api else argv


def _reraise(error: Exception) -> None:
    raise error


def fail_turns_on_tracker_store_errors() -> None:
    """A tracker store that cannot be read or written fails the turn, instead of Rasa's silent in-memory stand-in.

    Rasa wraps every tracker store in ``FailSafeTrackerStore``: when the database is down it answers from a brand-new
    empty conversation (a resident's 「本人です」 in the middle of the form gets the opening menu) and keeps the turn
    only in that process's memory, where no other replica and no later turn will see it. Re-raising instead lets
    the REST channel answer with the polite apology (channels/redacting_rest.py), and the resident's next message,
    once the database is back, continues the conversation as stored.
    """
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, TrackerStore
    from rasa.shared.core.domain import Domain

    def create_tracker_store(store: Optional[TrackerStore], domain: Domain) -> TrackerStore:
        """Agent._create_tracker_store, with errors passed on (Rasa 3.6's version, plus the error callback)."""
        if store is None:
            store = InMemoryTrackerStore(domain)
        else:
            store.domain = domain
        return FailSafeTrackerStore(store, on_tracker_store_error=_reraise)

    Agent._create_tracker_store = staticmethod(create_tracker_store)


def main() -> None:
    """Run Rasa's CLI with the token added and tracker store errors failing the turn."""
    from rasa.__main__ import main as rasa_main

    from channels import hotpaths

    hotpaths.install()
    sys.argv = [sys.argv[0]] + with_auth_token(sys.argv[1:], dict(os.environ))
    fail_turns_on_tracker_store_errors()
    rasa_main()


if __name__ == "__main__":
    main()
