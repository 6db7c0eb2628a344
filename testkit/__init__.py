"""Test support shared by both services' suites (Rasa venv and gateway venv): stdlib, pytest, redis-py, launch."""
