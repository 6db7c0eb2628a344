"""The polite reply a resident gets whenever the assistant cannot answer: the same wording as Rasa's side."""

from __future__ import annotations

from kb.directory import MunicipalityDirectory
from replies.contact import fallback_message


def fallback_text(directory: MunicipalityDirectory, municipality_id: str | None) -> str:
    """Apologise and give the city's contact (replies.contact), or every city's when the city is unknown."""
    return fallback_message(municipality_id, directory)
