"""The evaluation harness computes what it claims (metrics, folds, thresholds)."""

from pathlib import Path
from typing import Tuple

import pytest
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from tools.nlu_lab import report
from tools.nlu_lab.data import Entity, Example, Prediction, examples_from, from_rasa_parse, stratified_folds
from tools.nlu_lab.score import entity_metrics, fallback_metrics, intent_metrics, latency_metrics


def _p(
    gold: str,
    top: str,
    conf: float = 0.9,
    second: float = 0.05,
    final: str = "",
    gold_entities: Tuple[Entity, ...] = (),
    entities: Tuple[Entity, ...] = (),
) -> Prediction:
    return Prediction("t", gold, gold_entities, final or top, top, conf, second, entities, 1.0)


def test_intent_metrics_accuracy_macro_f1_and_confusions() -> None:
    preds = [_p("a", "a"), _p("a", "b"), _p("b", "b"), _p("c", "c")]
    m = intent_metrics(preds)
    assert m["accuracy"] == pytest.approx(0.75)
    # per-intent F1: a = 2/3, b = 2/3, c = 1
    assert m["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)
    assert m["confusions"] == [{"gold": "a", "predicted": "b", "count": 1}]


def test_fallback_on_out_of_scope_counts_as_right_only_with_fallback_accuracy() -> None:
    preds = [_p("out_of_scope", "greet", final="nlu_fallback"), _p("greet", "greet", final="nlu_fallback")]
    m = intent_metrics(preds)
    assert m["accuracy"] == pytest.approx(0.5)
    assert m["accuracy_with_fallback"] == pytest.approx(0.5)
    fb = fallback_metrics(preds)
    assert fb["oos_fallback_rate"] == 1.0 and fb["in_scope_fallback_rate"] == 1.0


def test_entity_metrics_value_vs_span() -> None:
    gold = (Entity("municipality", 0, 3, "mitaka"),)
    pred = (Entity("municipality", 0, 2, "mitaka"),)
    m = entity_metrics([_p("inform", "inform", gold_entities=gold, entities=pred)])
    assert m["value"]["f1"] == 1.0
    assert m["span"]["f1"] == 0.0


def test_entity_metrics_counts_duplicates_as_false_positives() -> None:
    gold = (Entity("pin_type", 0, 3, "signature"),)
    pred = (Entity("pin_type", 0, 3, "signature"), Entity("pin_type", 5, 8, "signature"))
    m = entity_metrics([_p("x", "x", gold_entities=gold, entities=pred)])
    assert m["value"]["precision"] == 0.5 and m["value"]["recall"] == 1.0


def test_latency_percentiles() -> None:
    m = latency_metrics([float(i) for i in range(1, 101)])
    assert m["p50_ms"] == pytest.approx(50.5)
    assert m["p95_ms"] == pytest.approx(95.05)
    assert m["max_ms"] == 100.0


def test_from_rasa_parse_undoes_the_fallback() -> None:
    parsed = {
        "intent": {"name": "nlu_fallback", "confidence": 0.5},
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.5},
            {"name": "greet", "confidence": 0.4},
            {"name": "goodbye", "confidence": 0.3},
        ],
        "entities": [{"entity": "municipality", "start": 0, "end": 2, "value": "chiba"}] * 2,
    }
    p = from_rasa_parse(Example("ちば", "inform"), parsed, 3.0)
    assert (p.intent, p.top_intent, p.top_confidence, p.second_confidence) == ("nlu_fallback", "greet", 0.4, 0.3)
    assert p.entities == (Entity("municipality", 0, 2, "chiba"),)


def test_from_rasa_parse_of_empty_result() -> None:
    p = from_rasa_parse(Example("", "out_of_scope"), {"intent": {"name": None}, "entities": []}, 1.0)
    assert p.intent == "nlu_fallback" and p.top_confidence == 0.0


def _training_data(counts: dict) -> TrainingData:
    messages = [
        Message(data={"text": f"{intent}{i}", "intent": intent}) for intent, n in counts.items() for i in range(n)
    ]
    return TrainingData(training_examples=messages, entity_synonyms={"三鷹": "mitaka"})


def test_folds_partition_the_data_and_keep_synonyms_for_training() -> None:
    data = _training_data({"a": 10, "b": 7, "c": 3})
    pairs = stratified_folds(data, 5, seed=1)
    tests = [m.get("text") for _, test in pairs for m in test.training_examples]
    assert sorted(tests) == sorted(m.get("text") for m in data.training_examples)
    for train, test in pairs:
        assert not {m.get("text") for m in train.training_examples} & {m.get("text") for m in test.training_examples}
        assert train.entity_synonyms == {"三鷹": "mitaka"}
    # Each intent's examples are spread over folds: a has 2 per fold.
    assert all(sum(m.get("intent") == "a" for m in test.training_examples) == 2 for _, test in pairs)


def test_folds_are_reproducible() -> None:
    data = _training_data({"a": 9, "b": 9})
    first = [[m.get("text") for m in t.training_examples] for _, t in stratified_folds(data, 3, seed=7)]
    second = [[m.get("text") for m in t.training_examples] for _, t in stratified_folds(data, 3, seed=7)]
    assert first == second


def test_examples_from_training_data() -> None:
    message = Message(
        data={
            "text": "三鷹市です",
            "intent": "inform",
            "entities": [{"entity": "municipality", "start": 0, "end": 3, "value": "mitaka"}],
        }
    )
    assert examples_from(TrainingData([message])) == [
        Example("三鷹市です", "inform", (Entity("municipality", 0, 3, "mitaka"),))
    ]


def test_splice_replaces_only_the_marked_block(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("intro\n<!-- BEGIN t -->\nold\n<!-- END t -->\nouttro\n", encoding="utf-8")
    report.splice(doc, "t", "new table")
    assert doc.read_text(encoding="utf-8") == "intro\n<!-- BEGIN t -->\nnew table\n<!-- END t -->\nouttro\n"
    report.splice(doc, "other", "appended")
    assert doc.read_text(encoding="utf-8").endswith("<!-- BEGIN other -->\nappended\n<!-- END other -->\n")


def test_summary_reports_accuracy_on_utterances_not_in_training() -> None:
    from dataclasses import replace

    from tools.nlu_lab.data import normalized_text
    from tools.nlu_lab.score import summarize

    preds = [replace(_p("a", "a"), text="こんにちは"), replace(_p("a", "b"), text="新しい文")]
    summary = summarize(preds, seen_texts={normalized_text("こんにちは　")})
    assert summary["intent"]["accuracy"] == 0.5
    assert summary["intent_unseen"]["n"] == 1
    assert summary["intent_unseen"]["accuracy"] == 0.0


def test_normalized_text_ignores_width_and_spaces() -> None:
    from tools.nlu_lab.data import normalized_text

    assert normalized_text("ﾛｯｸ　かかった") == normalized_text("ロックかかった")


def _gated(gold: str, before: str, conf: float, ood: float) -> Prediction:
    return Prediction("t", gold, (), before, before, conf, 0.0, (), 1.0, ood, before, conf)


def test_privacy_override_predictions_never_fall_back() -> None:
    """PrivacyIntentOverride runs last: neither the fallback nor the gate takes share_sensitive away."""
    from dataclasses import replace

    from tools.nlu_lab.score import Operating, final_intent

    forced = replace(_gated("share_sensitive", "forgot_pin", 0.3, 0.9), intent="share_sensitive", top_confidence=1.0)
    assert final_intent(forced, Operating(0.5, 0.7)) == "share_sensitive"


def test_ood_what_if_thresholds_follow_the_pipeline_order() -> None:
    """Fallback first (on the classifier's confidence), then the gate, whose out_of_scope verdict is final."""
    from tools.nlu_lab.score import GATE_OFF, Operating, final_intent, rejection

    bank = _gated("out_of_scope", "forgot_pin", 0.99, 0.8)
    card = _gated("forgot_pin", "forgot_pin", 0.99, 0.2)
    unsure = _gated("forgot_pin", "forgot_pin", 0.5, 0.1)
    assert final_intent(bank, Operating(0.5, 0.7)) == "out_of_scope"
    assert final_intent(bank, Operating(GATE_OFF, 0.7)) == "forgot_pin"
    # An unsure classifier does not turn the gate's verdict into the "which of these?" question.
    assert final_intent(_gated("out_of_scope", "forgot_pin", 0.6, 0.8), Operating(0.5, 0.7)) == "out_of_scope"
    assert final_intent(card, Operating(0.5, 0.7)) == "forgot_pin"
    assert final_intent(unsure, Operating(0.5, 0.7)) == "nlu_fallback"
    assert rejection([bank, card], Operating(0.5, 0.7)) == pytest.approx(0.5)


def test_ood_operating_point_is_chosen_by_utility() -> None:
    """On a toy validation split the gate that rejects the bank message without touching the card wins."""
    from tools.nlu_lab.score import choose_operating_point

    validation = [_gated("out_of_scope", "forgot_pin", 0.99, 0.8), _gated("forgot_pin", "forgot_pin", 0.99, 0.2)]
    chosen = choose_operating_point(validation, has_gate=True)
    assert 0.2 < chosen["gate"] <= 0.8 and chosen["utility"] == pytest.approx(1.0)


def test_ood_operating_point_one_utterance_worse_is_not_a_tie() -> None:
    """A higher gate that answers one more in-scope message but lets an out-of-domain one through loses."""
    from tools.nlu_lab.score import choose_operating_point

    bank = _gated("out_of_scope", "forgot_pin", 0.99, 0.57)
    card = _gated("forgot_pin", "forgot_pin", 0.99, 0.58)  # in scope, yet scored a little more out of domain
    fillers = [_gated("forgot_pin", "forgot_pin", 0.99, 0.2) for _ in range(8)]
    # gate <= 0.55: bank rejected (+1), card rejected (0): 9 of 10; gate >= 0.6: bank answered (-1), card (+1): 8.
    chosen = choose_operating_point([bank, card] + fillers, has_gate=True)
    assert chosen["gate"] == pytest.approx(0.55) and chosen["utility"] == pytest.approx(0.9)


def test_a_model_not_trained_by_the_run_shows_no_training_figure() -> None:
    """`--model` gives NaN train seconds: the tables say "—" and no training target is judged on it."""
    from tools.nlu_lab.report import measured, targets_section

    assert measured(float("nan")) == "—" and measured(304.26) == "304.3" and measured(1234.4, 0) == "1234"
    summary = {"intent": {"accuracy": 0.97}, "latency": {"p50_ms": 6.6}}
    baseline = {"summary": {"intent": {"accuracy": 0.9}}}
    judged = targets_section({"summary": {**summary, "train_seconds": 301.0}}, [baseline])
    assert "| training ≤ 300 s | 301.0 s | **missed** |" in judged
    assert "training" not in targets_section({"summary": {**summary, "train_seconds": float("nan")}}, [baseline])
