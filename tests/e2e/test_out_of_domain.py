"""Issue 9 end to end: messages outside the card's PINs get an honest 'not here; try X', never a procedure."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.e2e.helpers import Replies, button_titles, joined, other_city_phones, payload_for, trigger
from tests.e2e.stack import Stack

CHAT_SCOPE = "このチャットでは暗証番号の手続きをご案内しています"
# What an in-domain answer looks like; none of it may reach an out-of-domain message.
RESTART_TEXT = "最初からご案内します。"
CLOCK = re.compile(r"\d{1,2}[:：]\d{2}")


def new_sender() -> str:
    """A fresh conversation id."""
    return f"e2e-ood-{uuid.uuid4().hex}"


def assert_not_a_procedure(replies: Replies, with_contact: bool = False) -> None:
    """No checklist, no office hours, no restart, no applicant question, one message.

    `with_contact`: the city's contact line (which carries its phone's reception hours) is expected.
    """
    text = joined(replies)
    assert text, "the bot must answer"
    assert RESTART_TEXT not in text
    if not with_contact:
        assert not CLOCK.search(text), f"office hours in an out-of-domain answer: {text}"
    assert "持ち物" not in text and "本人確認書類" not in text
    assert not {"本人", "法定代理人", "任意代理人"} & set(button_titles(replies))
    assert len(replies) == 1


@pytest.mark.parametrize(
    "message, pointer",
    [
        ("ゆうちょのキャッシュカードの暗証番号がわからない", "銀行・カード会社"),
        ("クレジットカードの暗証番号を変えたい", "銀行・カード会社"),
        ("iPhoneのパスコードを変更したい", "メーカー"),
        ("家のWi-Fiのパスワードを忘れた", "メーカー"),
    ],
)
def test_other_secrets_point_to_the_bank_or_the_maker(stack: Stack, message: str, pointer: str) -> None:
    """A bank card or a phone: what this chat does, and one line pointing elsewhere."""
    replies = stack.say(new_sender(), message)
    assert_not_a_procedure(replies)
    text = joined(replies)
    assert "マイナンバーカードの暗証番号" in text and pointer in text
    assert 2 <= len(text.splitlines()) <= 3


@pytest.mark.parametrize(
    "message", ["明日7時にアラームを鳴らして", "アラームを全部リセットして", "住民票の写しはコンビニで取れますか"]
)
def test_assistant_requests_get_no_hours_and_no_restart(stack: Stack, message: str) -> None:
    """Times, 'reset' and other city services are not office hours, not a restart, not a kiosk procedure."""
    replies = stack.say(new_sender(), message)
    assert_not_a_procedure(replies)
    assert "マイナンバーカードの暗証番号" in joined(replies)


def test_lost_card_gets_the_city_contact(stack: Stack) -> None:
    """A My Number matter that is not a PIN: the words of the issue and 三鷹市's own contact only."""
    sender = new_sender()
    stack.say(sender, "三鷹市です")
    replies = stack.say(sender, "マイナンバーカードをなくしてしまいました")
    assert_not_a_procedure(replies, with_contact=True)
    text = joined(replies)
    assert CHAT_SCOPE in text
    assert "0422-29-9191" in text
    for phone in other_city_phones("mitaka"):
        assert phone not in text


def test_city_service_with_known_city_gets_the_city_contact(stack: Stack) -> None:
    """Another city service with the city known: the city's contact from knowledge/."""
    sender = new_sender()
    stack.say(sender, "千葉市に住んでいます")
    replies = stack.say(sender, "粗大ごみの出し方を教えて")
    assert_not_a_procedure(replies, with_contact=True)
    text = joined(replies)
    assert "043-400-3147" in text
    assert 2 <= len(text.splitlines()) <= 3


def test_etax_password_asks_one_question(stack: Stack) -> None:
    """「e-Taxのパスワードを忘れた」 could be either: one short question, then the right path."""
    sender = new_sender()
    replies = stack.say(sender, "e-Taxのパスワードを忘れた")
    titles = button_titles(replies)
    assert "カードの暗証番号を忘れた・ロックされた" in titles and "e-Tax など別のサービスのパスワード" in titles
    assert "カードの暗証番号を変更したい" in titles
    assert RESTART_TEXT not in joined(replies)
    card = stack.say(sender, payload_for(replies, "カードの暗証番号を忘れた"))
    assert {"本人", "法定代理人", "任意代理人"} <= set(button_titles(card))


def test_etax_password_card_change_goes_to_the_change_procedure(stack: Stack) -> None:
    """The question's 'change' button starts the change procedure, not the reset."""
    sender = new_sender()
    replies = trigger(stack, sender, "ambiguous_password")
    assert payload_for(replies, "カードの暗証番号を変更したい") == "/change_pin"
    change = stack.say(sender, "/change_pin")
    assert {"本人", "法定代理人", "任意代理人"} <= set(button_titles(change))


def test_etax_password_other_service_is_not_a_procedure(stack: Stack) -> None:
    """Choosing the other service's password: 'not here', no checklist."""
    sender = new_sender()
    replies = stack.say(sender, "e-Taxのパスワードを忘れた")
    other = stack.say(sender, payload_for(replies, "別のサービス"))
    assert_not_a_procedure(other)
