"""The hardest inputs for ``privacy.redact`` we can build, the ordinary messages to compare them with, and a timer.

Run it to print the figures of issue 20 (worst case against an ordinary message of the same length)::

    PYTHONPATH=. .venv/bin/python -m tests.privacy.worst_case [length ...]
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

from privacy.redact import INDIVIDUAL_NUMBER_PLACEHOLDER, PIN_PLACEHOLDER, redact

# Separators and other characters the rule treats specially, one of each kind.
SPECIAL = (
    " ",
    "\u3000",
    "\n",
    "\u2028",
    "\t",
    "-",
    "ー",
    "−",
    "、",
    "。",
    "・",
    "·",
    "/",
    "／",
    "~",
    "〜",
    ".",
    ",",
    ":",
    "：",
    ";",
    "→",
    "(",
    "「",
    "'",
    '"',
    "*",
    "#",
    "+",
    "=",
    "|",
    "_",
    "\u200b",
    "\ufe0f\u20e3",
    "\u0301",
    "○",
    "O",
    "〇",
    "一",
    "a",
    "［",
)

# What residents write (the seeds' questions, with the numbers the rule must judge), to fill a message of any length.
ORDINARY = (
    "マイナンバーカードの暗証番号を3回間違えてロックされました。",
    "三鷹市役所の窓口は何時から開いていますか？17:30に行っても間に合いますか。",
    "12/28は開いていますか。2025年3月に引っ越しました。",
    "署名用電子証明書のパスワードは英数字6〜16文字でしたよね。",
    "本人が入院中なので代理人が行ってもいいですか？委任状は必要ですか。",
    "コンビニで暗証番号の再設定はできますか、それとも窓口ですか。",
)


def ordinary_message(length: int, shift: int = 0) -> str:
    """An ordinary message of exactly ``length`` characters (the sentences above, from ``shift`` on, repeated)."""
    text = ""
    i = shift
    while len(text) < length:
        text += ORDINARY[i % len(ORDINARY)]
        i += 1
    return text[:length]


def worst_inputs(length: int) -> dict[str, str]:
    """Named inputs of ``length`` characters built to be slow: long runs, many short runs, long tokens, marks."""
    n = length
    cases = {
        "issue example a + spaces + bc": "a" + " " * (n - 3) + "bc",
        "issue example with ideographic spaces": "a" + "\u3000" * (n - 3) + "bc",
        "digits only": "1" * n,
        "full-width digits": "１" * n,
        "kanji numerals only": "一" * n,
        "circles only": "○" * n,
        "placeholders": (PIN_PLACEHOLDER + "1" + INDIVIDUAL_NUMBER_PLACEHOLDER) * n,
        "unmatched brackets": "［" * n,
        "many 4-digit counts": "1234回 " * n,
        "many clock times": "12:30〜" * n,
        "many dates": "12/28、" * n,
        "many mixed tokens": "ab12 " * n,
        "mixed tokens of 16": "abcdefgh12345678 " * n,
        "one long alphanumeric": "a1" * n,
        "PIN words and digits": "暗証番号1:2" * n,
        "marks after one digit": "1" + "\u0301" * (n - 1),
        "keycaps": "1\ufe0f\u20e3" * n,
        "zero-width between digits": "1\u200b" * n,
        "letter O between digits": "1 O " * n,
        "composing half-width kana": "ﾊﾟ1" * n,
    }
    for sep in SPECIAL:
        cases[f"run of {sep!r}"] = sep * n
        cases[f"digit, {sep!r}s, digit"] = "1" + sep * (n - 2) + "1"
        cases[f"digit and {sep!r} alternating"] = ("1" + sep) * n
        cases[f"two digits and {sep!r}"] = ("12" + sep) * n
    return {name: text[:n] for name, text in cases.items()}


def best_time(function: Callable[[str], object], text: str, repeats: int = 7) -> float:
    """The fastest of ``repeats`` calls, in seconds: the least disturbed by other processes on a loaded machine."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function(text)
        best = min(best, time.perf_counter() - start)
    return best


def ordinary_time(function: Callable[[str], object], length: int) -> float:
    """The median of ``best_time`` over ordinary messages of ``length`` characters."""
    return statistics.median(best_time(function, ordinary_message(length, shift)) for shift in range(len(ORDINARY)))


def main(lengths: list[int]) -> None:
    """Print the worst input and its time next to an ordinary message of the same length."""
    for length in lengths:
        times = {name: best_time(redact, text) for name, text in worst_inputs(length).items()}
        worst = max(times, key=times.__getitem__)
        ordinary = ordinary_time(redact, length)
        print(
            f"{length} chars: worst {times[worst] * 1000:.3f} ms ({worst}), "
            f"ordinary {ordinary * 1000:.3f} ms, ratio {times[worst] / ordinary:.1f}"
        )


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [500, 700])
