"""The pipelines the harness compares, by name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional

REPO_ROOT = Path(__file__).resolve().parents[2]
VARIANTS_DIR = Path(__file__).resolve().parent / "variants"


@dataclass(frozen=True)
class PipelineSpec:
    """A pipeline under evaluation: a Rasa config, or the sklearn baseline."""

    name: str
    kind: str  # "rasa" or "sklearn"
    label: str
    config: Optional[str] = None


MAIN = PipelineSpec("sudachi", "rasa", "this pipeline (`config.yml`)", str(REPO_ROOT / "config.yml"))
TUTORIAL = PipelineSpec(
    "tutorial_ginza",
    "rasa",
    "tutorial: SpacyNLP + GiNZA, count vectors, DIET",
    str(Path(__file__).resolve().parent / "config_tutorial_ginza.yml"),
)
SKLEARN = PipelineSpec("sklearn_tfidf", "sklearn", "sklearn TF-IDF char 1-3 + LogReg")

COMPARED: Dict[str, PipelineSpec] = {p.name: p for p in (MAIN, TUTORIAL, SKLEARN)}


def variant(name: str) -> PipelineSpec:
    """An ablation config from `tools/nlu_lab/variants/<name>.yml`."""
    path = VARIANTS_DIR / f"{name}.yml"
    if not path.exists():
        raise FileNotFoundError(f"no variant config {path}")
    return PipelineSpec(f"variant:{name}", "rasa", f"variant `{name}`", str(path))


def resolve(name: str) -> PipelineSpec:
    """A compared pipeline by name, or `variant:<name>`."""
    if name.startswith("variant:"):
        return variant(name.split(":", 1)[1])
    if name not in COMPARED:
        raise KeyError(f"unknown pipeline {name!r}; known: {sorted(COMPARED)} or variant:<name>")
    return COMPARED[name]
