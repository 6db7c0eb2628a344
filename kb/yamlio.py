"""A YAML loader tuned for hand-edited knowledge files."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import yaml


class KBLoader(yaml.SafeLoader):
    """SafeLoader without timestamps and base-60 numbers."""


def _text_if_base60(construct: Callable[[yaml.SafeLoader, yaml.Node], Any]) -> Callable[..., Any]:
    """`construct`, except that a base-60 scalar (the only int or float with a colon) stays text."""

    def build(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        value = loader.construct_scalar(node)
        return value if ":" in value else construct(loader, node)

    return build


# YAML 1.1 reads 18:30 as the base-60 integer 1110 and 2025-04-30 as a date; city staff
# should not have to know that, so times and dates stay strings and the schema checks them.
KBLoader.add_constructor("tag:yaml.org,2002:int", _text_if_base60(yaml.SafeLoader.construct_yaml_int))
KBLoader.add_constructor("tag:yaml.org,2002:float", _text_if_base60(yaml.SafeLoader.construct_yaml_float))
KBLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


def read_yaml(path: Path) -> Any:
    """Parse one YAML file with `KBLoader`; raises yaml.YAMLError or OSError."""
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=KBLoader)  # noqa: S506 - KBLoader is a SafeLoader
