"""Whole conversations through the real Rasa server and action server, checked against knowledge/."""

from __future__ import annotations

import re
import uuid

import pytest

from kb import load_kb
from tests.e2e.helpers import button_titles, joined, other_city_phones, payload_for
from tests.e2e.stack import Stack, http_json


def new_sender() -> str:
    """A fresh conversation id."""
    return f"e2e-{uuid.uuid4().hex}"


def test_forgot_pin_self_mitaka_full_checklist(stack: Stack) -> None:
    """Typed question, then buttons: the answer is 三鷹市's own checklist, offices, hours and source."""
    sender = new_sender()
    replies = stack.say(sender, "マイナンバーカードの暗証番号を忘れてしまいました")
    assert {"本人", "法定代理人", "任意代理人"} <= set(button_titles(replies))
    replies = stack.say(sender, payload_for(replies, "本人"))
    assert {"三鷹市", "千葉市", "多治見市", "龍ケ崎市"} <= set(button_titles(replies))
    replies = stack.say(sender, payload_for(replies, "三鷹市"))
    replies = stack.say(sender, payload_for(replies, "署名用"))
    assert "利用者証明用" in joined(replies)  # asks whether the other certificate PIN is known
    replies = stack.say(sender, payload_for(replies, "はい"))
    text = joined(replies)
    kb = load_kb()
    for document in kb.requirements("mitaka", "pin_reset", "self").documents:
        assert document.name in text
    for office in kb.offices("mitaka", "pin_reset"):
        assert office.name in text
    assert "9:00〜19:00（受付は18:30まで）" in text
    assert "コンビニ" in text and "2025年4月30日" in text and "0422-29-9191" in text
    for phone in other_city_phones("mitaka"):
        assert phone not in text
    assert len(replies) >= 3, "a long answer is split into several messages"


def test_values_in_first_message_are_not_asked_again(stack: Stack) -> None:
    """City and applicant named up front: the bot goes straight to the answer for 千葉市's proxy case."""
    sender = new_sender()
    replies = stack.say(sender, "千葉市に住んでいます。暗証番号を忘れたので、委任状を持って母の代わりに行きたいです")
    text = joined(replies)
    assert "市を選んで" not in text and "どなたですか" not in text
    assert "【千葉市】" in text and "委任状" in text and "2回" in text
    assert "043-400-3147" in text
    for phone in other_city_phones("chiba"):
        assert phone not in text


def test_free_text_answers_fill_the_form(stack: Stack) -> None:
    """「自分です」 and 「たじみし」 answer the form's questions like buttons do."""
    sender = new_sender()
    stack.say(sender, "暗証番号を変更したいです")
    replies = stack.say(sender, "自分です")
    assert "市を選んで" in joined(replies)
    replies = stack.say(sender, "たじみし")
    text = joined(replies)
    assert "多治見市" in text and "0572-23-5542" in text


def test_interruption_is_answered_and_the_form_resumes(stack: Stack) -> None:
    """A PIN-rules question mid-form gets its answer, then the applicant question again."""
    sender = new_sender()
    stack.say(sender, "ロックされてしまいました")
    replies = stack.say(sender, "暗証番号って何回まちがえるとロックされるんですか")
    text = joined(replies)
    assert "5回" in text and "3回" in text
    assert {"本人", "法定代理人", "任意代理人"} <= set(button_titles(replies))


def test_correction_after_the_answer(stack: Stack) -> None:
    """「やっぱり任意代理人です」 after an answer for 本人 gives the proxy checklist."""
    sender = new_sender()
    stack.say(sender, "暗証番号を変更したい", metadata={"municipality": "mitaka"})
    replies = stack.say(sender, '/inform{"applicant_type": "self"}', metadata={"municipality": "mitaka"})
    assert "本人が手続きする場合" in joined(replies)
    replies = stack.say(sender, "やっぱり任意代理人です", metadata={"municipality": "mitaka"})
    text = joined(replies)
    assert "任意代理人が手続きする場合" in text and "委任状" in text


def test_restart(stack: Stack) -> None:
    """「最初から」 restarts with the main choices."""
    sender = new_sender()
    stack.say(sender, "暗証番号を忘れた")
    replies = stack.say(sender, "最初からやり直したい")
    assert "最初から" in joined(replies)
    assert "暗証番号を忘れた" in button_titles(replies)


def test_out_of_scope_points_to_the_city(stack: Stack) -> None:
    """Other city services: polite scope notice with the city's contact."""
    sender = new_sender()
    replies = stack.say(sender, "粗大ごみの出し方を教えてください", metadata={"municipality": "chiba"})
    text = joined(replies)
    assert "暗証番号" in text and "043-400-3147" in text


def test_office_hours_asks_city_then_answers_saturday(stack: Stack) -> None:
    """「土曜日も開いてますか」: which city? then the Saturday offices of that city."""
    sender = new_sender()
    replies = stack.say(sender, "土曜日も窓口は開いていますか")
    assert {"三鷹市", "千葉市", "多治見市", "龍ケ崎市"} <= set(button_titles(replies))
    replies = stack.say(sender, payload_for(replies, "三鷹市"))
    text = joined(replies)
    assert "三鷹市マイナンバーカードセンター" in text and "三鷹駅前市政窓口" in text
    assert "三鷹台市政窓口" not in text


def test_human_handoff_uses_the_embedding_city(stack: Stack) -> None:
    """The page's fixed city answers 'who do I call' without asking."""
    replies = stack.say(new_sender(), "担当の方と電話で話したいです", metadata={"municipality": "tajimi"})
    text = joined(replies)
    assert "0572-23-5542" in text
    for phone in other_city_phones("tajimi"):
        assert phone not in text


def test_pin_lookup_is_refused_with_the_reset_route(stack: Stack) -> None:
    """Nobody can look up a PIN: the bot says so and offers the reset."""
    replies = stack.say(new_sender(), "暗証番号を教えてもらえませんか")
    assert "教えてもらうことはできません" in joined(replies)
    assert "再設定の手続きを見る" in button_titles(replies)


@pytest.mark.parametrize(
    "message, secret",
    [
        ("私の個人番号は123456789018です", "123456789018"),
        ("マイナンバー ６２１４ ９８３２ ０２５７ で調べてください", "６２１４"),
        ("暗証番号は9137です。ロックされました", "9137"),
        ("Zq7xK9mP2", "Zq7xK9mP2"),
    ],
)
def test_privacy_guard_never_stores_logs_or_echoes(stack: Stack, message: str, secret: str) -> None:
    """Numbers are replaced before storage and logging; the bot warns without echoing."""
    sender = new_sender()
    replies = stack.say(sender, message)
    text = joined(replies)
    assert "入力しないでください" in text
    assert secret not in text
    tracker = stack.tracker(sender)
    user_texts = [event.get("text") or "" for event in tracker["events"] if event["event"] == "user"]
    assert user_texts and all(secret not in t for t in user_texts)
    assert any("［" in t for t in user_texts)
    # Digit boundaries: the stored intent confidences (0.000305184512399137) may contain any 4 digits.
    stored = re.compile(rb"(?<![0-9])" + re.escape(secret.encode()) + rb"(?![0-9])")
    assert not stored.search(stack.tracker_db.read_bytes())
    for name in ("rasa", "actions"):
        assert secret not in stack.log_path(name).read_text(errors="replace")


def test_two_stage_fallback_ends_with_a_person(stack: Stack) -> None:
    """Unsure: likely topics as Japanese buttons; none fits: rephrase; still unsure and none fits: phone numbers."""
    sender = new_sender()
    replies = stack.say(sender, "/nlu_fallback")
    assert "どれでもない" in button_titles(replies)
    assert all(not title.isascii() for title in button_titles(replies))
    replies = stack.say(sender, payload_for(replies, "どれでもない"))
    assert "別の言い方" in joined(replies)
    replies = stack.say(sender, "/nlu_fallback")
    replies = stack.say(sender, payload_for(replies, "どれでもない"))
    text = joined(replies)
    assert "担当窓口へお問い合わせください" in text and "0422-29-9191" in text and "043-400-3147" in text


def test_two_unclear_messages_in_a_row_give_the_contact(stack: Stack) -> None:
    """Typing past the suggestions with another unclear message ends with a person to call."""
    sender = new_sender()
    stack.say(sender, "/nlu_fallback", metadata={"municipality": "tajimi"})
    replies = stack.say(sender, "/nlu_fallback", metadata={"municipality": "tajimi"})
    text = joined(replies)
    assert "担当窓口へお問い合わせください" in text and "0572-23-5542" in text
    for phone in other_city_phones("tajimi"):
        assert phone not in text


def test_fallback_suggestion_leads_into_the_topic(stack: Stack) -> None:
    """Tapping a suggested topic after the first fallback stage starts that topic's questions."""
    sender = new_sender()
    replies = stack.say(sender, "/nlu_fallback")
    replies = stack.say(sender, payload_for(replies, "暗証番号を忘れた"))
    assert {"本人", "法定代理人", "任意代理人"} <= set(button_titles(replies))


def test_city_typed_for_a_pending_question(stack: Stack) -> None:
    """「日曜日に行けるところは？」 → which city? → typed 「千葉です」 → 千葉市's Sunday office (第2日曜日)."""
    sender = new_sender()
    replies = stack.say(sender, "日曜日に手続きできるところはありますか")
    assert "千葉市" in button_titles(replies)
    replies = stack.say(sender, "千葉市です")
    text = joined(replies)
    assert "各区役所市民総合窓口課" in text and "第2日曜日" in text and "各市民センター" not in text


def test_trained_model_loads_and_parse_answers(stack: Stack) -> None:
    """Smoke test of the Rasa HTTP API: the model is loaded and /model/parse answers with contract intents."""
    status = http_json("GET", f"{stack.rasa_url}/status")
    assert status["model_file"].endswith("pinbot.tar.gz") and status["model_id"]
    parsed = http_json("POST", f"{stack.rasa_url}/model/parse", {"text": "暗証番号がロックされてしまいました"})
    assert parsed["intent"]["name"] == "pin_locked"
    parsed = http_json("POST", f"{stack.rasa_url}/model/parse", {"text": "三鷹市に住んでいます"})
    assert {"entity": "municipality", "value": "mitaka"}.items() <= parsed["entities"][0].items()


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😀😭🙏", "ｱﾝｼｮｳﾊﾞﾝｺﾞｳ ﾜｽﾚﾀ", "１２３", "(｀・ω・´)", "\u0000\u0007暗証\u200b番号", "あ" * 10000, "ﾛｯｸ" * 3000],
    ids=["empty", "spaces", "emoji", "halfwidth", "fullwidth-digits", "kaomoji", "control-chars", "10k-chars", "9k-halfwidth"],
)
def test_bad_input_always_gets_an_answer(stack: Stack, text: str) -> None:
    """Odd input never crashes the server and never leaves the resident without a reply."""
    replies = stack.say(new_sender(), text)
    assert replies and all(reply.get("text") or reply.get("buttons") for reply in replies)
