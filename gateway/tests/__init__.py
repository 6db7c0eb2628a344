"""Tests of the gateway (run with the gateway venv)."""
