"""Fixtures for the reply-composition tests: the real KB and each city's identifiers."""

from __future__ import annotations

from typing import Dict, List

import pytest

from kb.store import KnowledgeBase, load_kb
from tests.replies.replies_expect import CITY_NAMES, city_identifiers


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    """The real knowledge base."""
    return load_kb()


@pytest.fixture(scope="session")
def identifiers() -> Dict[str, List[str]]:
    """Per city: phones, fax, address, department and office names."""
    return {mid: city_identifiers(mid) for mid in CITY_NAMES}
