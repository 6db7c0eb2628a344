"""Rasa tracker stores of the project (named by `tracker_store.type` in endpoints.yml)."""
