"""replies.layout: three bubbles within their limits, what must be read never dropped."""

from __future__ import annotations

from replies.layout import Part, bubble_text, fit, part, texts


def line(n: int, mark: str = "x") -> str:
    return mark * n


def test_a_long_first_bubble_moves_its_movable_parts_to_the_last() -> None:
    bring = [part(line(200, "a")), part(line(100, "b"), movable=True), part(line(100, "c"), movable=True)]
    laid = fit([bring, [part(line(50, "w"))], [part(line(50, "f"))]], bubble_limit=350, turn_limit=1000)
    assert texts(laid) == [f"{line(200, 'a')}\n{line(100, 'b')}", line(50, "w"), f"{line(100, 'c')}\n{line(50, 'f')}"]


def test_a_long_last_bubble_moves_its_leading_notes_to_the_middle_when_they_fit() -> None:
    notes = [part(line(100, "k"), movable=True), part(line(200, "s")), part(line(100, "f"))]
    laid = fit([[part("bring")], [part(line(100, "w"))], notes], bubble_limit=350, turn_limit=1000)
    assert texts(laid) == ["bring", f"{line(100, 'w')}\n{line(100, 'k')}", f"{line(200, 's')}\n{line(100, 'f')}"]


def test_optional_parts_are_dropped_last_first_and_must_parts_never() -> None:
    notes = [part(line(200, "m")), part(line(100, "o"), optional=True), part(line(100, "p"), optional=True)]
    laid = fit([[part("bring")], [part("where")], notes], bubble_limit=350, turn_limit=1000)
    assert texts(laid)[-1] == f"{line(200, 'm')}\n{line(100, 'o')}"
    too_long = [part(line(400, "m")), part(line(10, "o"), optional=True)]
    assert texts(fit([[part("b")], [part("w")], too_long], 350, 1000))[-1] == line(400, "m")


def test_the_turn_limit_drops_optional_parts_in_any_bubble() -> None:
    bubbles = [[part(line(300, "a"))], [part(line(300, "b"))], [part(line(300, "c")), part(line(40), optional=True)]]
    assert sum(len(t) for t in texts(fit(bubbles, 350, 941))) == 941
    assert sum(len(t) for t in texts(fit(bubbles, 350, 940))) == 900


def test_empty_bubbles_are_left_out_and_empty_lines_are_skipped() -> None:
    assert texts(fit([[part("a", None, "")], [], [part("z")]], 350, 1000)) == ["a", "z"]
    assert bubble_text([Part(()), part("x")]) == "x"
