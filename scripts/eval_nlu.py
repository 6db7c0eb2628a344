#!/usr/bin/env python
"""Compare NLU pipelines on tests/nlu/heldout.yml (+ k-fold CV); see docs/nlu.md."""

import sys
from pathlib import Path

if __name__ == "__main__":
    # Run as a file (`python scripts/eval_nlu.py`): make the repo importable.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from scripts.nlu_eval.cli import main

    sys.exit(main(sys.argv[1:]))
