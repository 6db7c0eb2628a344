"""Marks the tests that need a trained model (so `make test-unit` runs everything else); the stand-in for LINE."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import pytest

if TYPE_CHECKING:  # imported by the fixture: the gateway's venv collects this file too
    from tests.e2e.line import FakeLineApi

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


@pytest.fixture(scope="module")
def line_api() -> Iterator["FakeLineApi"]:
    """A local stand-in for LINE's Messaging API (tests/e2e/line.py) for the end-to-end and scaled tests."""
    from tests.e2e.line import FakeLineApi

    api = FakeLineApi().start()
    yield api
    api.stop()
