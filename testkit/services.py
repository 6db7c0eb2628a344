"""The skip-or-fail rule for tests that need a real service (PostgreSQL, redis-server); ports are the launcher's."""

from __future__ import annotations

import os

import pytest

from launch import free_port, port_open

__all__ = ["free_port", "port_open", "scaled_tests_required", "unavailable"]


def scaled_tests_required() -> bool:
    """True when a missing service must fail the run (CI sets SCALED_TESTS=required), not skip."""
    return os.environ.get("SCALED_TESTS", "").strip().lower() == "required"


def unavailable(reason: str) -> None:
    """Skip, or fail where the scaled tests are required, with the same message."""
    message = f"{reason} (the scaled-layout tests need it; CI sets SCALED_TESTS=required)"
    if scaled_tests_required():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
