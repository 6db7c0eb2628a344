"""``make line-richmenu``: create the LINE rich menu; see gateway/line/richmenu.py (run with the gateway venv)."""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a plain script from the Makefile: make the repository importable without relying on PYTHONPATH.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.line.richmenu import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
