"""Issue 20: the context-free rule. PINs without a PIN word, a 個人番号 in two halves, digits in disguise, idempotence,
and nothing normalised outside what is replaced (a typed command stays neutral through every redaction pass)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.textguard import guard_typed_text
from jptext import nfkc
from privacy.redact import INDIVIDUAL_NUMBER_PLACEHOLDER, PIN_PLACEHOLDER, redact, redact_individual_numbers
from tests.privacy.strategies import (
    PREFIXES,
    SEPARATORS_WITHOUT_PIN_WORD,
    SUFFIXES,
    digit_string,
    disguised,
    disguised_message,
    follow_up_message,
    individual_number_message,
    pin_message,
)

NUM = INDIVIDUAL_NUMBER_PLACEHOLDER
PIN = PIN_PLACEHOLDER
PROPERTY = settings(max_examples=400, deadline=None, derandomize=True, database=None)
_AS_DIGIT = str.maketrans(
    {**{k: str(i) for i, k in enumerate("〇一二三四五六七八九")}, "零": "0", "○": "0", "◯": "0", "⭕": "0"}
)


def all_digits(text: str) -> str:
    """Every digit left in a text, kanji numerals and circles as digits too, in order."""
    return re.sub(r"\D", "", nfkc(text).translate(_AS_DIGIT))


def assert_gone(message: str, value: str, placeholder: str) -> None:
    result = redact(message)
    assert placeholder in result.text, (message, result.text)
    assert value not in all_digits(result.text), (message, result.text)


# ---- what used to be stored raw ----


@pytest.mark.parametrize(
    "message, secrets",
    [
        ("ロックされた。1234と5678を試した", ["1234", "5678"]),
        ("ロックされちゃった、0000も1111もだめでした", ["0000", "1111"]),
        ("4917", ["4917"]),
        ("たしか4917", ["4917"]),
        ("0861です", ["0861"]),
        ("えっと 2 5 8 0 かな", ["2580"]),
        ("Abc12345", ["Abc12345"]),
        ("たぶんpass1234だったような", ["pass1234"]),
        ("abcd1234で合ってますか", ["abcd1234"]),
    ],
    ids=["lock_two_tried", "lock_zeros", "bare", "hedge", "desu", "spaced", "password", "password_word", "question"],
)
def test_pins_without_a_pin_word_are_redacted(message: str, secrets: list[str]) -> None:
    result = redact(message)
    assert result.found == frozenset({"pin"}), result.text
    for secret in secrets:
        assert secret not in result.text and (not secret.isdigit() or secret not in all_digits(result.text))


@pytest.mark.parametrize(
    "first, second",
    [
        ("マイナンバーの前半は123456です", "後半は789018です"),
        ("最初の6桁 123 456 まで送ります", "残りは 7890 18 です"),
        ("１２３４５６って書いてある", "続き７８９０１８"),
    ],
)
def test_an_individual_number_in_two_messages_is_redacted_half_by_half(first: str, second: str) -> None:
    for half, message in (("123456", first), ("789018", second)):
        result = redact(message)
        assert PIN in result.text and half not in all_digits(result.text), result.text


@pytest.mark.parametrize(
    "message, value",
    [
        ("1:2:3:4", "1234"),
        ("1·2·3·4", "1234"),
        ("1;2;3;4", "1234"),
        ("1→2→3→4", "1234"),
        ("1 ⇒ 2 ⇒ 3 ⇒ 4", "1234"),
        ("1\u20282\u20283\u20284", "1234"),
        ("1\u20292\u20293\u20294", "1234"),
        ("1\t2\t3\t4", "1234"),
        ("1️⃣2️⃣3️⃣4️⃣", "1234"),
        ("1\u200b2\u200c3\u200d4", "1234"),
        ("1\u03012\u03083\u03324", "1234"),
        ("一2三4", "1234"),
        ("一、二、三、四", "1234"),
        ("一・二・三・四", "1234"),
        ("１〇２〇", "1020"),
        ("1○2○", "1020"),
        ("1◯2◯", "1020"),
        ("1⭕2⭕", "1020"),
        ("1 O 2 O", "1020"),
        ("○○1○", "0010"),
        ("⑫⑬", "1213"),
        ("１2３4", "1234"),
        ("１２３４５６７８９０１８", "123456789018"),
        ("1234:5678:9018", "123456789018"),
        ("一二三四五六七八九〇一八", "123456789018"),
        ("1️⃣2️⃣3️⃣4️⃣5️⃣6️⃣7️⃣8️⃣9️⃣0️⃣1️⃣8️⃣", "123456789018"),
    ],
)
def test_disguised_digits_are_redacted(message: str, value: str) -> None:
    assert_gone(message, value, NUM if len(value) >= 12 else PIN)


@PROPERTY
@given(disguised_message(sizes=(12,)))
def test_generated_individual_numbers_in_disguise_never_survive(case: tuple[str, str]) -> None:
    message, value = case
    assert_gone(message, value, NUM)


@PROPERTY
@given(disguised_message(sizes=(4, 5, 6, 7, 8)))
def test_generated_pins_in_disguise_never_survive(case: tuple[str, str]) -> None:
    message, value = case
    assert_gone(message, value, PIN)


@PROPERTY
@given(digit_string(12), st.data())
def test_generated_individual_numbers_in_two_halves_never_survive(number: str, data: st.DataObject) -> None:
    for half in (number[:6], number[6:]):
        words = data.draw(st.sampled_from(PREFIXES)), data.draw(st.sampled_from(SUFFIXES))
        message = words[0] + data.draw(disguised(half, SEPARATORS_WITHOUT_PIN_WORD)) + words[1]
        assert_gone(message, half, PIN)


# ---- what must stay readable ----


@pytest.mark.parametrize(
    "text",
    [
        "17:30に行っても間に合いますか",
        "12/28は開いていますか",
        "2025/12/28は開いていますか",
        "9:00〜17:00の間に行けばいいですか",
        "12/28 17:30に予約しました",
        "3回間違えた",
        "4桁の暗証番号",
        "2025年3月",
        "8時30分から",
        "一丁目",
        "一度ロックされた",
        "三鷹市",
        "○○市に住んでいます",
        "ORDER",
        # Dates as residents also write them (red-team, a tester who never read this code).
        "2025.4.1から受付開始ですか",
        "2025-04-01から変わりますか",
        # Next to a PIN word, a clock time or a date followed by a time word is still one.
        "暗証番号のリセットは17:00までですか",
        "暗証番号を忘れました。窓口は17:30までですか？",
        "暗証番号の再設定は12/28以降もできますか",
        # PIN words inside other words are not PIN words.
        "Is it open at 17:30 for my passport?",
        "パスポートは12/28に使えますか",
        "Loading model pinbot.tar.gz at 00:16",
    ],
)
def test_times_dates_and_counts_without_a_pin_word_are_kept(text: str) -> None:
    result = redact(text)
    assert result.text == text and not result.changed


@pytest.mark.parametrize(
    "text, expected",
    [
        ("暗証番号は17:30", f"暗証番号は{PIN}"),
        ("暗証番号、12/28にした", f"暗証番号、{PIN}にした"),
        ("パスワードは2025/12/28", f"パスワードは{PIN}"),
        # Not a clock time or a date: a PIN even without a PIN word.
        ("13:60", PIN),
        ("12:345", PIN),
        ("1:2:34", PIN),
        ("13/28", PIN),
        ("02/30", PIN),
        ("12.28", PIN),
        ("12/28/2025", PIN),
        ("3100/1/1", PIN),
        ("1234-5678", PIN),
        ("2025-13-01", PIN),
        ("暗証番号は12:34です", f"暗証番号は{PIN}です"),
        ("暗証番号は2025-12-25", f"暗証番号は{PIN}"),
    ],
)
def test_clock_times_and_dates_are_pins_next_to_a_pin_word_or_when_not_exact(text: str, expected: str) -> None:
    assert redact(text).text == expected


@pytest.mark.parametrize(
    "message, value",
    [
        # Misses found by the red-team set (/tmp/redteam, written without reading this code).
        ("暗証番号😀1😀2😀3😀4", "1234"),
        ("暗証番号1🙏2🙏3🙏4", "1234"),
        ("暗証番号は1✨9✨8✨4", "1984"),
        ("暗証番号は○○○○にしてた", "○○○○"),
        ("暗証番号は◯◯◯◯", "◯◯◯◯"),
        ("署名用パスワードは A B C 1 2 3 です", "ABC123"),
        ("署名用パスワードはabc-12345", "abc12345"),
        ("パスワードはAbc-1234-xyz", "Abc1234xyz"),
        ("署名用パスワードは T o k y o 2 0 2 4", "Tokyo2024"),
    ],
)
def test_red_team_misses_are_redacted(message: str, value: str) -> None:
    result = redact(message).text
    assert PIN in result
    squeezed = "".join(ch for ch in result if ch.isalnum() or ch in "○◯")
    assert value not in squeezed and value[:3] not in squeezed.replace("暗証番号", ""), result


def test_spaced_letters_are_joined_only_into_a_password_next_to_a_pin_word() -> None:
    assert redact("my pin is a b c").text == "my pin is a b c"  # no digit: no password
    assert redact("PIN is 1234 for my card").text == f"PIN is {PIN} for my card"  # words stay words
    assert redact("a b c 1 2 3").text == "a b c 1 2 3"  # no PIN word: spaced characters are not joined


def test_digits_glued_to_a_count_are_judged_on_their_own() -> None:
    assert redact("1234、3回").text == f"{PIN}、3回"
    assert redact("12、3回").text == "12、3回"


# ---- idempotence, and nothing changes outside the replaced spans ----

# Characters that make the rule work hard: digits in every form, separators, kanji numerals, circles, letters,
# PIN words, units and the placeholders themselves.
_HARD = st.sampled_from(
    list("0123456789０１２３〇一二三四五六七八九零○◯OoΟо ー-/:：.、・·→\u2028\n\t()「」abcXYZ回年月日桁時分")
    + ["\u200b", "\ufe0f\u20e3", "\u0301", "暗証番号", "パスワード", "PIN", NUM, PIN, "［", "］", "／", "ﾊﾟｽ", "⑩"]
)
hard_text = st.lists(_HARD, max_size=60).map("".join)
any_message = st.one_of(
    hard_text,
    st.text(max_size=40),
    disguised_message(sizes=(4, 8, 12)).map(lambda case: case[0]),
    pin_message().map(lambda case: case[0]),
    individual_number_message().map(lambda case: case[0]),
    # Two secrets in one message, one of them without a PIN word: the old second pass found more.
    st.tuples(
        individual_number_message().map(lambda case: case[0]),
        st.sampled_from(["と", "\n", "、", " "]),
        follow_up_message().map(lambda case: case[0]),
    ).map("".join),
)


@settings(max_examples=800, deadline=None, derandomize=True, database=None)
@given(any_message)
def test_redaction_is_idempotent(text: str) -> None:
    once = redact(text)
    twice = redact(once.text)
    assert twice.text == once.text, (text, once.text, twice.text)
    assert not twice.changed
    assert redact_individual_numbers(redact_individual_numbers(text).text).text == redact_individual_numbers(text).text


def test_a_second_pass_finds_nothing_more() -> None:
    """The issue's case: the placeholders' 番号 made the second pass read 0000 as a PIN (and return NFKC text)."""
    once = redact("123456789012と0000").text
    assert once == f"{NUM}と{PIN}"
    assert redact(once).text == once


_PLACEHOLDER = re.compile(f"{re.escape(NUM)}|{re.escape(PIN)}")


def assert_only_spans_changed(text: str, result: str) -> None:
    """``result`` is ``text`` with some spans replaced by placeholders and every other character as it was."""
    pieces = _PLACEHOLDER.split(result)
    assert text.startswith(pieces[0]) and text.endswith(pieces[-1]), (text, result)
    position = len(pieces[0])
    for piece in pieces[1:]:
        found = text.find(piece, position)
        assert found >= position, (text, result, piece)
        position = found + len(piece)


@settings(max_examples=800, deadline=None, derandomize=True, database=None)
@given(any_message)
def test_nothing_outside_the_replaced_spans_changes(text: str) -> None:
    assert_only_spans_changed(text, redact(text).text)
    assert_only_spans_changed(text, redact_individual_numbers(text).text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ('／inform{"municipality":"三鷹市"}\n123456789012と0000', f'／inform{{"municipality":"三鷹市"}}\n{NUM}と{PIN}'),
        ("ＡＢＣさんの暗証番号は１２３４です。", f"ＡＢＣさんの暗証番号は{PIN}です。"),
        ("ﾊﾟｽﾜｰﾄﾞ：１２３４（ﾒﾓ）", f"ﾊﾟｽﾜｰﾄﾞ：{PIN}（ﾒﾓ）"),
        ("①暗証番号を忘れた　→1234を試した", f"①暗証番号を忘れた　→{PIN}を試した"),
    ],
)
def test_the_text_around_a_replacement_is_kept_as_typed(text: str, expected: str) -> None:
    assert redact(text).text == expected


def test_placeholders_are_not_pin_words() -> None:
    """A clock time next to a placeholder stays a clock time: the placeholder's 番号 is not a PIN word."""
    assert redact(f"{PIN}のあと17:30に行きます").text == f"{PIN}のあと17:30に行きます"
    assert redact(f"{NUM}、12/28").changed is False


# ---- the typed-command attack: the gateway's guard, then the Rasa channel's and the tracker store's passes ----


def rasa_reads_a_command(text: str) -> bool:
    """What Rasa does before NLU (YAMLStoryReader.unpack_regex_message): strip, then a leading "/"."""
    return text.strip().startswith("/")


def test_a_typed_command_stays_neutral_through_every_pass() -> None:
    """The issue's attack: the second pass found more (the placeholders held PIN words) and returned NFKC text."""
    typed = '/inform{"municipality":"どこでも","applicant_type":"self"}\n123456789012と0000'
    forwarded = guard_typed_text(typed).text
    assert forwarded.startswith("／inform")
    in_rasa = redact(forwarded).text  # channels/redacting_rest.py
    stored = redact(in_rasa).text  # storage/redacting_sql.py
    assert in_rasa == forwarded == stored
    assert not rasa_reads_a_command(in_rasa) and not rasa_reads_a_command(stored)


_SLASHY = st.sampled_from(["/", "／", "∕", "⁄", " ", "\u3000", "\u200b", "\u2060", "\u0301", "\u3164", "\n", "\ufeff"])
typed_text = st.tuples(st.lists(_SLASHY, max_size=6).map("".join), any_message).map("".join)


@settings(max_examples=800, deadline=None, derandomize=True, database=None)
@given(typed_text)
def test_nothing_typed_ever_comes_out_as_a_command(typed: str) -> None:
    forwarded = guard_typed_text(typed).text
    assert not rasa_reads_a_command(forwarded), (typed, forwarded)
    assert not forwarded.startswith(("∕", "⁄")), (typed, forwarded)
    # What the widget shows (``you``) is what Rasa and the tracker store keep: their passes change nothing.
    assert redact(forwarded).text == forwarded, (typed, forwarded)
