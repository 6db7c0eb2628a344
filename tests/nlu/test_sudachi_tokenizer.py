"""SudachiTokenizer: offsets, lemmas and robustness on awkward input."""

from itertools import pairwise
from typing import List

import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components.sudachi_tokenizer import ORIGINAL_TEXT_KEY, READING_KEY, SudachiTokenizer


@pytest.fixture(scope="module")
def tokenizer() -> SudachiTokenizer:
    """One tokenizer for the module: the dictionary load is the slow part."""
    return SudachiTokenizer(SudachiTokenizer.get_default_config())


def _assert_offsets_match(text: str, tokens: List[Token]) -> None:
    for token in tokens:
        assert text[token.start : token.end] == token.text, token
    starts = [t.start for t in tokens]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in pairwise(tokens))


@pytest.mark.parametrize(
    "text",
    [
        "ｱﾝｼｮｳﾊﾞﾝｺﾞｳを忘れた",
        "ＰＩＮ１２３４を入れたらロック",
        "暗証番号\u3000忘れた",
        "暗証番号😀忘れた👨‍👩‍👧❤️👍🏻",
        "ロックされた(´・ω・`)どうしよう(；´Д｀)",
        "a\x00b\x07c\u200bd\x7f暗証番号",
        "I forgot my マイナンバーカード PIN",
        "龍ケ崎市と龍ヶ崎市",
        "ｶﾞｷﾞｸﾞ\u3099\u309a",
    ],
)
def test_offsets_point_back_into_the_original_text(tokenizer: SudachiTokenizer, text: str) -> None:
    tokens = tokenizer.tokenize_text(text)
    assert tokens
    _assert_offsets_match(text, tokens)


def test_half_width_katakana_keeps_original_surface_and_normalizes_lemma(
    tokenizer: SudachiTokenizer,
) -> None:
    text = "ｱﾝｼｮｳﾊﾞﾝｺﾞｳを忘れた"
    first = tokenizer.tokenize_text(text)[0]
    assert (first.text, first.start, first.end) == ("ｱﾝｼｮｳﾊﾞﾝｺﾞｳ", 0, 11)
    assert first.lemma == "アンショウバンゴウ"


def test_full_width_letters_and_digits(tokenizer: SudachiTokenizer) -> None:
    tokens = tokenizer.tokenize_text("ＰＩＮ１２３４")
    assert [(t.text, t.start, t.end) for t in tokens] == [("ＰＩＮ", 0, 3), ("１２３４", 3, 7)]
    assert tokens[1].lemma == "1234"


def test_lemma_is_sudachi_normalized_form(tokenizer: SudachiTokenizer) -> None:
    lemmas = {t.text: t.lemma for t in tokenizer.tokenize_text("暗証番号を忘れました")}
    assert lemmas["忘れ"] == "忘れる"
    assert lemmas["まし"] == "ます"


def test_ideographic_space_and_controls_are_not_tokens(tokenizer: SudachiTokenizer) -> None:
    text = "暗証番号\u3000\t\x00\u200b忘れた"
    tokens = tokenizer.tokenize_text(text)
    assert [t.text for t in tokens] == ["暗証番号", "忘れ", "た"]
    assert tokens[1].start == text.index("忘")


def test_emoji_and_kaomoji_survive_with_exact_spans(tokenizer: SudachiTokenizer) -> None:
    text = "忘れた😢(´；ω；`)"
    tokens = tokenizer.tokenize_text(text)
    assert "😢" in [t.text for t in tokens]
    _assert_offsets_match(text, tokens)
    assert "".join(t.text for t in tokens) == text


@pytest.mark.parametrize("text", ["", " ", "\u3000\u3000", "\n\t \r", "\x00\x01\u200b"])
def test_blank_text_gives_no_tokens(tokenizer: SudachiTokenizer, text: str) -> None:
    assert tokenizer.tokenize_text(text) == []


def test_reading_is_stored_on_tokens(tokenizer: SudachiTokenizer) -> None:
    readings = [t.get(READING_KEY) for t in tokenizer.tokenize_text("暗証番号")]
    assert readings == ["アンショウバンゴウ"]


def test_hiragana_and_kanji_share_the_reading(tokenizer: SudachiTokenizer) -> None:
    kana = "".join(t.get(READING_KEY) for t in tokenizer.tokenize_text("あんしょうばんごう"))
    kanji = "".join(t.get(READING_KEY) for t in tokenizer.tokenize_text("暗証番号"))
    assert kana == kanji


def test_60000_characters_do_not_crash_and_offsets_hold(tokenizer: SudachiTokenizer) -> None:
    sentence = "マイナンバーカードの暗証番号を忘れました。"
    text = (sentence * (60_000 // len(sentence) + 1))[:60_000]
    assert len(text.encode("utf-8")) > 49_149  # past Sudachi's own limit
    tokens = tokenizer.tokenize_text(text)
    _assert_offsets_match(text, tokens)
    assert tokens[-1].end > 59_000
    # Chunks are cut at sentence ends, so no word is split at a chunk boundary.
    assert sum(t.text == "暗証番号" for t in tokens) == text.count("暗証番号")


def test_60000_characters_without_any_boundary(tokenizer: SudachiTokenizer) -> None:
    text = "あ" * 60_000
    tokens = tokenizer.tokenize_text(text)
    _assert_offsets_match(text, tokens)
    assert "".join(t.text for t in tokens) == text


def test_max_analysed_chars_caps_the_prefix() -> None:
    config = {**SudachiTokenizer.get_default_config(), "max_analysed_chars": 10}
    tokens = SudachiTokenizer(config).tokenize_text("暗証番号を忘れました。" * 100)
    assert tokens and max(t.end for t in tokens) <= 10


def test_split_mode_changes_granularity() -> None:
    text = "マイナンバーカード"
    mode_a = SudachiTokenizer({**SudachiTokenizer.get_default_config(), "split_mode": "A"})
    mode_c = SudachiTokenizer({**SudachiTokenizer.get_default_config(), "split_mode": "C"})
    assert len(mode_a.tokenize_text(text)) > len(mode_c.tokenize_text(text)) == 1


def test_unknown_split_mode_is_rejected() -> None:
    with pytest.raises(ValueError):
        SudachiTokenizer({**SudachiTokenizer.get_default_config(), "split_mode": "D"})


def test_sudachi_failure_falls_back_to_script_runs(
    tokenizer: SudachiTokenizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken:
        def tokenize(self, *_: object) -> None:
            raise RuntimeError("boom")

    monkeypatch.setattr(tokenizer, "_sudachi", Broken())
    text = "三鷹市 で ｱﾝｼｮｳ 1234"
    tokens = tokenizer.tokenize_text(text)
    assert [t.text for t in tokens] == ["三鷹市", "で", "ｱﾝｼｮｳ", "1234"]
    _assert_offsets_match(text, tokens)


def test_process_sets_tokens_on_messages_including_empty(tokenizer: SudachiTokenizer) -> None:
    messages = [Message(data={TEXT: "三鷹市です"}), Message(data={TEXT: ""})]
    tokenizer.process(messages)
    assert [t.text for t in messages[0].get(TOKENS_NAMES[TEXT])] == ["三鷹市", "です"]
    assert messages[1].get(TOKENS_NAMES[TEXT]) == []


def test_training_data_entities_align_with_token_boundaries(tokenizer: SudachiTokenizer) -> None:
    text = "ｱﾝｼｮｳﾊﾞﾝｺﾞｳを三鷹市で"
    start = text.index("三鷹市")
    message = Message(
        data={
            TEXT: text,
            "intent": "forgot_pin",
            "entities": [{"entity": "municipality", "start": start, "end": start + 3, "value": "mitaka"}],
        }
    )
    tokenizer.process_training_data(TrainingData([message]))
    spans = {(t.start, t.end) for t in message.get(TOKENS_NAMES[TEXT])}
    assert (start, start + 3) in spans


def test_process_shortens_over_long_text_and_keeps_the_original() -> None:
    config = {**SudachiTokenizer.get_default_config(), "max_analysed_chars": 12}
    text = "暗証番号を忘れました。" * 10
    message = Message(data={TEXT: text})
    SudachiTokenizer(config).process([message])
    assert message.get(TEXT) == text[:12]
    assert message.get(ORIGINAL_TEXT_KEY) == text
    assert max(t.end for t in message.get(TOKENS_NAMES[TEXT])) <= 12


def test_process_leaves_short_text_alone() -> None:
    config = {**SudachiTokenizer.get_default_config(), "max_analysed_chars": 100}
    message = Message(data={TEXT: "暗証番号"})
    SudachiTokenizer(config).process([message])
    assert message.get(TEXT) == "暗証番号"
    assert message.get(ORIGINAL_TEXT_KEY) is None
