"""The SQLite tracker store: a working default for every Rasa command run from the repo root."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain

DEFAULT_DB = Path("var") / "tracker.db"


def tracker_db_path(db: Optional[str] = None) -> Path:
    """`db` from endpoints.yml, else $TRACKER_DB, else var/tracker.db (relative to the working directory)."""
    return Path(db or os.environ.get("TRACKER_DB", "").strip() or DEFAULT_DB)


class SQLiteTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store on a local SQLite file whose folder is created when missing.

    endpoints.yml cannot give an environment variable a default (Rasa refuses an unset ${VAR}, and a literal
    `${TRACKER_DB}` once became a committed file); this class reads TRACKER_DB itself and falls back to the
    git-ignored var/tracker.db, so `rasa shell` and `rasa run` work from a fresh clone.
    """

    def __init__(
        self,
        domain: Optional[Domain] = None,
        db: Optional[str] = None,
        event_broker: Optional[EventBroker] = None,
        **kwargs: Any,
    ) -> None:
        """Open (and create if needed) the SQLite file."""
        path = tracker_db_path(db)
        path.parent.mkdir(parents=True, exist_ok=True)
        kwargs.pop("dialect", None)
        kwargs.pop("host", None)
        super().__init__(domain=domain, dialect="sqlite", db=str(path), event_broker=event_broker, **kwargs)
