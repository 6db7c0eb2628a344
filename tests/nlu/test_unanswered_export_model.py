"""make unanswered-export end to end: a seeded tracker database, the trained model, a draft Rasa can read."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from tests.console.seed import HTML, REPO, SCRIPT, WITH_PIN_SHOWN, seed
from tools.unanswered_export import main


def test_the_export_guesses_a_domain_intent_for_every_unanswered_text(
    nlu_model_path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(tmp_path / "tracker.db", time.time())
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "tracker.db"))
    out = tmp_path / "draft.yml"
    assert main(["--model", nlu_model_path, "--endpoints", str(REPO / "endpoints.yml"), "--out", str(out)]) == 0
    assert f"5 unanswered question(s) written to {out}" in capsys.readouterr().out
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Draft, review before training")
    examples = RasaYAMLReader().reads(text).intent_examples
    assert sorted(m.get("text") for m in examples) == sorted(
        [WITH_PIN_SHOWN, HTML, SCRIPT, "暗証番号を忘れた", "窓口の人と話したい"]
    )
    intents = set(yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))["intents"])
    assert {m.get("intent") for m in examples} <= intents
