"""Statistics keys are known ids only: a made-up city or intent name never becomes a key of conversation_stats."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from kb.directory import default_directory
from storage.events import OTHER, count_events
from storage.redacting_sql import RedactingSQLTrackerStore

DOMAIN = Domain.from_yaml(Path(__file__).resolve().parents[2].joinpath("domain.yml").read_text(encoding="utf-8"))
MADE_UP = ("<script>alert(1)</script>", "暗証番号は1234", "123456789018", "inform_<b>", "mitaka ")
CITIES = frozenset({"mitaka", "chiba"})
INTENTS = frozenset({"forgot_pin", "nlu_fallback"})


def user(intent: str, ts: float = 1_800_000_000.0) -> dict:
    return {"event": "user", "timestamp": ts, "text": "x", "parse_data": {"intent": {"name": intent}}}


def slot(value: object, ts: float = 1_800_000_000.0) -> dict:
    return {"event": "slot", "timestamp": ts, "name": "municipality", "value": value}


def keys(counts: dict, metric: str) -> dict:
    return {key: n for (_, m, key), n in counts.items() if m == metric}


def test_unknown_cities_and_intents_are_counted_as_other() -> None:
    events = [{"event": "session_started", "timestamp": 1_800_000_000.0}]
    events += [slot("mitaka"), slot(MADE_UP[0]), slot(MADE_UP[1]), user("forgot_pin"), user(MADE_UP[3])]
    events += [user(MADE_UP[1]), user("nlu_fallback"), slot(["chiba"]), slot("chiba")]
    counts = count_events(events, 0, CITIES, INTENTS)
    assert keys(counts, "municipality") == {"mitaka": 1, OTHER: 1, "chiba": 1}
    assert keys(counts, "intent") == {"forgot_pin": 1, OTHER: 2, "nlu_fallback": 1}
    assert keys(counts, "fallback") == {"nlu_fallback": 1}


def test_each_city_once_per_session_and_only_new_events() -> None:
    events = [{"event": "session_started"}, slot("mitaka"), user("forgot_pin"), slot(MADE_UP[0]), slot("mitaka")]
    assert keys(count_events(events, 3, CITIES, INTENTS), "municipality") == {OTHER: 1}
    assert count_events(events, 5, CITIES, INTENTS) == {}


def test_no_known_ids_means_everything_is_other() -> None:
    counts = count_events([slot("mitaka"), user("forgot_pin")], 0, frozenset(), frozenset())
    assert keys(counts, "municipality") == {OTHER: 1} and keys(counts, "intent") == {OTHER: 1}


def test_the_store_keeps_no_made_up_value_in_its_statistics(tmp_path: Path) -> None:
    """A slot value or intent name sent through Rasa's API (or a forced command) never reaches conversation_stats."""
    store = RedactingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    for made_up in MADE_UP:
        events += [
            UserUttered("x", intent={"name": made_up, "confidence": 1.0}, parse_data={"intent": {"name": made_up}}),
            SlotSet("municipality", made_up),
        ]
    events += [
        UserUttered("三鷹市です", intent={"name": "inform", "confidence": 1.0}),
        SlotSet("municipality", "mitaka"),
    ]
    asyncio.run(store.save(DialogueStateTracker.from_events("s-1", events, DOMAIN.slots)))
    stats = {(metric, key): n for _, metric, key, n in store.stats()}
    assert stats[("municipality", "mitaka")] == 1 and stats[("intent", "inform")] == 1
    assert stats[("municipality", OTHER)] == 1 and stats[("intent", OTHER)] == len(MADE_UP)
    assert {key for _, key in stats} <= {"", OTHER, "inform", "mitaka"}
    with sqlite3.connect(tmp_path / "tracker.db") as conn:
        rows = " ".join(str(v) for row in conn.execute("SELECT * FROM conversation_stats") for v in row)
    for made_up in MADE_UP[:4]:
        assert made_up not in rows, made_up


def test_the_store_knows_every_city_of_the_knowledge_base(tmp_path: Path) -> None:
    store = RedactingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    ids = default_directory().municipality_ids()
    assert ids and store._known_cities == frozenset(ids)
