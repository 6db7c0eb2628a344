"""storage.stats: the text-free daily figures, per city and channel, from synthetic serialised events.

Keys are known ids only: a made-up city, intent or answer key never becomes a key of daily_counts. The answer key
and feedback events follow the feedback interface (answer actions set ``answer_key``; 👍/👎 is intent ``feedback``
with entity ``rating``, the 👎 reason intent ``feedback_reason`` with entity ``reason``).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from kb.directory import default_directory
from storage.redacting_sql import RedactingSQLTrackerStore
from storage.stats import OTHER, UNKNOWN, attribute, day_of, figures, figures_to_add, unanswered

DOMAIN = Domain.from_yaml(Path(__file__).resolve().parents[2].joinpath("domain.yml").read_text(encoding="utf-8"))
MADE_UP = ("<script>alert(1)</script>", "暗証番号は1234", "123456789018", "inform_<b>", "mitaka ")
CITIES = frozenset({"mitaka", "chiba"})
INTENTS = frozenset(
    {"forgot_pin", "nlu_fallback", "out_of_scope", "feedback", "feedback_reason", "inform", "office_hours"}
)
TS = 1_800_000_000.0  # 2027-01-15 17:00 JST
DAY = day_of(TS)
CHECKLIST = "checklist|mitaka|pin_reset|self|forgot_pin"
HOURS = "hours|mitaka|-|-|office_hours"


def start(ts: float = TS) -> list[dict]:
    """What Rasa stores when a session starts."""
    return [
        {"event": "action", "name": "action_session_start", "timestamp": ts},
        {"event": "session_started", "timestamp": ts},
    ]


def user(intent: str, text: str = "x", channel: Any = None, ts: float = TS, **entities: str) -> dict:
    parse = {"intent": {"name": intent}, "entities": [{"entity": k, "value": v} for k, v in entities.items()]}
    event: dict = {"event": "user", "timestamp": ts, "text": text, "parse_data": parse}
    if channel is not None:
        event["metadata"] = {"channel": channel}
    return event


def slot(value: object, name: str = "municipality", ts: float = TS) -> dict:
    return {"event": "slot", "timestamp": ts, "name": name, "value": value}


def action(name: str, ts: float = TS) -> dict:
    return {"event": "action", "timestamp": ts, "name": name}


def answer(key: str, action_name: str = "action_answer_case") -> list[dict]:
    return [action(action_name), slot(key, "answer_key")]


def metric(counts: Counter, name: str, by: str = "key") -> dict:
    """{key (or city, channel): n} of one metric."""
    index = {"city": 1, "channel": 2, "key": 4}[by]
    found: Counter = Counter()
    for row, n in counts.items():
        if row[3] == name:
            found[row[index]] += n
    return dict(found)


def test_unknown_cities_intents_and_answer_keys_are_counted_as_other() -> None:
    events = [*start(), user("forgot_pin", channel="web"), user(MADE_UP[3]), user(MADE_UP[1]), user("nlu_fallback")]
    events += [slot(MADE_UP[0]), *answer("checklist|<b>|pin_reset|self|forgot_pin"), *answer("quiz|mitaka|-|-|-")]
    counts = figures(events, CITIES, INTENTS)
    assert metric(counts, "intent") == {"forgot_pin": 1, OTHER: 2, "nlu_fallback": 1}
    assert metric(counts, "conversations", by="city") == {OTHER: 1}
    assert metric(counts, "checklists") == {f"checklist|{OTHER}|pin_reset|self|forgot_pin": 1}, "an unknown kind"
    assert figures([*start(), slot(["chiba"]), user("forgot_pin", channel="fax")], CITIES, INTENTS) == Counter(
        {(DAY, UNKNOWN, OTHER, "conversations", ""): 1, (DAY, UNKNOWN, OTHER, "intent", "forgot_pin"): 1}
    )
    assert figures([slot("mitaka"), user("forgot_pin")], frozenset(), frozenset()) == Counter(
        {(DAY, OTHER, UNKNOWN, "intent", OTHER): 1}
    )


def test_every_figure_of_a_session_is_counted_under_its_city_and_channel() -> None:
    events = [*start(), user("forgot_pin", "暗証番号を忘れた", channel="line"), slot("mitaka"), *answer(CHECKLIST)]
    events += [user("feedback", "/feedback", channel="line", rating="helpful")]
    events += [user("office_hours", "何時まで", channel="line"), *answer(HOURS, "action_answer_office_hours")]
    events += [
        user("feedback", "/feedback", rating="not_helpful"),
        user("feedback_reason", "/feedback_reason", reason="unclear"),
    ]
    events += [user("out_of_scope", "ごみの日", channel="line"), action("action_answer_out_of_scope")]
    events += [user("nlu_fallback", "あいうえお", channel="line"), action("action_default_fallback")]
    events += [user("human_handoff", "電話したい", channel="line"), action("action_answer_contact")]
    counts = figures(events, CITIES, INTENTS | {"human_handoff"})
    assert {row[1:3] for row in counts} == {("mitaka", "line")} and {row[0] for row in counts} == {DAY}
    summary = {name: sum(metric(counts, name).values()) for name in ("conversations", "checklists", "answers")}
    summary |= {name: sum(metric(counts, name).values()) for name in ("out_of_scope", "fallbacks", "handoffs")}
    assert summary == dict(conversations=1, checklists=1, answers=1, out_of_scope=1, fallbacks=2, handoffs=1)
    assert metric(counts, "checklists") == {CHECKLIST: 1} and metric(counts, "answers") == {HOURS: 1}
    assert metric(counts, "helpful") == {CHECKLIST: 1} and metric(counts, "not_helpful") == {HOURS: 1}
    assert metric(counts, "unclear") == {HOURS: 1}


def test_a_conversation_counts_as_unknown_until_its_city_is_known_then_moves() -> None:
    events = [*start(), user("forgot_pin", channel="web"), user("inform", channel="web")]
    before = figures_to_add(events, 0, CITIES, INTENTS)
    assert set(metric(before, "conversations", by="city")) == {UNKNOWN}
    events += [slot("chiba"), user("out_of_scope"), action("action_answer_out_of_scope")]
    change = figures_to_add(events, 4, CITIES, INTENTS)
    assert (
        change[(DAY, UNKNOWN, "web", "conversations", "")] == -1
        and change[(DAY, "chiba", "web", "conversations", "")] == 1
    )
    assert (
        change[(DAY, UNKNOWN, "web", "intent", "forgot_pin")] == -1
        and change[(DAY, "chiba", "web", "out_of_scope", "")] == 1
    )
    total = before + Counter()
    total.update(change)
    assert +total == figures(events, CITIES, INTENTS) and metric(+total, "conversations", by="city") == {"chiba": 1}
    assert figures_to_add(events, len(events), CITIES, INTENTS) == Counter(), "nothing new, nothing to add"


def test_a_city_named_later_in_a_session_keeps_the_earlier_ones_turns_and_sessions_are_separate() -> None:
    events = [*start(), user("forgot_pin"), slot("mitaka"), *answer(CHECKLIST), slot("chiba"), user("forgot_pin")]
    events += [*start(TS + 86400), user("forgot_pin", channel="web")]
    attributed = attribute(events, CITIES)
    assert attributed[1:4] == [("mitaka", UNKNOWN)] * 3 and attributed[7] == ("chiba", UNKNOWN)
    assert attributed[-1] == (UNKNOWN, "web"), "a new session starts without a city"
    counts = figures(events, CITIES, INTENTS)
    assert metric(counts, "conversations", by="city") == {"mitaka": 1, UNKNOWN: 1}
    assert counts[(day_of(TS + 86400), UNKNOWN, "web", "conversations", "")] == 1


def test_the_answer_key_a_new_session_carries_over_is_not_a_new_answer() -> None:
    events = [*start(), user("forgot_pin"), *answer(CHECKLIST), *start(), slot("mitaka"), slot(CHECKLIST, "answer_key")]
    events += [action("action_listen"), user("feedback", "/feedback", rating="not_helpful")]
    counts = figures(events, CITIES, INTENTS)
    assert metric(counts, "checklists") == {CHECKLIST: 1} and metric(counts, "not_helpful") == {CHECKLIST: 1}


def test_unanswered_names_the_typed_message_and_why() -> None:
    events = [*start(), user("forgot_pin", "暗証番号を忘れた"), user("inform", "/inform"), user("inform", "本人です")]
    events += [*answer(CHECKLIST), user("feedback", "/feedback", rating="not_helpful")]  # 2: the question, not 本人です
    events += [user("nlu_fallback", "ほげほげ"), user("out_of_scope", "/out_of_scope")]  # 8, then the rephrase button
    events += [user("nlu_fallback", "ふがふが"), action("action_default_fallback")]  # 10: listed once
    events += [user("out_of_scope", "ごみの日"), action("action_answer_out_of_scope")]  # 12
    events += [user("human_handoff", "人と話したい"), action("action_answer_contact")]  # 14
    events += [user("feedback", "/feedback", rating="helpful")]
    found = unanswered(events)
    assert found == {2: "not_helpful", 8: "fallback", 10: "fallback", 12: "out_of_scope", 14: "handoff"}
    assert unanswered([*start(), *answer(CHECKLIST), user("feedback", "/feedback", rating="not_helpful")]) == {}


def test_the_store_keeps_no_made_up_value_in_its_statistics(tmp_path: Path) -> None:
    """A slot value or intent name sent through Rasa's API (or a forced command) never reaches daily_counts."""
    store = RedactingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    for made_up in MADE_UP:
        events += [
            UserUttered("x", intent={"name": made_up, "confidence": 1.0}, parse_data={"intent": {"name": made_up}}),
            SlotSet("municipality", made_up),
            SlotSet("answer_key", f"checklist|{made_up}|{made_up}|self|{made_up}"),
        ]
    events += [
        UserUttered("三鷹市です", intent={"name": "inform", "confidence": 1.0}, metadata={"channel": MADE_UP[0]}),
        SlotSet("municipality", "mitaka"),
    ]
    asyncio.run(store.save(DialogueStateTracker.from_events("s-1", events, DOMAIN.slots)))
    stats = {(city, channel, metric, key): n for _, city, channel, metric, key, n in store.stats()}
    assert stats[(OTHER, OTHER, "conversations", "")] == 1, "the first city of the session was a made-up one"
    assert stats[(OTHER, OTHER, "intent", OTHER)] == len(MADE_UP) and stats[(OTHER, OTHER, "intent", "inform")] == 1
    # The two 個人番号 of one key are redacted into one placeholder: no longer a key at all, so not counted.
    assert stats[(OTHER, OTHER, "checklists", f"checklist|{OTHER}|{OTHER}|self|{OTHER}")] == len(MADE_UP) - 1
    with sqlite3.connect(tmp_path / "tracker.db") as conn:
        rows = " ".join(str(v) for row in conn.execute("SELECT * FROM daily_counts") for v in row)
    for made_up in MADE_UP[:4]:
        assert made_up not in rows, made_up


def test_the_store_moves_a_conversation_to_its_city_across_saves(tmp_path: Path) -> None:
    store = RedactingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    events.append(UserUttered("暗証番号を忘れた", intent={"name": "forgot_pin"}, metadata={"channel": "web"}))
    asyncio.run(store.save(DialogueStateTracker.from_events("s-2", events, DOMAIN.slots)))
    assert {(city, metric): n for _, city, _, metric, _, n in store.stats()} == {
        (UNKNOWN, "conversations"): 1,
        (UNKNOWN, "intent"): 1,
    }
    tracker = asyncio.run(store.retrieve("s-2"))
    assert tracker is not None
    tracker.update(SlotSet("municipality", "tajimi"))
    asyncio.run(store.save(tracker))
    kept = {(city, channel, metric): n for _, city, channel, metric, _, n in store.stats() if n}
    assert kept == {("tajimi", "web", "conversations"): 1, ("tajimi", "web", "intent"): 1}


def test_the_store_knows_every_city_of_the_knowledge_base(tmp_path: Path) -> None:
    store = RedactingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    ids = default_directory().municipality_ids()
    assert ids and store._known_cities == frozenset(ids)
