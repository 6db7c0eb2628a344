"""Hostile or odd messages the server must answer without an error."""

from typing import Dict

# Named so that test ids and benchmark rows say what each one is.
BAD_INPUTS: Dict[str, str] = {
    "empty": "",
    "spaces": "   ",
    "ideographic_space": "\u3000\u3000",
    "newlines_tabs": "\n\t\r\n",
    "10000_chars": ("マイナンバーカードの暗証番号を忘れました。三鷹市です。" * 400)[:10_000],
    "10000_same_char": "あ" * 10_000,
    "60000_chars": ("暗証番号がロックされた😢 " * 5_000)[:60_000],
    "only_emoji": "😀😢🙏👍🏻👨\u200d👩\u200d👧❤️",
    "only_kaomoji": "(´・ω・`)(；´Д｀)",
    "only_digits": "1234567890",
    "full_width_digits": "０１２３４５６７８９",
    "mixed_scripts": "PIN暗証番号ｱﾝｼｮｳ반갑습니다Привет مرحبا 你好 123 ＡＢＣ 😀",
    "control_chars": "\x00\x01\x02暗証\x07\x08番号\x1b[31m\x7f\u200b\u202e忘れた",
    "lone_surrogate_free_symbols": "☃︎♪★☆※〒〶",
    "placeholder": "暗証番号は［暗証番号］です",
    "slash_command_like": "/restart",
    "json_like": '{"text": "x", "intent": "greet"}',
}
