"""Marks the tests that need a trained model (or train one), so `make test-unit` runs everything else without."""

from __future__ import annotations

import pytest

# Fixtures that load or train a model (tests/nlu/conftest.py); a test asking for one is a `model` test.
MODEL_FIXTURES = frozenset({"nlu_model_path", "nlu_parser"})


def pytest_configure(config: pytest.Config) -> None:
    """Declare the `model` marker (`-m "not model"` is `make test-unit`)."""
    config.addinivalue_line("markers", "model: needs a trained Rasa model (make train)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses a model fixture."""
    for item in items:
        if MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.model)
