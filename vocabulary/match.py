"""Map residents' words to canonical slot values with vocabulary/slots.yml."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence

import yaml

from jptext import fold_kana

SLOTS_FILE = Path(__file__).with_name("slots.yml")

# slot -> canonical value -> words, in the file's order (the first value whose word occurs wins).
Vocabulary = Dict[str, Dict[str, List[str]]]


def load_vocabulary(path: Path = SLOTS_FILE) -> Vocabulary:
    """Read a vocabulary file: every value and word as a string, order kept."""
    with path.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle) or {}
    return {
        str(slot): {str(value): [str(word) for word in words or []] for value, words in (values or {}).items()}
        for slot, values in raw.items()
    }


_default = functools.cache(load_vocabulary)


def match_in(words_by_value: Mapping[str, Sequence[str]], text: Optional[str]) -> Optional[str]:
    """The first value one of whose words occurs in `text` (both folded with jptext.fold_kana), or None."""
    if not text:
        return None
    folded = fold_kana(text)
    for value, words in words_by_value.items():
        if any(word_folded and word_folded in folded for word_folded in (fold_kana(w) for w in words)):
            return value
    return None


def match_value(slot: str, text: Optional[str]) -> Optional[str]:
    """The canonical value of `slot` that the resident's `text` names, per vocabulary/slots.yml, or None."""
    return match_in(_default().get(slot, {}), text)
