"""Command-line helpers, run from the repo root as modules (`python -m scripts.<name>`; the Makefile sets PYTHONPATH)."""
