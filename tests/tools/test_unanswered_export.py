"""tools/unanswered_export.py: the draft NLU file is valid Rasa training data, grouped by the model's best guess."""

from __future__ import annotations

from typing import Any

from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from tools.unanswered_export import draft

ITEMS: list[dict[str, Any]] = [
    {"text": "<script>alert(1)</script>ごみの日", "count": 1, "city": None, "reason": "out_of_scope"},
    {"text": "暗証番号は［暗証番号］\nです", "count": 3, "city": "mitaka", "reason": "not_helpful"},
    {"text": "ほげほげ", "count": 2, "city": "chiba", "reason": "fallback"},
]
GUESSES: dict[str, dict[str, Any]] = {
    ITEMS[0]["text"]: {"intent": {"name": "out_of_scope", "confidence": 0.9}},
    ITEMS[1]["text"]: {"intent": {"name": "forgot_pin", "confidence": 0.7}},
    # Below the threshold: the ranking's best real intent is the guess, not nlu_fallback.
    ITEMS[2]["text"]: {
        "intent": {"name": "nlu_fallback", "confidence": 0.5},
        "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "pin_rules", "confidence": 0.31}],
    },
}


def parse(text: str) -> dict[str, Any]:
    return GUESSES[text]


def test_the_draft_is_rasa_nlu_data_grouped_by_the_best_guess() -> None:
    text = draft(ITEMS, parse, "2026-11-18", "2026-11-24")
    assert text.startswith("# Draft, review before training:") and "2026-11-18 to 2026-11-24" in text
    data = RasaYAMLReader().reads(text)
    examples = {(m.get("intent"), m.get("text")) for m in data.intent_examples}
    assert examples == {
        ("out_of_scope", "<script>alert(1)</script>ごみの日"),
        ("forgot_pin", "暗証番号は［暗証番号］ です"),
        ("pin_rules", "ほげほげ"),
    }
    assert "#   1. 3回・not_helpful・mitaka・0.70" in text and "#   1. 2回・fallback・chiba・0.31" in text


def test_nothing_to_export_is_still_a_valid_file() -> None:
    text = draft([], parse, "2026-11-24", "2026-11-24")
    assert RasaYAMLReader().reads(text).intent_examples == [] and "nlu: []" in text
