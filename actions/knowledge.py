"""The action server's view of the knowledge base: loaded once, on first use."""

from __future__ import annotations

import functools
from typing import Any, Optional

from kb.store import KnowledgeBase, load_kb


@functools.lru_cache(maxsize=1)
def get_kb() -> KnowledgeBase:
    """Load and validate knowledge/ once per process."""
    return load_kb()


def resolve_municipality(value: Any) -> Optional[str]:
    """Turn a slot value, entity value or free text into a municipality id, or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    kb = get_kb()
    if value in kb.municipality_ids():
        return value
    return kb.resolve_municipality(value)
