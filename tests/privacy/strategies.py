"""Hypothesis strategies: 個人番号 and PINs written every way a keyboard (or a phone's IME) allows."""

from __future__ import annotations

import string

from hypothesis import strategies as st

# Digit systems residents' devices produce: ASCII, full-width, mathematical bold/monospace, Arabic-Indic, Devanagari.
_DIGIT_BASES = (ord("0"), 0xFF10, 0x1D7CE, 0x1D7F6, 0x0660, 0x0966)
# Separators between digit groups: the probe's and more (every hyphen, 、。, slashes, tildes, brackets, line breaks).
GROUP_SEPARATORS = (
    " ",
    "  ",
    "   ",
    "\u3000",
    "\u3000\u3000",
    "-",
    " - ",
    "－",
    "ー",
    "ｰ",
    "−",
    "‐",
    "‑",
    "–",
    "—",
    "―",
    "、",
    "。",
    "，",
    ",",
    ".",
    "．",
    "・",
    "/",
    " / ",
    "／",
    "~",
    "〜",
    "～",
    "\n",
    "\r\n",
    "\n\n",
    "_",
    ")",
    "）",
    "」「",
    "』『",
    "][",
    "】【",
)
# Text around the number: Japanese without digits (so that every digit left in the output would be a leak).
SURROUNDINGS = (
    "",
    "マイナンバーは",
    "私の個人番号は",
    "番号：",
    "これです\n",
    "よろしくお願いします。",
    "え、",
    "申請書には",
)
ENDINGS = ("", "です", "です。", "\n", "で合っていますか？", "と書きました", "！", "（念のため）")
PIN_WORDS = (
    "暗証番号",
    "暗唱番号",
    "暗証",
    "パスコード",
    "パスワード",
    "PW",
    "pw",
    "PIN",
    "Pin",
    "ピン",
    "署名用",
    "利用者証明用",
    "住民基本台帳用",
    "券面事項入力補助用",
    "4桁の方",
    "英数字のほう",
    "マイナンバーカードの暗証番号",
)
PIN_FRAMES = (
    "{word}は{pin}です",
    "{word}：{pin}",
    "{word} {pin}",
    "{pin}が{word}です",
    "{word}\n{pin}",
    "{word}、たしか{pin}だったと思う",
    "{word}を{pin}にしたい",
    "{word}は「{pin}」",
    "{word}はたぶん{pin}かな",
)
FOLLOW_UP_FRAMES = ("{pin}", "たしか{pin}だったと思う", "{pin}です", "えっと、{pin}かな", "たぶん\n{pin}\nです")
INVISIBLE = ("", "", "", "\u200b", "\u200d", "\ufeff")


@st.composite
def digit_string(draw: st.DrawFn, size: int) -> str:
    """``size`` random digits as ASCII (the value to look for in the output)."""
    return "".join(draw(st.lists(st.sampled_from(string.digits), min_size=size, max_size=size)))


@st.composite
def written(draw: st.DrawFn, value: str, max_groups: int) -> str:
    """``value`` as a resident might type it: any digit system, groups with separators, invisible characters."""
    base = draw(st.sampled_from(_DIGIT_BASES))
    chars = [chr(base + int(c)) if c.isdigit() else c for c in value]
    if draw(st.booleans()):
        chars = [c if not c.isascii() or not c.isalpha() else chr(ord(c) + 0xFEE0) for c in chars]  # full-width
    cuts = sorted(draw(st.sets(st.integers(1, len(chars) - 1), max_size=max_groups - 1))) if len(chars) > 1 else []
    out, last = [], 0
    for cut in cuts + [len(chars)]:
        if last:
            out.append(draw(st.sampled_from(GROUP_SEPARATORS)))
        out.append(draw(st.sampled_from(INVISIBLE)).join(chars[last:cut]))
        last = cut
    return "".join(out)


@st.composite
def individual_number_message(draw: st.DrawFn) -> tuple[str, str]:
    """(message, the 12 digits) with any check digit."""
    number = draw(digit_string(12))
    text = draw(written(number, max_groups=6))
    return draw(st.sampled_from(SURROUNDINGS)) + text + draw(st.sampled_from(ENDINGS)), number


@st.composite
def pin_value(draw: st.DrawFn) -> str:
    """A PIN: 4 digits (利用者証明用 and the others) or 6-16 letters and digits with both (署名用)."""
    if draw(st.booleans()):
        return draw(digit_string(4))
    size = draw(st.integers(6, 16))
    chars = draw(st.lists(st.sampled_from(string.ascii_letters + string.digits), min_size=size, max_size=size))
    chars[draw(st.integers(0, size - 1))] = draw(st.sampled_from(string.digits))
    letter_at = draw(st.integers(0, size - 1))
    while chars[letter_at].isdigit() and sum(c.isdigit() for c in chars) == 1:
        letter_at = (letter_at + 1) % size
    if not any(c.isalpha() for c in chars):
        chars[letter_at] = draw(st.sampled_from(string.ascii_letters))
    return "".join(chars)


@st.composite
def written_pin(draw: st.DrawFn, pin: str) -> str:
    """A PIN as typed: 4 digits may be spaced or broken across lines; a password is typed in one piece."""
    if pin.isdigit():
        return draw(written(pin, max_groups=4))
    return draw(written(pin, max_groups=1))


@st.composite
def pin_message(draw: st.DrawFn) -> tuple[str, str]:
    """(message naming a PIN word, the PIN)."""
    pin = draw(pin_value())
    frame = draw(st.sampled_from(PIN_FRAMES))
    text = frame.format(word=draw(st.sampled_from(PIN_WORDS)), pin=draw(written_pin(pin)))
    return draw(st.sampled_from(SURROUNDINGS[:1] + ("あの、", "質問です。"))) + text, pin


@st.composite
def follow_up_message(draw: st.DrawFn) -> tuple[str, str]:
    """(an answer to the bot's PIN question that names no PIN word, the PIN)."""
    pin = draw(pin_value())
    return draw(st.sampled_from(FOLLOW_UP_FRAMES)).format(pin=draw(written_pin(pin))), pin
