"""CI guard: held-out intent accuracy and macro-F1 must meet issue 9's targets, entity F1 its measured level.

The held-out set (tests/nlu/heldout.yml) is never trained on. DIET's random_seed is fixed, so the same data
and config give the same model (figures in docs/nlu.md); the floors judge the mean of three seeds, as the
OOD guard does (test_ood_guard.py).
"""

from typing import Any, Callable, Dict, List

import pytest

from tools.nlu_lab.data import Example, Prediction, from_rasa_parse, load_examples
from tools.nlu_lab.models import REPO_ROOT
from tools.nlu_lab.score import entity_metrics, intent_metrics

# Measured on 2026-11-22 with data/nlu of that day (1092 examples), see
# docs/nlu.md "Regression guard":
#   NLU-only model (`make eval-nlu`, also what this session trains without
#   RASA_MODEL): accuracy 0.977, macro-F1 0.978, entity F1 (value) 0.857;
#   full model of `make train` (domain + data): 0.984, 0.983, 0.850.
# Issue 9 (DomainGate 0.9, fallback 0.55, more out_of_scope data), 2026-12-01: NLU-only
#   0.971, 0.974, 0.852; full model 0.971, 0.971, 0.865.
# Issue 9 round 4 (fallback 0.7 then gate 0.6, chosen on tests/nlu/validation_independent.yml), 2026-12-02:
#   NLU-only 0.961, 0.968, 0.860; full model 0.961, 0.968, 0.870 (the gate now rejects ~4 more
#   in-scope utterances: docs/nlu.md "Out of domain").
# Issue 9 round 5 (in-scope coverage, hard negatives, lemma pairs in the gate; gate 0.55, fallback 0.5),
#   2026-12-02: full model of `make train` (which `make eval-nlu` now evaluates) 0.974, 0.979, 0.870.
# Accuracy and macro-F1 are floored at issue 9's targets (accuracy >= 0.97, no drop below the macro-F1 of
# 0.978 it started from): a data edit that breaks them must fail CI, not pass on a margin. Training is
# deterministic (the same figures on the Intel Xeon and AMD EPYC machines of 2026-12-02), so there is no noise
# to absorb. Entity F1 has no target of its own: its floor leaves ~2-3 entities of margin.
ACCURACY_FLOOR = 0.97
MACRO_F1_FLOOR = 0.978
ENTITY_F1_FLOOR = 0.84


@pytest.fixture(scope="module")
def heldout_runs(guard_parsers: List[Any]) -> List[List[Prediction]]:
    """Every held-out utterance parsed once by each seed's model (the served model first)."""
    examples: List[Example] = load_examples(str(REPO_ROOT / "tests" / "nlu" / "heldout.yml"))
    assert len(examples) >= 200, "held-out set unexpectedly small"
    return [[from_rasa_parse(e, parser.parse(e.text), 0.0) for e in examples] for parser in guard_parsers]


def _intent_figures(runs: List[List[Prediction]], key: str) -> List[float]:
    return [intent_metrics(run)[key] for run in runs]


def test_heldout_intent_accuracy(heldout_runs: List[List[Prediction]], seeds_meet: Callable[..., None]) -> None:
    seeds_meet("held-out accuracy", _intent_figures(heldout_runs, "accuracy"), ACCURACY_FLOOR)


def test_heldout_macro_f1(heldout_runs: List[List[Prediction]], seeds_meet: Callable[..., None]) -> None:
    seeds_meet("held-out macro-F1", _intent_figures(heldout_runs, "macro_f1"), MACRO_F1_FLOOR)


def test_heldout_entity_f1(heldout_runs: List[List[Prediction]], seeds_meet: Callable[..., None]) -> None:
    figures = [entity_metrics(run)["value"]["f1"] for run in heldout_runs]
    seeds_meet("held-out entity F1", figures, ENTITY_F1_FLOOR)


def test_every_intent_is_recognised_at_least_once(heldout_runs: List[List[Prediction]]) -> None:
    per_intent: Dict[str, Any] = intent_metrics(heldout_runs[0])["per_intent"]
    dead = sorted(intent for intent, scores in per_intent.items() if scores["recall"] == 0.0)
    assert not dead, f"intents of the served model never recognised on held-out: {dead}"
