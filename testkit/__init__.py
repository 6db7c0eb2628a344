"""Test support shared by both services' suites (Rasa venv and gateway venv): stdlib and pytest only."""
