"""Query library over the YAML knowledge base in `knowledge/` (no I/O at import time).

The model classes and `kb.directory` (city names and contacts) need only the standard library and PyYAML,
so the gateway's virtualenv can import them; the full `KnowledgeBase` (schema validation, holiday calendar)
is imported on first use of `KnowledgeBase`, `load_kb` or `clear_cache`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kb.errors import KBValidationError, UnknownIdError
from kb.models import (
    Contact,
    Document,
    Fact,
    IdDocuments,
    Municipality,
    National,
    Office,
    OpeningStatus,
    Pin,
    Requirements,
    Source,
)

if TYPE_CHECKING:
    from kb.store import KnowledgeBase, clear_cache, load_kb

_FROM_STORE = ("KnowledgeBase", "clear_cache", "load_kb")


def __getattr__(name: str) -> Any:
    """Import kb.store (jsonschema, jpholiday) only when its names are used."""
    if name in _FROM_STORE:
        from kb import store

        return getattr(store, name)
    raise AttributeError(f"module 'kb' has no attribute {name!r}")


__all__ = [
    "Contact",
    "Document",
    "Fact",
    "IdDocuments",
    "KBValidationError",
    "KnowledgeBase",
    "Municipality",
    "National",
    "Office",
    "OpeningStatus",
    "Pin",
    "Requirements",
    "Source",
    "UnknownIdError",
    "clear_cache",
    "load_kb",
]
