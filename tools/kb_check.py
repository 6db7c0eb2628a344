"""Validate the knowledge base: prints "OK: N files" or one line per problem and exits 1.

Run from the repo root as a module: `python -m tools.kb_check [knowledge-dir]` (`make kb-check`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kb.paths import default_knowledge_dir
from kb.validation import validate_tree


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", nargs="?", type=Path, help="knowledge directory (default: <repo>/knowledge)")
    result = validate_tree((parser.parse_args(argv).path or default_knowledge_dir()).resolve())
    print(f"OK: {result.file_count} files" if result.ok else "\n".join(result.problems))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
