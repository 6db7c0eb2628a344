#!/usr/bin/env python
"""

import sys

from scripts.nlu_eval.bench import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
