"""Every button payload the bot offers comes through the redaction rule unchanged.

The REST channel redacts every incoming text before it checks that a command is a payload the bot offered; a payload
with a PIN-like id (visit2 mixes letters and digits) would arrive redacted and never match.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from privacy import redact

GOLDEN = Path(__file__).parent
DOMAIN = GOLDEN.parents[1] / "domain.yml"
_BUTTON = re.compile(r"^\[ボタン\] .* → (?P<payload>/.*)$", re.MULTILINE)


def _domain_payloads() -> set[str]:
    """The buttons of domain.yml's responses, as Rasa sends them (``{{ }}`` become braces)."""
    responses = yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))["responses"]
    return {
        button["payload"].replace("{{", "{").replace("}}", "}")
        for variations in responses.values()
        for variation in variations
        for button in variation.get("buttons") or []
    }


def test_every_offered_payload_survives_redaction() -> None:
    golden = {m.group("payload") for path in GOLDEN.rglob("*.txt") for m in _BUTTON.finditer(path.read_text())}
    payloads = golden | _domain_payloads()
    assert len(golden) >= 15 and len(payloads) >= 25  # the answers and the form offer buttons
    changed = sorted(p for p in payloads if redact(p).text != p)
    assert not changed, changed
