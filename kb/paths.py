"""Default locations of the knowledge base and the seed pages."""

from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    """Return the repository root (the folder that holds `kb/`)."""
    return Path(__file__).resolve().parent.parent


def default_knowledge_dir() -> Path:
    """Return `$KB_DIR` if set, else `<repo>/knowledge`."""
    env = os.environ.get("KB_DIR")
    return Path(env) if env else repo_root() / "knowledge"


def default_seeds_dir() -> Path:
    """Return `$SEEDS_DIR` if set, else `<repo>/../shared/seeds`."""
    env = os.environ.get("SEEDS_DIR")
    return Path(env) if env else repo_root().parent / "shared" / "seeds"
