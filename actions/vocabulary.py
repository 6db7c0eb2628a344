"""Map a resident's free-text answer to a canonical slot value using actions/vocabulary.yml."""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path
from typing import Dict, List, Optional

import yaml

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.yml")


@functools.lru_cache(maxsize=1)
def _vocabulary() -> Dict[str, Dict[str, List[str]]]:
    with VOCABULARY_FILE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _fold(text: str) -> str:
    # NFKC turns half-width katakana and full-width letters into one form; casefold handles E-TAX vs e-tax.
    return unicodedata.normalize("NFKC", text).casefold()


def match_value(slot: str, text: Optional[str]) -> Optional[str]:
    """Return the first canonical value of ``slot`` whose words occur in ``text``, or None."""
    if not text:
        return None
    folded = _fold(text)
    for value, words in _vocabulary().get(slot, {}).items():
        if any(_fold(word) in folded for word in words):
            return str(value)
    return None
