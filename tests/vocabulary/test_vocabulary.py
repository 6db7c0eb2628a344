"""vocabulary/: the one list of slot words, matched the same way by the NLU's EntityResolver and the actions."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kb.ids import APPLICANTS, PIN_TYPES, PROCEDURES
from vocabulary import load_vocabulary, match_value

REPO = Path(__file__).resolve().parents[2]
# Canonical ids a slot may take (docs/ARCHITECTURE.md); "all" / "four_digit" are the PIN answers
# "I don't know" and "a 4-digit one", "true" / "false" the yes/no of knows_other_pin.
IDS = {
    "procedure": set(PROCEDURES),
    "applicant_type": set(APPLICANTS),
    "pin_type": {*PIN_TYPES, "four_digit", "all"},
    "knows_other_pin": {"true", "false"},
    "out_of_scope_topic": {"mynumber_not_pin", "bank_card", "device"},
}


def _nlu_patterns(kind: str) -> dict[str, list[str]]:
    data = yaml.safe_load((REPO / "data" / "nlu" / "entities.yml").read_text(encoding="utf-8"))
    return {
        item[kind]: [line[2:] for line in item["examples"].splitlines() if line.startswith("- ")]
        for item in data["nlu"]
        if kind in item
    }


def test_every_value_is_a_canonical_id() -> None:
    vocabulary = load_vocabulary()
    assert set(vocabulary) == set(IDS)
    for slot, values in vocabulary.items():
        assert set(values) <= IDS[slot], slot
        assert all(words for words in values.values()), slot


def test_no_synonym_list_competes_with_the_vocabulary() -> None:
    """entities.yml holds patterns only; a synonym block would be a second vocabulary."""
    assert _nlu_patterns("synonym") == {}


@pytest.mark.parametrize("slot", ["applicant_type", "pin_type"])
def test_every_nlu_lookup_entry_maps_to_an_id(slot: str) -> None:
    """What RegexEntityExtractor finds through a lookup, EntityResolver can name with the vocabulary."""
    for entry in _nlu_patterns("lookup")[slot]:
        assert match_value(slot, entry) in IDS[slot], entry


@pytest.mark.parametrize(
    "slot,text,expected",
    [
        ("applicant_type", "母の代わりに行きます", "voluntary_proxy"),
        ("applicant_type", "子どもの分です", "legal_representative"),
        ("applicant_type", "ほんにんです", "self"),
        ("pin_type", "ｅ－Ｔａｘで使うほう", "signature"),
        ("pin_type", "イータックス", "signature"),
        ("pin_type", "4 桁のほう", "four_digit"),
        ("knows_other_pin", "わかりません", "false"),
        ("knows_other_pin", "ワカリマス", "true"),
        ("applicant_type", "", None),
        ("pin_type", "こんにちは", None),
    ],
)
def test_match_value_folds_what_residents_type(slot: str, text: str, expected: str | None) -> None:
    assert match_value(slot, text) == expected
