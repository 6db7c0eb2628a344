"""Every response in domain.yml is a complete answer, and the few facts left there agree with knowledge/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from kb.store import load_kb

REPO = Path(__file__).resolve().parents[2]
# Responses whose variations are each a complete answer on purpose (none today: add the name and say why).
COMPLETE_ON_PURPOSE: Dict[str, str] = {}


def responses() -> Dict[str, List[Dict[str, Any]]]:
    with (REPO / "domain.yml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)["responses"]


@pytest.mark.parametrize("name", sorted(responses()))
def test_a_response_sends_all_of_its_parts(name: str) -> None:
    """Rasa picks ONE variation at random: several unconditional variations would send half an answer."""
    variations = responses()[name]
    unconditional = [v for v in variations if not v.get("condition")]
    assert len(unconditional) <= 1 or name in COMPLETE_ON_PURPOSE, (name, len(unconditional))
    for variation in variations:
        assert (variation.get("text") or "").strip(), name


def test_kb_facts_are_answered_by_actions_not_copied() -> None:
    """PIN types, lock counts and the kiosk reset live in knowledge/national.yml only."""
    names = responses()
    assert "utter_pin_rules" not in names and "utter_convenience_store_reset" not in names
    text = "\n".join(v.get("text") or "" for variations in names.values() for v in variations)
    assert not re.search(r"[0-9０-９]回(連続して)?間違", text)
    assert "キオスク端末" not in text


def test_remaining_facts_agree_with_the_knowledge_base() -> None:
    """What the form's questions and the PIN-lookup answer still say matches knowledge/."""
    kb = load_kb()
    names = responses()
    signature, user_auth = kb.national.pin("signature"), kb.national.pin("user_auth")
    ask_pin = names["utter_ask_pin_type"][0]["text"]
    assert f"英数字{signature.min_length}〜{signature.max_length}文字" in ask_pin
    assert f"数字{user_auth.max_length}桁" in ask_pin
    for variation in names["utter_ask_knows_other_pin"]:
        assert (
            f"数字{user_auth.max_length}桁" in variation["text"]
            or f"英数字{signature.min_length}〜{signature.max_length}文字" in variation["text"]
        )
    lookup = names["utter_pin_lookup"][0]["text"]
    quoted = re.findall(r"「([^」]+)」", lookup)
    ryugasaki_notes = [note.text for note in kb.national.pin_notes if note.source.id == "ryugasaki"]
    assert quoted and all(any(q in note for note in ryugasaki_notes) for q in quoted)
    assert "龍ケ崎市のページ" in lookup


def test_button_titles_fit_line_quick_replies() -> None:
    """gateway/line/convert.py turns buttons into LINE quick replies, whose labels hold 20 characters."""
    for name, variations in responses().items():
        for variation in variations:
            for button in variation.get("buttons") or []:
                assert len(button["title"]) <= 20, (name, button["title"])
