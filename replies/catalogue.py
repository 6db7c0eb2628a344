"""The catalogue of what residents read and tap (`replies/catalogue.yml`): menu, apologies, topics, feedback.

Needs only the standard library and PyYAML, so the gateway's virtualenv reads it too; read on first use.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

from kb.yamlio import read_yaml

CATALOGUE_PATH = Path(__file__).resolve().parent / "catalogue.yml"


@dataclass(frozen=True)
class Choice:
    """One main-menu button; `starter` ones are also LINE's rich menu and quick replies and the widget's starters."""

    title: str
    payload: str
    starter: bool = False
    short: Optional[str] = None  # the LINE label, when shorter than `title`

    @property
    def line_title(self) -> str:
        """The label LINE shows."""
        return self.short or self.title


@dataclass(frozen=True)
class Feedback:
    """The rating buttons under an answer, 👎's reasons and the thanks, by the ids the payloads carry."""

    ratings: Mapping[str, str]
    reasons: Mapping[str, str]
    thanks: str
    ask_reason: str
    thanks_reason: str


@dataclass(frozen=True)
class Catalogue:
    """The parsed catalogue."""

    menu: tuple[Choice, ...]
    apology: Mapping[str, str]
    topics: Mapping[str, str]
    feedback: Feedback

    @property
    def starters(self) -> tuple[Choice, ...]:
        """The choices LINE and the widget offer before the first message."""
        return tuple(choice for choice in self.menu if choice.starter)

    def menu_buttons(self) -> list[dict[str, str]]:
        """The main menu as Rasa buttons (domain.yml's `*main_choices`)."""
        return [{"title": choice.title, "payload": choice.payload} for choice in self.menu]


def parse(data: Any) -> Catalogue:
    """A Catalogue from the file's parsed YAML."""
    return Catalogue(
        menu=tuple(Choice(**item) for item in data["menu"]),
        apology=dict(data["apology"]),
        topics=dict(data["topics"]),
        feedback=Feedback(**data["feedback"]),
    )


@functools.lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The project's catalogue, read once."""
    return parse(read_yaml(CATALOGUE_PATH))


def apology(key: str) -> str:
    """One apology of the catalogue (`unavailable`, `generic_contact`, `not_understood`, ...)."""
    return catalogue().apology[key]
