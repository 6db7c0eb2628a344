"""``python -m scripts.loadtest``: see scripts/loadtest/cli.py and docs/loadtest.md."""

import sys

from scripts.loadtest.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
