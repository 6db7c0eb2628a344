"""Query library over the YAML knowledge base in `knowledge/` (no I/O at import time)."""

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
from kb.store import KnowledgeBase, clear_cache, load_kb

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
