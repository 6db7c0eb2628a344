"""storage.redacting_sql: what reaches the SQLite file is redacted, old conversations go, counts stay text-free."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
import time
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from storage.redacting_sql import RedactingSQLTrackerStore

DOMAIN = Domain.from_yaml(Path(__file__).resolve().parents[2].joinpath("domain.yml").read_text(encoding="utf-8"))
SECRETS = ("123456789018", "4917", "1357", "Abc12345", "0861", "3141", "5926")


def make_store(tmp_path: Path, retention_days: float = 7.0) -> RedactingSQLTrackerStore:
    return RedactingSQLTrackerStore(
        domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"), retention_days=retention_days
    )


def raw_db(tmp_path: Path) -> str:
    """Every byte of the database and its WAL files, as text (what an attacker with the files would see)."""
    files = [tmp_path / name for name in ("tracker.db", "tracker.db-wal", "tracker.db-shm")]
    return b"".join(f.read_bytes() for f in files if f.exists()).decode("utf-8", "replace")


def user(text: str, intent: str = "forgot_pin", metadata: dict | None = None, ts: float | None = None) -> UserUttered:
    return UserUttered(
        text,
        intent={"name": intent, "confidence": 1.0},
        parse_data={
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "entities": [{"entity": "x", "value": text}],
        },
        metadata=metadata or {},
        timestamp=ts,
    )


def save(store: RedactingSQLTrackerStore, sender: str, events: list) -> None:
    tracker = DialogueStateTracker.from_events(sender, events, DOMAIN.slots)
    asyncio.run(store.save(tracker))


def test_text_parse_data_metadata_and_follow_ups_are_redacted(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    events = [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        user(
            "マイナンバーは3141 - 5926 - 5352", metadata={"note": "暗証番号1357", "deep": [{"n": "1234\n5678\n9018"}]}
        ),
        BotUttered("どの暗証番号ですか。"),
        ActionExecuted("action_listen"),
        user("たしか4917だったと思う"),
        BotUttered("わかりました。"),
        ActionExecuted("action_listen"),
        user("住民基本台帳用は0861、署名用はAbc12345"),
    ]
    save(store, "s1", events)
    data = raw_db(tmp_path)
    for secret in SECRETS:
        assert secret not in data, secret
    assert "［個人番号］" in data or "\\uff3b\\u500b" in data
    tracker = asyncio.run(store.retrieve("s1"))
    texts = [e.text for e in tracker.events if isinstance(e, UserUttered)]
    assert texts == [
        "マイナンバーは［個人番号］",
        "たしか［暗証番号］だったと思う",
        "住民基本台帳用は［暗証番号］、署名用は［暗証番号］",
    ]


def test_bot_texts_keep_phone_numbers(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    save(store, "s2", [SessionStarted(), BotUttered("電話 0422-29-9191（暗証番号は数字4桁）")])
    tracker = asyncio.run(store.retrieve("s2"))
    assert tracker.get_last_event_for(BotUttered).text == "電話 0422-29-9191（暗証番号は数字4桁）"


def test_incremental_saves_only_add_new_events(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    events = [SessionStarted(), ActionExecuted("action_listen"), user("暗証番号を忘れた")]
    save(store, "s3", events)
    save(store, "s3", events + [BotUttered("どの暗証番号ですか。"), ActionExecuted("action_listen"), user("4917です")])
    with sqlite3.connect(tmp_path / "tracker.db") as conn:
        rows = conn.execute("SELECT type_name FROM events WHERE sender_id='s3' ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["session_started", "action", "user", "bot", "action", "user"]
    assert "4917" not in raw_db(tmp_path)


def test_database_file_is_private(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    save(store, "s4", [SessionStarted()])
    assert (tmp_path / "tracker.db-wal").exists(), "the store writes through a WAL"
    for name in ("tracker.db", "tracker.db-wal", "tracker.db-shm"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name


def test_conversations_past_the_retention_are_purged_and_counts_kept(tmp_path: Path) -> None:
    store = make_store(tmp_path, retention_days=1)
    old = time.time() - 2 * 24 * 3600
    save(
        store,
        "old",
        [
            SessionStarted(timestamp=old),
            user("暗証番号を忘れた", ts=old),
            SlotSet("municipality", "mitaka", timestamp=old),
            ActionExecuted("action_default_fallback", timestamp=old),
        ],
    )
    save(store, "new", [SessionStarted(), user("ロックされた", intent="pin_locked"), SlotSet("municipality", "chiba")])
    assert store.purge_expired() == 4  # the four events of "old"
    assert asyncio.run(store.retrieve("old")) is None
    assert asyncio.run(store.retrieve("new")) is not None
    stats: dict = {}
    for _, city, _, metric, key, n in store.stats():
        stats[(city, metric, key)] = stats.get((city, metric, key), 0) + n
    assert stats[("mitaka", "conversations", "")] == 1 and stats[("chiba", "conversations", "")] == 1
    assert stats[("mitaka", "intent", "forgot_pin")] == 1 and stats[("chiba", "intent", "pin_locked")] == 1
    assert stats[("mitaka", "fallbacks", "")] == 1
    with sqlite3.connect(tmp_path / "tracker.db") as conn:
        stat_text = " ".join(str(v) for row in conn.execute("SELECT * FROM daily_counts") for v in row)
    assert "忘れた" not in stat_text and "ロック" not in stat_text


def test_purge_runs_when_the_store_opens(tmp_path: Path) -> None:
    store = make_store(tmp_path, retention_days=1)
    old = time.time() - 3 * 24 * 3600
    save(store, "old", [SessionStarted(timestamp=old), user("こんにちは", ts=old)])
    reopened = make_store(tmp_path, retention_days=1)
    assert asyncio.run(reopened.retrieve("old")) is None


def test_delete_forgets_one_conversation(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    save(store, "a", [SessionStarted(), user("hello zqmarker")])
    save(store, "b", [SessionStarted(), user("こんばんは")])
    assert asyncio.run(store.delete("a")) == 2
    assert asyncio.run(store.retrieve("a")) is None
    assert asyncio.run(store.retrieve("b")) is not None
    # secure_delete: no copy left in SQLite's free pages; the emptied WAL keeps no old frame either.
    assert "zqmarker" not in raw_db(tmp_path)
    assert (tmp_path / "tracker.db-wal").stat().st_size == 0
    with sqlite3.connect(tmp_path / "tracker.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM events WHERE sender_id='a'").fetchone()[0] == 0


def test_an_event_broker_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        RedactingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"), event_broker=object())
