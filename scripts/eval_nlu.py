"""Compare NLU pipelines on tests/nlu/heldout.yml (+ k-fold CV); see docs/nlu.md.

Run from the repo root as a module: `python -m scripts.eval_nlu` (`make eval-nlu`).
"""

import sys

from scripts.nlu_eval.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
