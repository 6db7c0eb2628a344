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
    # issue 20: colon, middle dots, semicolon, arrows, Unicode line and paragraph separators, tab, symbols
    ":",
    "：",
    "·",
    ";",
    "→",
    " → ",
    "⇒",
    "➡",
    "\u2028",
    "\u2029",
    "\t",
    "*",
    "#",
    "+",
    "=",
    "|",
    "\\",
    "…",
    "'",
    '"',
)
# Without a PIN word a clock time (12:34) or a date (12/28) is kept on purpose (rule 4b): messages that must be
# redacted without a PIN word do not use these exact separators.
CLOCK_AND_DATE_SEPARATORS = (":", "：", "/", "／")
SEPARATORS_WITHOUT_PIN_WORD = tuple(s for s in GROUP_SEPARATORS if s not in CLOCK_AND_DATE_SEPARATORS)
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
def written(
    draw: st.DrawFn, value: str, max_groups: int, separators: tuple[str, ...] = SEPARATORS_WITHOUT_PIN_WORD
) -> str:
    """``value`` as a resident might type it: any digit system, groups with separators, invisible characters."""
    base = draw(st.sampled_from(_DIGIT_BASES))
    chars = [chr(base + int(c)) if c.isdigit() else c for c in value]
    if draw(st.booleans()):
        chars = [c if not c.isascii() or not c.isalpha() else chr(ord(c) + 0xFEE0) for c in chars]  # full-width
    cuts = sorted(draw(st.sets(st.integers(1, len(chars) - 1), max_size=max_groups - 1))) if len(chars) > 1 else []
    out, last = [], 0
    for cut in cuts + [len(chars)]:
        if last:
            out.append(draw(st.sampled_from(separators)))
        out.append(draw(st.sampled_from(INVISIBLE)).join(chars[last:cut]))
        last = cut
    return "".join(out)


@st.composite
def individual_number_message(draw: st.DrawFn) -> tuple[str, str]:
    """(message, the 12 digits) with any check digit."""
    number = draw(digit_string(12))
    text = draw(written(number, max_groups=6, separators=GROUP_SEPARATORS))
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
def written_pin(draw: st.DrawFn, pin: str, separators: tuple[str, ...] = SEPARATORS_WITHOUT_PIN_WORD) -> str:
    """A PIN as typed: 4 digits may be spaced or broken across lines; a password is typed in one piece."""
    if pin.isdigit():
        return draw(written(pin, max_groups=4, separators=separators))
    return draw(written(pin, max_groups=1))


@st.composite
def pin_message(draw: st.DrawFn) -> tuple[str, str]:
    """(message naming a PIN word, the PIN)."""
    pin = draw(pin_value())
    frame = draw(st.sampled_from(PIN_FRAMES))
    text = frame.format(word=draw(st.sampled_from(PIN_WORDS)), pin=draw(written_pin(pin, GROUP_SEPARATORS)))
    return draw(st.sampled_from(SURROUNDINGS[:1] + ("あの、", "質問です。"))) + text, pin


@st.composite
def follow_up_message(draw: st.DrawFn) -> tuple[str, str]:
    """(a message that names no PIN word, e.g. an answer to the bot's PIN question, the PIN)."""
    pin = draw(pin_value())
    return draw(st.sampled_from(FOLLOW_UP_FRAMES)).format(pin=draw(written_pin(pin))), pin


# ---- issue 20: digits in disguise, with or without a PIN word, inside ordinary words ----

KEYCAP = "\ufe0f\u20e3"  # 1️⃣ is 1 U+FE0F U+20E3
COMBINING_MARKS = ("\u0301", "\u0308", "\u0332", "\u20dd", "\u3099", "\ufe0f")
ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e")
KANJI_NUMERALS = "〇一二三四五六七八九"
CIRCLE_ZEROS = ("○", "◯", "⭕", "〇", "零")
# Words around the number: no digit, no kanji numeral, no unit right after the number, no PIN word.
PREFIXES = (
    "",
    "えっと、",
    "あの ",
    "ロックされた。",
    "たしか",
    "試したのは",
    "Hello ",
    "念のため\n",
    "これ→",
    "「",
    "so it was ",
)
SUFFIXES = (
    "",
    "です",
    "だったと思う",
    "を試した",
    " thanks",
    "かな？",
    "\nよろしく",
    "と入れました",
    "…",
    "」",
    " right?",
)
DIGIT_FORMS = ("ascii", "full", "system", "keycap", "kanji", "mark", "circle")


@st.composite
def disguised_digit(draw: st.DrawFn, digit: str, may_be_circle: bool) -> str:
    """One digit in any of the forms of issue 20 (a circle only for 0, and never for every digit of a number)."""
    form = draw(st.sampled_from(DIGIT_FORMS if may_be_circle and digit == "0" else DIGIT_FORMS[:-1]))
    if form == "full":
        return chr(0xFF10 + int(digit))
    if form == "system":
        return chr(draw(st.sampled_from(_DIGIT_BASES)) + int(digit))
    if form == "keycap":
        return digit + KEYCAP
    if form == "kanji":
        return KANJI_NUMERALS[int(digit)]
    if form == "mark":
        return digit + draw(st.sampled_from(COMBINING_MARKS))
    if form == "circle":
        return draw(st.sampled_from(CIRCLE_ZEROS))
    return digit


@st.composite
def disguised(draw: st.DrawFn, value: str, separators: tuple[str, ...]) -> str:
    """``value`` with every digit disguised, random separators between random groups and zero-width characters."""
    out = []
    for index, digit in enumerate(value):
        if index:
            gap = draw(st.sampled_from(("", "", "sep", "zw")))
            if gap == "sep":
                out.append(draw(st.sampled_from(separators)))
            elif gap == "zw":
                out.append(draw(st.sampled_from(ZERO_WIDTH)))
        out.append(draw(disguised_digit(digit, may_be_circle=index > 0)))
    return "".join(out)


@st.composite
def disguised_message(draw: st.DrawFn, sizes: tuple[int, ...]) -> tuple[str, str]:
    """(a message holding a number of one of ``sizes`` digits in disguise, with or without a PIN word, its digits)."""
    value = draw(digit_string(draw(st.sampled_from(sizes))))
    with_word = draw(st.booleans())
    separators = GROUP_SEPARATORS if with_word else SEPARATORS_WITHOUT_PIN_WORD
    prefix = draw(st.sampled_from(PREFIXES))
    if with_word:
        prefix = draw(st.sampled_from([w for w in PIN_WORDS if not any(c.isdigit() for c in w)])) + "は" + prefix
    return prefix + draw(disguised(value, separators)) + draw(st.sampled_from(SUFFIXES)), value
