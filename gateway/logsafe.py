"""Logging exceptions without their messages, which may quote residents' text or LINE ids."""

from __future__ import annotations

import traceback


def describe_exception(exc: BaseException) -> str:
    """The exception's type and stack, without its message (validation errors echo their input)."""
    stack = "".join(traceback.format_tb(exc.__traceback__))
    return f"{type(exc).__module__}.{type(exc).__qualname__}\n{stack}".rstrip()
