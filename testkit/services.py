"""The skip-or-fail rule for tests that need a real service (PostgreSQL, redis-server); ports are the launcher's."""

from __future__ import annotations

import os

import pytest

from launch import free_port, port_open

__all__ = ["free_port", "port_open", "unavailable"]


def unavailable(reason: str) -> None:
    """Skip, or fail where the scaled tests are required (CI sets SCALED_TESTS=required), with the same message."""
    message = f"{reason} (the scaled-layout tests need it; CI sets SCALED_TESTS=required)"
    if os.environ.get("SCALED_TESTS", "").strip().lower() == "required":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
