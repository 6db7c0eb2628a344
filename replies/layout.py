"""The phone-sized layout of a first answer: up to three bubbles, each within its limit, nothing must-know hidden.

A bubble is a list of parts. A part that must be read is never dropped: when the first bubble (what to bring) is too
long, its movable parts (the second visit's documents, the applicant's notes) move to the top of the last bubble;
only optional parts (a kiosk or at-home route) are dropped to fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from kb.models import Source

Bubbles = List[List["Part"]]
# The longest bubble residents read, in characters (a phone screen): first answers, direct answers and the pieces
# the action server splits a longer text into.
BUBBLE_CHARS = 350
# The characters one bot turn may use unless the deployment says otherwise (actions.settings.max_turn_chars).
TURN_CHARS = 1000


@dataclass(frozen=True)
class Part:
    """Lines of one bubble, with what the layout may do with them."""

    lines: Tuple[str, ...]
    optional: bool = False  # may be dropped to fit
    movable: bool = False  # may move to a neighbouring bubble (first → last, last → middle)
    sources: Tuple[Source, ...] = ()  # the pages this part quotes (cited only if the part is kept)

    @property
    def text(self) -> str:
        """The part's lines, one per line."""
        return "\n".join(self.lines)


def part(
    *lines: Optional[str], optional: bool = False, movable: bool = False, sources: Tuple[Source, ...] = ()
) -> Part:
    """A part of the given lines (empty ones left out)."""
    return Part(tuple(line for line in lines if line), optional=optional, movable=movable, sources=sources)


def bubble_text(parts: Sequence[Part]) -> str:
    """The bubble as the resident reads it."""
    return "\n".join(p.text for p in parts if p.lines)


def _move_overflow(bubbles: Bubbles, limit: int) -> Bubbles:
    """Move the first bubble's trailing movable parts to the top of the last bubble until it fits.

    When the last bubble is then too long, its own leading movable parts (the page's notes) go to the end of the
    middle bubble as far as that one has room.
    """
    first, middle, last = list(bubbles[0]), list(bubbles[1]), list(bubbles[-1])
    moved: List[Part] = []
    while len(bubble_text(first)) > limit and any(p.movable for p in first):
        index = max(i for i, p in enumerate(first) if p.movable)
        moved.insert(0, first.pop(index))
    while _fits_middle(middle, moved, last, limit):
        middle.append(last.pop(0))
    return [first, middle, moved + last]


def _fits_middle(middle: List[Part], moved: List[Part], last: List[Part], limit: int) -> bool:
    """True when the last bubble is too long and its own first part is movable and fits the middle one."""
    if not (middle and last and last[0].movable):
        return False
    return len(bubble_text(moved + last)) > limit and len(bubble_text([*middle, last[0]])) <= limit


def _over(bubbles: Bubbles, bubble_limit: int, turn_limit: int) -> List[int]:
    """Indexes of the bubbles to shrink: the too long ones, or all when only the turn is too long."""
    long = [i for i, bubble in enumerate(bubbles) if len(bubble_text(bubble)) > bubble_limit]
    if long:
        return long
    return list(range(len(bubbles))) if sum(len(bubble_text(bubble)) for bubble in bubbles) > turn_limit else []


def _drop_once(bubbles: Bubbles, targets: List[int]) -> bool:
    """Drop the last optional part of the last target bubble; False when none is left."""
    for index in reversed(targets):
        bubble = bubbles[index]
        optional = [i for i, p in enumerate(bubble) if p.optional]
        if optional:
            del bubble[optional[-1]]
            return True
    return False


def fit(bubbles: Bubbles, bubble_limit: int, turn_limit: int) -> Bubbles:
    """The bubbles within the limits as far as optional parts allow (must-read parts are never dropped)."""
    laid = [list(bubble) for bubble in _move_overflow(bubbles, bubble_limit)]
    while (targets := _over(laid, bubble_limit, turn_limit)) and _drop_once(laid, targets):
        pass
    return laid


def kept_sources(bubbles: Bubbles) -> List[Source]:
    """The pages quoted by the parts that were kept, in order."""
    return [source for bubble in bubbles for p in bubble for source in p.sources]


def texts(bubbles: Bubbles) -> List[str]:
    """The non-empty bubbles' texts."""
    return [text for text in (bubble_text(bubble) for bubble in bubbles) if text]


def pack(blocks: List[str], joint: str = "\n\n") -> List[str]:
    """Blocks joined by ``joint`` into as few bubbles of at most ``BUBBLE_CHARS`` characters as their order allows."""
    bubbles: List[str] = []
    for block in blocks:
        if bubbles and len(f"{bubbles[-1]}{joint}{block}") <= BUBBLE_CHARS:
            bubbles[-1] += f"{joint}{block}"
        else:
            bubbles.append(block)
    return bubbles
