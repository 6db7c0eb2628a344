"""One bot message: text plus optional buttons, in the shape rasa-sdk's dispatcher takes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional


@dataclass(frozen=True)
class Button:
    """A quick choice the resident can tap."""

    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """A message the bot sends."""

    text: Optional[str] = None
    buttons: List[Button] = field(default_factory=list)
    response: Optional[str] = None  # a domain response to send instead of text

    def as_kwargs(self) -> Dict[str, Any]:
        """Arguments for ``CollectingDispatcher.utter_message``."""
        if self.response:
            return {"response": self.response}
        kwargs: Dict[str, Any] = {"text": self.text}
        if self.buttons:
            kwargs["buttons"] = [{"title": b.title, "payload": b.payload} for b in self.buttons]
        return kwargs
