"""Rasa's SQL tracker store with the privacy rules: nothing sensitive is saved, nothing is kept too long.

Configured in endpoints.yml (``type: storage.redacting_sql.RedactingSQLTrackerStore``), so it applies to every way
events reach storage: the REST channel and Rasa's HTTP API (``/conversations/<id>/messages``, ``/tracker/events``,
``/trigger_intent``...).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections import Counter
from functools import cached_property
from typing import Any, Callable, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.dialects import postgresql, sqlite

from kb.directory import default_directory
from privacy.retention import purge_interval_seconds, retention_seconds
from storage.events import redact_event
from storage.stats import Row, daily_counts, figures_to_add, tracker_db_path
from storage.stats import metadata as stats_metadata

logger = logging.getLogger(__name__)
_DAY = 24 * 3600.0


# Dialects whose INSERT has ON CONFLICT DO UPDATE (the statistics upsert); others read and write the row.
_INSERTS: dict[str, Callable[..., Any]] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Deleted rows (purged, unfollowed) must not linger in SQLite's free pages: overwrite them.
    dbapi_connection.execute("PRAGMA secure_delete=ON")
    # WAL without a sync per commit: a turn's save took ~9 ms of fsync in the default journal mode (the largest
    # cost left in a turn, docs/performance.md); a power cut can lose the last turns, never corrupt the file.
    dbapi_connection.execute("PRAGMA journal_mode=WAL")
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


# PostgreSQL settings that copy statements, and with them residents' (redacted) words, into the server's log: a failed
# INSERT is logged with its statement by default (log_min_error_statement = error). The values that log nothing.
QUIET_SERVER_LOG = {
    "log_min_error_statement": "panic",
    "log_statement": "none",
    "log_min_duration_statement": "-1",
    "log_min_duration_sample": "-1",
    "log_transaction_sample_rate": "0",
}


def _loud_log_settings(connection: Any) -> dict[str, bool]:
    """QUIET_SERVER_LOG settings the server has another value for -> whether this login may SET them itself.

    Only a superuser may change them (or, from PostgreSQL 15, a role granted SET on the parameter); for any other
    role the DBA sets them once on the role (README, "Scaled layout").
    """
    may_set = (
        "has_parameter_privilege(name, 'SET')"
        if connection.dialect.server_version_info >= (15,)
        else "current_setting('is_superuser') = 'on'"
    )
    rows = connection.execute(
        sa.text(f"SELECT name, setting, {may_set} FROM pg_settings WHERE name IN :names").bindparams(
            sa.bindparam("names", expanding=True)
        ),
        {"names": list(QUIET_SERVER_LOG)},
    )
    return {name: bool(settable) for name, setting, settable in rows if setting.lower() != QUIET_SERVER_LOG[name]}


def _quiet_server_log(names: list[str]) -> Callable[[Any, Any], None]:
    """A connect hook that sets ``names`` to their QUIET_SERVER_LOG values for the session (and commits them)."""

    def hook(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            for name in names:
                cursor.execute(f"SET {name} = %s", (QUIET_SERVER_LOG[name],))
        dbapi_connection.commit()

    return hook


def _server_engine_kwargs(url: Any) -> dict[str, Any]:
    """Rasa's engine arguments; for PostgreSQL, commits that do not wait for the disk (synchronous_commit=off).

    Under load each turn's commit waited for an fsync (the Rasa replicas stood in I/O wait). With the setting off a
    PostgreSQL crash can lose the last fraction of a second of turns (at most 3 × wal_writer_delay), never corrupt
    the database, the same trade as the SQLite WAL above. It is a per-session setting: no server change needed.
    """
    kwargs = create_engine_kwargs(url)
    if url.get_backend_name() == "postgresql":
        connect_args = kwargs.setdefault("connect_args", {})
        connect_args["options"] = f"{connect_args.get('options', '')} -c synchronous_commit=off".strip()
    return kwargs


class RedactingSQLTrackerStore(SQLTrackerStore):
    """Redacts user/bot texts, parse data, metadata and slot values before saving; purges after RETENTION_DAYS.

    Each save adds its events' text-free daily counts (storage/stats.py) to ``daily_counts``, in the same transaction.
    """

    engine: sa.engine.Engine

    def __init__(self, domain: Optional[Domain] = None, retention_days: Optional[float] = None, **kwargs: Any) -> None:
        """Open the database (file 0600 for SQLite), create the stats table and purge what is already too old."""
        if kwargs.get("event_broker") is not None:
            # A broker would receive the unredacted events; this deployment has none, and must not get one silently.
            raise ValueError("RedactingSQLTrackerStore does not support an event broker")
        if (kwargs.get("dialect") or "sqlite") == "sqlite":
            path = tracker_db_path(kwargs.get("db"))
            path.parent.mkdir(parents=True, exist_ok=True)
            kwargs.update(dialect="sqlite", db=str(path))
            kwargs.pop("host", None)
        super().__init__(domain=domain, **kwargs)
        self._configure_engine()
        self.retention = float(retention_days) * _DAY if retention_days else retention_seconds()
        self._restrict_file()
        try:
            stats_metadata.create_all(self.engine)
        except (sa.exc.OperationalError, sa.exc.ProgrammingError, sa.exc.IntegrityError) as error:
            # Replicas starting together race to create the table; one of them wins, which is all that matters.
            logger.warning("Could not create the statistics table (another replica may have): %s", error)
        self._last_purge = 0.0
        self._purge_task: Optional[asyncio.Task[None]] = None
        self.purge_expired()
        self._start_periodic_purge()

    def _configure_engine(self) -> None:
        """Rasa's engine, reopened with the pooling this store needs.

        PostgreSQL: pooled connections are tested before use, so that the store recovers by itself after the
        server restarts, and a commit does not wait for its fsync (see ``_server_engine_kwargs``). SQLite: connections are kept (SQLAlchemy 1.4 opens a new one per session for a file)
        and opened with the pragmas above; a WAL is only fast while a connection stays open.
        """
        url = self.engine.url
        self.engine.dispose()
        if url.get_backend_name() == "sqlite":
            self.engine = sa.create_engine(
                url, poolclass=sa.pool.QueuePool, pool_size=2, connect_args={"check_same_thread": False}
            )
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = sa.create_engine(url, pool_pre_ping=True, **_server_engine_kwargs(url))
            if url.get_backend_name() == "postgresql":
                self._keep_statements_out_of_the_server_log()
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def _keep_statements_out_of_the_server_log(self) -> None:
        """Every session of this store sets what it may of QUIET_SERVER_LOG; what it may not is a warning to act on."""
        with self.engine.connect() as connection:
            loud = _loud_log_settings(connection)
        self.engine.dispose()  # the connection above was opened before the hook: it must not be reused
        settable = [name for name, may in loud.items() if may]
        if settable:
            sa.event.listen(self.engine, "connect", _quiet_server_log(settable))
        left = [name for name, may in loud.items() if not may]
        if left:
            user = self.engine.url.username or "<role>"
            logger.warning(
                "PostgreSQL may copy statements with residents' words into its server log, and role %r may not "
                "change that itself. Ask the DBA to run, as a superuser: %s",
                user,
                " ".join(f"ALTER ROLE {user} SET {name} = '{QUIET_SERVER_LOG[name]}';" for name in left),
            )

    def _sqlite_file(self) -> Optional[str]:
        database = self.engine.url.database
        if self.engine.url.get_backend_name() == "sqlite" and database and database != ":memory:":
            return database
        return None

    def _restrict_file(self) -> None:
        database = self._sqlite_file()
        for path in (database, f"{database}-wal", f"{database}-shm") if database else ():
            if os.path.exists(path):
                os.chmod(path, 0o600)

    def _reclaim(self) -> None:
        """After a delete, let no copy of the deleted rows stay readable.

        SQLite: the WAL is copied into the database and truncated (secure_delete has zeroed the rows). PostgreSQL: a
        deleted row stays in the table as a dead tuple until a VACUUM, which runs here at once (outside a
        transaction) instead of whenever autovacuum gets to it. Its bytes may stay in the page's free space until
        new rows overwrite them (README, "Scaled layout"). VACUUM needs the table's owner, which the role that
        created the tables is; for another role the server only warns, and that warning is logged here.
        """
        if self._sqlite_file():
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        elif self.engine.url.get_backend_name() == "postgresql":
            table = self.SQLEvent.__table__.name
            try:
                with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.exec_driver_sql(f"VACUUM {table}")
            except sa.exc.DBAPIError as error:
                logger.warning("VACUUM %s after a delete failed; dead rows stay until autovacuum: %s", table, error)

    def _start_periodic_purge(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no server loop (scripts, tests): purges then happen on save

        async def purge_forever() -> None:
            while True:
                await asyncio.sleep(purge_interval_seconds(self.retention))
                try:
                    # In a thread: a VACUUM of a large table must not hold up the turns of this server.
                    await asyncio.to_thread(self.purge_expired)
                except Exception:  # noqa: BLE001 - the next round tries again; the server keeps running
                    logger.exception("Purging expired conversations failed.")

        self._purge_task = loop.create_task(purge_forever())

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the new events, redacted, and add what they change in the counts (same transaction)."""
        with self.session_scope() as session:
            stored = self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False).count()
            # Only the events of the current session are compared with what is stored (as SQLTrackerStore does).
            events = [event.as_dict() for event in tracker.events]
            redacted = [redact_event(data) for data in events[stored:]]  # context-free: no earlier event needed
            for data in redacted:
                intent = ((data.get("parse_data") or {}).get("intent") or {}).get("name")
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=data.get("event"),
                        timestamp=data.get("timestamp"),
                        intent_name=intent if isinstance(intent, str) else None,
                        action_name=data.get("name") if isinstance(data.get("name"), str) else None,
                        data=json.dumps(data),
                    )
                )
            known_intents = frozenset(self.domain.intents) if self.domain else frozenset()
            counts = figures_to_add([*events[:stored], *redacted], stored, self._known_cities, known_intents)
            self._add_counts(session, counts)
            session.commit()
        self._restrict_file()
        if self._purge_task is None and time.time() - self._last_purge > purge_interval_seconds(self.retention):
            self.purge_expired()

    @cached_property
    def _known_cities(self) -> frozenset[str]:
        """The knowledge base's city ids, read once per process (a new city comes with a restart anyway)."""
        return frozenset(default_directory().municipality_ids())

    @staticmethod
    def _add_counts(session: Any, counts: Counter[Row]) -> None:
        names = ("day", "city", "channel", "metric", "key")
        # Sorted, so that replicas saving at once lock the same rows in the same order (no deadlock).
        values = [{**dict(zip(names, row, strict=True)), "count": n} for row, n in sorted(counts.items())]
        if not values:
            return
        insert = _INSERTS.get(session.get_bind().dialect.name)
        if insert is None:
            for row_values in values:
                match = [daily_counts.c[name] == row_values[name] for name in names]
                updated = session.execute(
                    daily_counts.update().where(*match).values(count=daily_counts.c.count + row_values["count"])
                )
                if not updated.rowcount:
                    session.execute(daily_counts.insert().values(**row_values))
            return
        # One upsert for all counters of the save (one round trip): replicas saving at once add up, not collide.
        statement = insert(daily_counts).values(values)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=list(names), set_={"count": daily_counts.c.count + statement.excluded["count"]}
            )
        )

    def purge_expired(self, now: Optional[float] = None) -> int:
        """Delete every event older than the retention, whatever its conversation; returns how many went.

        A conversation's current session (the events Rasa loads, from its latest ``session_started`` on) goes only
        as a whole, once its last event is older than the retention: Rasa never loads half a session, and ``save``,
        which counts the stored events of that session to find the new ones, never sees them shrink under a turn.
        Older sessions go event by event. A session ends after 60 minutes of silence (domain.yml), so an event
        outlives the retention by at most the length of its session; a resident who writes every few days keeps only
        what was said within the retention.
        """
        now = time.time() if now is None else now
        self._last_purge = now
        cutoff = now - self.retention
        events = self.SQLEvent.__table__
        starts, recent = events.alias("starts"), events.alias("recent")
        current_session = (
            sa.select(sa.func.max(starts.c.timestamp))
            .where(starts.c.sender_id == events.c.sender_id, starts.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        active = sa.exists().where(recent.c.sender_id == events.c.sender_id, recent.c.timestamp >= cutoff)
        expired = sa.delete(events).where(
            events.c.timestamp < cutoff, sa.or_(~active, events.c.timestamp < current_session)
        )
        with self.session_scope() as session:
            deleted = int(session.execute(expired).rowcount or 0)
            session.commit()
        if deleted:
            self._reclaim()
            logger.info("Purged %d events older than the retention period.", deleted)
        return deleted

    async def delete(self, sender_id: Text) -> int:
        """Forget one conversation entirely (e.g. a LINE user who unfollowed); returns the events deleted."""
        with self.session_scope() as session:
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        await asyncio.to_thread(self._reclaim)
        return int(deleted or 0)

    def stats(self) -> list[tuple[str, str, str, str, str, int]]:
        """All counts as (day, city, channel, metric, key, count), for staff reports and tests."""
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(daily_counts).order_by(*daily_counts.primary_key.columns))
            return [(*row[:5], int(row.count)) for row in rows]
