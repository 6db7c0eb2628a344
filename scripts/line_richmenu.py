"""``make line-richmenu``: create the LINE rich menu; see gateway/line/richmenu.py (run with the gateway venv).

Run from the repo root as a module: `.venv-gateway/bin/python -m scripts.line_richmenu`.
"""

from __future__ import annotations

import sys

from gateway.line.richmenu import main

if __name__ == "__main__":
    sys.exit(main())
