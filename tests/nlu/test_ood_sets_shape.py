"""Shape of the out-of-domain and contrast test sets (issue 9); no model is loaded here."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from jptext import fold

HERE = Path(__file__).resolve().parent
OOD_PATH = HERE / "out_of_domain.yml"
CONTRAST_PATH = HERE / "contrast.yml"

FAMILIES = {
    "other_pins_passwords",
    "mynumber_not_pin",
    "city_services",
    "general_assistant",
    "chitchat_nonsense",
}
# The in-scope intent names of /work/shared/CONTRACT.md §3 a contrast message may carry.
IN_SCOPE_INTENTS = {
    "forgot_pin",
    "pin_locked",
    "change_pin",
    "proxy_help",
    "renew_certificate",
    "office_hours",
    "convenience_store_reset",
    "pin_rules",
    "identity_documents",
    "human_handoff",
}
MIN_PER_FAMILY = 70
MIN_OOD_TOTAL = 400
MIN_CONTRAST = 90
MIN_AMBIGUOUS = 15

# Residents split numbers with spaces, hyphens, commas or 「ー」; join those before counting digits.
_DIGIT_RUN = re.compile(r"\d(?:[\s\-ー－、,.]*\d)*")
_PIN_WORD = re.compile(r"暗証|パスワード|パスコード|(?<![a-z])pin(?![a-z])|あんしょう|ぱすわーど")
_PIN_WORD_REACH = 20  # characters either side of a PIN word in which no PIN-length number may stand


def _load(path: Path) -> dict[str, Any]:
    """Parse one YAML set file."""
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    assert isinstance(data, dict), f"{path.name}: top level must be a mapping"
    assert data.get("version") == 1, f"{path.name}: version must be 1"
    return data


def _ood_families() -> dict[str, list[str]]:
    """Families of the out-of-domain set, each a list of messages."""
    families = _load(OOD_PATH)["families"]
    assert isinstance(families, dict)
    return families


def _contrast() -> dict[str, Any]:
    """The contrast file: `examples` and `ambiguous`."""
    return _load(CONTRAST_PATH)


def _all_texts() -> list[tuple[str, str]]:
    """Every message of both files with where it comes from."""
    texts = [(f"ood/{name}", text) for name, items in _ood_families().items() for text in items]
    contrast = _contrast()
    texts += [("contrast/examples", item["text"]) for item in contrast["examples"]]
    texts += [("contrast/ambiguous", item["text"]) for item in contrast["ambiguous"]]
    return texts


def _key(text: str) -> str:
    """Duplicate key: the project's NFKC+casefold with all whitespace removed."""
    return re.sub(r"\s+", "", fold(text))


def test_ood_families_are_exactly_the_five() -> None:
    """The set has the five families of the issue, no more, no fewer."""
    assert set(_ood_families()) == FAMILIES


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_each_family_is_large_enough(family: str) -> None:
    """Every family holds at least MIN_PER_FAMILY non-empty strings."""
    items = _ood_families()[family]
    assert all(isinstance(text, str) and text.strip() for text in items)
    assert len(items) >= MIN_PER_FAMILY, f"{family}: {len(items)} < {MIN_PER_FAMILY}"


def test_ood_total() -> None:
    """The out-of-domain set holds at least MIN_OOD_TOTAL messages."""
    assert sum(len(items) for items in _ood_families().values()) >= MIN_OOD_TOTAL


def test_ood_file_says_where_it_came_from() -> None:
    """The header comment states it is a test set written independently and kept out of training."""
    header = OOD_PATH.read_text(encoding="utf-8").split("version:", 1)[0]
    assert "independently" in header and "out of training" in header


def test_contrast_examples_use_contract_intents() -> None:
    """Every contrast example is a string with one in-scope intent of the contract."""
    examples = _contrast()["examples"]
    assert len(examples) >= MIN_CONTRAST
    for item in examples:
        assert set(item) == {"text", "intent"}, item
        assert isinstance(item["text"], str) and item["text"].strip()
        assert item["intent"] in IN_SCOPE_INTENTS, item


def test_ambiguous_items_name_two_readings() -> None:
    """Every ambiguous item names one in-scope intent and out_of_scope."""
    ambiguous = _contrast()["ambiguous"]
    assert len(ambiguous) >= MIN_AMBIGUOUS
    for item in ambiguous:
        assert set(item) == {"text", "could_be"}, item
        readings = item["could_be"]
        assert isinstance(readings, list) and len(readings) == 2, item
        assert "out_of_scope" in readings, item
        assert len(set(readings) & IN_SCOPE_INTENTS) == 1, item


def test_no_duplicates_across_both_files() -> None:
    """No message appears twice (after NFKC, case folding and whitespace removal), in or across files."""
    seen: dict[str, str] = {}
    duplicates = []
    for where, text in _all_texts():
        key = _key(text)
        if key in seen:
            duplicates.append((seen[key], where, text))
        seen[key] = where
    assert not duplicates


def test_no_twelve_digit_numbers() -> None:
    """No message carries a 12-digit run that could be a 個人番号, however it is spaced."""
    offenders = []
    for where, text in _all_texts():
        for match in _DIGIT_RUN.finditer(fold(text)):
            if len(re.sub(r"\D", "", match.group())) >= 12:
                offenders.append((where, text))
    assert not offenders


def test_no_pin_like_number_near_a_pin_word() -> None:
    """No 4-16 digit run stands within reach of a PIN word (no PIN values in test data)."""
    offenders = []
    for where, text in _all_texts():
        folded = fold(text)
        words = [m.span() for m in _PIN_WORD.finditer(folded)]
        for match in _DIGIT_RUN.finditer(folded):
            digits = len(re.sub(r"\D", "", match.group()))
            if not 4 <= digits <= 16:
                continue
            start, end = match.span()
            if any(w_start - _PIN_WORD_REACH <= end and start <= w_end + _PIN_WORD_REACH for w_start, w_end in words):
                offenders.append((where, text))
    assert not offenders


def test_pin_checks_catch_what_they_should() -> None:
    """The number checks flag a PIN value and a spaced 個人番号 (so a pass means something)."""
    sample = "暗証番号は１２３４です"
    folded = fold(sample)
    assert _PIN_WORD.search(folded)
    assert any(len(re.sub(r"\D", "", m.group())) == 4 for m in _DIGIT_RUN.finditer(folded))
    spaced = fold("1234 5678 9012")
    assert any(len(re.sub(r"\D", "", m.group())) == 12 for m in _DIGIT_RUN.finditer(spaced))
