"""Ports and the skip-or-fail rule for tests that need a real service (PostgreSQL, redis-server)."""

from __future__ import annotations

import os
import socket

import pytest


def scaled_tests_required() -> bool:
    """True when a missing service must fail the run (CI sets SCALED_TESTS=required), not skip."""
    return os.environ.get("SCALED_TESTS", "").strip().lower() == "required"


def unavailable(reason: str) -> None:
    """Skip, or fail where the scaled tests are required, with the same message."""
    message = f"{reason} (the scaled-layout tests need it; CI sets SCALED_TESTS=required)"
    if scaled_tests_required():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    """Whether something accepts connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
