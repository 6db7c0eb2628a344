"""The main choices a LINE resident can always pick: rich menu areas and the greeting's quick replies."""

from __future__ import annotations

from gateway.models import BotButton

# Rasa intent payloads of CONTRACT §3; labels fit LINE's 20-character quick-reply limit.
MAIN_CHOICES: tuple[BotButton, ...] = (
    BotButton(title="暗証番号を忘れた", payload="/forgot_pin"),
    BotButton(title="ロックされた", payload="/pin_locked"),
    BotButton(title="変更したい", payload="/change_pin"),
    BotButton(title="代理人の手続き", payload="/proxy_help"),
)

MAIN_PAYLOADS: tuple[str, ...] = tuple(b.payload for b in MAIN_CHOICES)
