"""A YAML loader tuned for hand-edited knowledge files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

# YAML 1.1 reads 18:30 as the base-60 integer 1110 and 2025-04-30 as a date; city staff
# should not have to know that, so times and dates stay strings and the schema checks them.
_INT_NO_SEXAGESIMAL = re.compile(
    r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0[0-7_]+
    |[-+]?(?:0|[1-9][0-9_]*)
    |[-+]?0x[0-9a-fA-F_]+)$""",
    re.X,
)
_FLOAT_NO_SEXAGESIMAL = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)


class KBLoader(yaml.SafeLoader):
    """SafeLoader without timestamps and base-60 numbers."""


def _strip_resolvers() -> None:
    resolvers: dict[str, list[tuple[str, Any]]] = {}
    for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items():
        kept = []
        for tag, regexp in entries:
            if tag == "tag:yaml.org,2002:timestamp":
                continue
            if tag == "tag:yaml.org,2002:int":
                regexp = _INT_NO_SEXAGESIMAL
            elif tag == "tag:yaml.org,2002:float":
                regexp = _FLOAT_NO_SEXAGESIMAL
            kept.append((tag, regexp))
        resolvers[first] = kept
    KBLoader.yaml_implicit_resolvers = resolvers


_strip_resolvers()


def read_yaml(path: Path) -> Any:
    """Parse one YAML file with `KBLoader`; raises yaml.YAMLError or OSError."""
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=KBLoader)  # noqa: S506 - KBLoader is a SafeLoader
