"""Map a resident's free-text answer to a canonical slot value using actions/vocabulary.yml."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from jptext import fold

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.yml")


@functools.lru_cache(maxsize=1)
def _vocabulary() -> Dict[str, Dict[str, List[str]]]:
    with VOCABULARY_FILE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def match_value(slot: str, text: Optional[str]) -> Optional[str]:
    """Return the first canonical value of ``slot`` whose words occur in ``text``, or None."""
    if not text:
        return None
    folded = fold(text)
    for value, words in _vocabulary().get(slot, {}).items():
        if any(fold(word) in folded for word in words):
            return str(value)
    return None
