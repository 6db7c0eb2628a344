"""What simulated residents say: real conversations of this project's tests, and the stock bot's own small talk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# A bot message as either API returns it: {"text": ..., "buttons": [{"title", "payload"}]} (buttons optional).
BotMessage = Mapping[str, Any]


@dataclass(frozen=True)
class Step:
    """One resident message: typed ``text``, or the offered button whose title contains ``button``."""

    text: str = ""
    button: str = ""

    def __post_init__(self) -> None:
        """Exactly one of text and button."""
        if bool(self.text) == bool(self.button):
            raise ValueError("a step is either typed text or a button title")


@dataclass(frozen=True)
class Outgoing:
    """What the client sends for a step: a typed text or a button's payload."""

    text: str | None = None
    payload: str | None = None


def say(text: str) -> Step:
    """A typed message."""
    return Step(text=text)


def press(title_part: str) -> Step:
    """A press on the offered button whose title contains ``title_part``."""
    return Step(button=title_part)


def resolve(step: Step, last_messages: Sequence[BotMessage]) -> tuple[Outgoing, bool]:
    """The message to send for ``step`` after the bot said ``last_messages``, and whether it went as scripted.

    A button the bot did not offer is typed as its title instead (the form's free-text fallback understands
    titles); the second value is then False so the report can show that the dialogue took another path.
    """
    if step.text:
        return Outgoing(text=step.text), True
    for message in last_messages:
        for button in message.get("buttons") or ():
            if step.button in str(button.get("title", "")) and button.get("payload"):
                return Outgoing(payload=str(button["payload"])), True
    return Outgoing(text=step.button), False


# Conversations a resident has with the PIN bot, taken from tests/e2e/test_conversations.py and tests/stories/:
# typed questions, the form's questions answered by buttons or free text, follow-up buttons, small talk.
PINBOT_SCRIPTS: tuple[tuple[Step, ...], ...] = (
    (
        say("マイナンバーカードの暗証番号を忘れてしまいました"),
        press("本人"),
        press("三鷹市"),
        press("署名用"),
        press("はい"),
        press("窓口の詳しい案内"),
    ),
    (say("暗証番号を忘れました"), say("本人です"), say("三鷹市"), say("署名用です"), say("ありがとうございました")),
    (
        say("千葉市に住んでいます。暗証番号を忘れたので、委任状を持って母の代わりに行きたいです"),
        press("手続きの流れと注意"),
        press("2回目の持ち物"),
        say("ありがとう"),
    ),
    (say("暗証番号を変更したいです"), say("自分です"), say("たじみし"), say("ありがとうございました")),
    (
        say("ロックされてしまいました"),
        say("暗証番号って何回まちがえるとロックされるんですか"),
        press("本人"),
        press("龍ケ崎市"),
        press("利用者証明用"),
        press("いいえ"),
    ),
    (say("土曜日も窓口は開いていますか"), press("三鷹市"), say("さようなら")),
    (say("こんにちは"), say("龍ケ崎市です。父の代わりに電子証明書の更新に行きたいです"), say("ありがとう")),
    (say("粗大ごみの出し方を教えてください"), say("担当の方と電話で話したいです"), say("ありがとうございました")),
    (say("暗証番号を教えてもらえませんか"), press("再設定の手続きを見る"), press("任意代理人"), press("多治見市")),
)

# The stock `rasa init` bot's own training examples (greet, mood, affirm/deny, goodbye, bot challenge).
STOCK_SCRIPTS: tuple[tuple[Step, ...], ...] = (
    (say("hello"), say("I am sad"), say("yes"), say("bye")),
    (say("hi"), say("I am great"), say("goodbye")),
    (say("hey there"), say("I am sad"), say("no"), say("bye")),
    (say("are you a bot?"), say("hello"), say("perfect"), say("see you later")),
)
