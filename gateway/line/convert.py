"""Rasa messages → LINE messages within the Messaging API's limits (a postback's data is its payload or its key).

The main choices (rich menu areas, the greeting's quick replies) are the catalogue's starters (replies/catalogue.yml)
with LINE's shorter labels.
"""

from __future__ import annotations

from linebot.v3.messaging import PostbackAction, QuickReply, QuickReplyItem, TextMessage

from gateway.rasa import BotButton, BotMessage
from privacy.commands import PAYLOAD_KEY_PREFIX, payload_key
from replies.catalogue import catalogue

MAX_MESSAGES = 5
MAX_TEXT = 5000
MAX_QUICK_REPLY_ITEMS = 13
MAX_LABEL = 20
MAX_DATA = 300
MAX_DISPLAY_TEXT = 300
_MORE_CHOICES = "（ほかのご用件は文字で入力してください）"
_ELLIPSIS = "…"
_OMITTED = "\n…（長いため一部を省略しました）"


def main_choices() -> tuple[BotButton, ...]:
    """The starters as LINE buttons (Rasa intent payloads of CONTRACT §3), at most 20 characters each."""
    return tuple(BotButton(title=choice.line_title, payload=choice.payload) for choice in catalogue().starters)


def utf16_len(text: str) -> int:
    """Length as LINE counts it (UTF-16 code units: an emoji outside the BMP counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def truncate(text: str, limit: int, marker: str = _ELLIPSIS) -> str:
    """Cut ``text`` to at most ``limit`` UTF-16 units, ending with ``marker`` when something was cut."""
    if utf16_len(text) <= limit:
        return text
    # A cut through a surrogate pair leaves half an emoji, which the decoder drops.
    units = text.encode("utf-16-le")[: 2 * max(0, limit - utf16_len(marker))]
    return units.decode("utf-16-le", "ignore") + marker


def postback_data(payload: str) -> str:
    """The payload itself when it fits LINE's 300-character postback limit, else its key (Rasa's channel maps it back)."""
    if utf16_len(payload) <= MAX_DATA and not payload.startswith(PAYLOAD_KEY_PREFIX):
        return payload
    return payload_key(payload)


def _split(text: str) -> list[str]:
    """Pieces of at most MAX_TEXT units, cut at line breaks where possible."""
    pieces: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while utf16_len(current + line) > MAX_TEXT:
            if current:
                pieces.append(current)
                current = ""
            else:  # a line longer than a whole bubble: cut it
                head = truncate(line, MAX_TEXT, marker="")
                pieces.append(head)
                line = line[len(head) :]
        current += line
    pieces.append(current)
    return [p.strip("\n") for p in pieces if p.strip()]


def _pack(pieces: list[str]) -> list[str]:
    """Merge neighbouring pieces so at most MAX_MESSAGES bubbles remain; what still does not fit is cut."""
    if len(pieces) <= MAX_MESSAGES:
        return pieces
    bubbles: list[str] = []
    for piece in pieces:
        if bubbles and utf16_len(bubbles[-1] + "\n\n" + piece) <= MAX_TEXT:
            bubbles[-1] += "\n\n" + piece
        else:
            bubbles.append(piece)
    if len(bubbles) > MAX_MESSAGES:
        rest = "\n\n".join(bubbles[MAX_MESSAGES - 1 :])
        bubbles = bubbles[: MAX_MESSAGES - 1] + [truncate(rest, MAX_TEXT, marker=_OMITTED)]
    return bubbles


def choices_for(buttons: list[BotButton]) -> tuple[list[QuickReplyItem], bool]:
    """Quick-reply postbacks for the buttons (deduplicated, at most 13) and whether any had to be left out."""
    first: dict[str, BotButton] = {}
    for button in buttons:
        first.setdefault(button.payload, button)
    unique = list(first.values())
    choices = [
        QuickReplyItem(
            action=PostbackAction(
                label=truncate(b.title.strip() or b.payload, MAX_LABEL),
                data=postback_data(b.payload),
                displayText=truncate(b.title.strip() or b.payload, MAX_DISPLAY_TEXT),
            )
        )
        for b in unique[:MAX_QUICK_REPLY_ITEMS]
    ]
    return choices, len(unique) > MAX_QUICK_REPLY_ITEMS


def to_line(messages: list[BotMessage]) -> list[TextMessage]:
    """One turn's bot messages as at most five LINE texts, all buttons as the last one's quick reply."""
    pieces = [piece for m in messages for piece in _split(m.text)]
    choices, dropped = choices_for([b for m in messages for b in m.buttons])
    if dropped:
        if pieces and utf16_len(pieces[-1] + "\n" + _MORE_CHOICES) <= MAX_TEXT:
            pieces[-1] += "\n" + _MORE_CHOICES
        else:
            pieces.append(_MORE_CHOICES)
    if not pieces:
        return []
    *rest, last = _pack(pieces)
    quick_reply = QuickReply(items=choices) if choices else None
    return [TextMessage(text=b, quickReply=None) for b in rest] + [TextMessage(text=last, quickReply=quick_reply)]
