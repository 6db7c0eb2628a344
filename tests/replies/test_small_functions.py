"""Issue 21: an answer is composed from small functions with one job each (replies/, complexity at most 10).

ruff's C901 (pyproject.toml, max-complexity 10 for replies/) counts branches only; this count also adds each boolean
operator and each comprehension with its conditions (as radon does), the measure by which
`case_details_replies` was 25.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterator, Tuple

MAX_COMPLEXITY = 10
REPLIES = Path(__file__).resolve().parents[2] / "replies"


def complexity(function: ast.AST) -> int:
    """1 + decisions: if, loops, except, assert, conditional expressions, match cases, boolean operators, comprehensions."""
    count = 1
    for node in ast.walk(function):
        if node is function:
            continue
        if isinstance(node, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.IfExp, ast.ExceptHandler, ast.Assert)):
            count += 1
        elif isinstance(node, ast.comprehension):
            count += 1 + len(node.ifs)
        elif isinstance(node, ast.BoolOp):
            count += len(node.values) - 1
        elif isinstance(node, ast.match_case):
            count += 1
    return count


def functions(source: str) -> Iterator[Tuple[str, int]]:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, complexity(node)


def test_every_replies_function_is_small() -> None:
    found = [
        (path.name, name, score)
        for path in sorted(REPLIES.glob("*.py"))
        for name, score in functions(path.read_text(encoding="utf-8"))
        if score > MAX_COMPLEXITY
    ]
    assert found == []


def test_the_count_sees_branches_booleans_and_comprehensions() -> None:
    source = "def f(a, b):\n    if a and b:\n        return [x for x in a if x]\n    return 1 if b else 2\n"
    assert dict(functions(source)) == {"f": 1 + 1 + 1 + 2 + 1}
