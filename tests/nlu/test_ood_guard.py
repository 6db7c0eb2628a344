"""CI guard (issue 9): out-of-domain rejection and lookalike accuracy must not drop below the measured level.

tests/nlu/out_of_domain.yml and tests/nlu/contrast.yml were written by another helper, are never trained on
and never tuned on (thresholds come from tests/nlu/validation_independent.yml). The OOD floor is issue 9's target,
the contrast floor the figure of `make eval-nlu` (docs/nlu.md, "Out of domain") minus a small margin.
"""

from typing import Any, List

import pytest

from tools.nlu_lab.data import Example, Prediction, contrast_items, from_rasa_parse, ood_items
from tools.nlu_lab.models import REPO_ROOT
from tools.nlu_lab.score import REJECTED

SETS = REPO_ROOT / "tests" / "nlu"
# Measured on 2026-12-02 (issue 9 round 5: fallback 0.5, then the gate at 0.55 with lemma pairs) on the full
# model of `make train`, which is what CI tests and what `make eval-nlu` reports: OOD rejection 0.973
# (target 0.97), contrast accuracy 0.911. The OOD floor is issue 9's target itself (a data edit that lets it
# fall below must fail CI; training is deterministic, so there is no noise to absorb); contrast has no target
# of its own and keeps ~3 messages (n=112) of margin.
OOD_REJECTION_FLOOR = 0.97
CONTRAST_ACCURACY_FLOOR = 0.88


def _parse(parser: Any, items: List[dict]) -> List[Prediction]:
    return [from_rasa_parse(Example(i["text"], i["intent"]), parser.parse(i["text"]), 0.0) for i in items]


@pytest.fixture(scope="module")
def ood_predictions(nlu_parser: Any) -> List[Prediction]:
    """Every out-of-domain message parsed once by the model under test."""
    items = ood_items(str(SETS / "out_of_domain.yml"))
    assert len(items) >= 400
    return _parse(nlu_parser, items)


def test_out_of_domain_rejection(ood_predictions: List[Prediction]) -> None:
    rejected = sum(p.intent in REJECTED for p in ood_predictions) / len(ood_predictions)
    assert rejected >= OOD_REJECTION_FLOOR, f"OOD rejection {rejected:.3f} < floor {OOD_REJECTION_FLOOR}"


def test_contrast_accuracy(nlu_parser: Any) -> None:
    examples, _ = contrast_items(str(SETS / "contrast.yml"))
    lookalikes = [e for e in examples if not e["intent"].startswith("__")]
    predictions = _parse(nlu_parser, lookalikes)
    accuracy = sum(p.intent == p.gold_intent for p in predictions) / len(predictions)
    assert accuracy >= CONTRAST_ACCURACY_FLOOR, f"contrast accuracy {accuracy:.3f} < floor {CONTRAST_ACCURACY_FLOOR}"
