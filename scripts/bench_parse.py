#!/usr/bin/env python
"""Parse-latency and memory benchmark of a trained model against the issue-3 targets.

Loads the model with rasa.core.agent (or talks to a running server with
--url), parses every held-out utterance --rounds times, then the bad inputs,
and compares with the sklearn baseline trained and timed in the same run.
Exits 1 if a target is missed. Run as a module: python -m scripts.bench_parse.
"""

import sys

from scripts.nlu_eval.bench import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
