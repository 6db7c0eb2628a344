"""The golden renderings, computed once per test session (every action run through the real action code)."""

from __future__ import annotations

import pytest

from tools.render_answers import Rendered, render_all


@pytest.fixture(scope="session")
def rendered() -> dict[str, Rendered]:
    """Every golden rendering, keyed by its path under tests/golden/."""
    return render_all()
