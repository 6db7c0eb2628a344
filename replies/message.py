"""One bot message: text plus optional buttons, in the shape rasa-sdk's dispatcher takes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List


@dataclass(frozen=True)
class Button:
    """A quick choice the resident can tap."""

    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """A message the bot sends."""

    text: str
    buttons: List[Button] = field(default_factory=list)

    def as_kwargs(self) -> Dict[str, Any]:
        """Arguments for ``CollectingDispatcher.utter_message``."""
        kwargs: Dict[str, Any] = {"text": self.text}
        if self.buttons:
            kwargs["buttons"] = [{"title": b.title, "payload": b.payload} for b in self.buttons]
        return kwargs
