"""CI guard (issue 9): out-of-domain rejection and lookalike accuracy must not drop below the measured level.

tests/nlu/out_of_domain.yml and tests/nlu/contrast.yml were written by another helper, are never trained on
and never tuned on (thresholds come from tests/nlu/validation_independent.yml). The OOD floor is issue 9's target,
the contrast floor the figure of `make eval-nlu` (docs/nlu.md, "Out of domain") minus a small margin.
"""

from statistics import mean
from typing import Any, Callable, List

from tools.nlu_lab.data import Example, Prediction, contrast_items, from_rasa_parse, ood_items
from tools.nlu_lab.models import REPO_ROOT
from tools.nlu_lab.score import REJECTED

SETS = REPO_ROOT / "tests" / "nlu"
# Training is deterministic, but one DIET seed is one draw: issue 23's feedback intents, which have no NLU example,
# moved the served model's OOD rejection from 0.973 to 0.959 with the same NLU data. So the floors judge the mean of
# the served model and the models of two more seeds (`make seed-models`), and no seed may fall more than SEED_SPREAD
# (conftest.py) below (docs/nlu.md "Seeds"). Three-seed means, 2026-12-08: the data landed before issue 23 gives
# OOD 0.971 with held-out accuracy 0.968 (under its 0.97 floor); issue 23's data (360 + 360 examples by helpers who
# never read tests/) gives OOD 0.968 with accuracy 0.973. Neither meets issue 9's two targets together, so the OOD
# floor is that measured level minus ~1.5 messages (n=513), a regression guard, not the target: issue 24 owns
# bringing both back to 0.97. Contrast has no target of its own and keeps ~3 messages of margin (n=112).
OOD_REJECTION_FLOOR = 0.965
CONTRAST_ACCURACY_FLOOR = 0.88


def _parse(parser: Any, items: List[dict]) -> List[Prediction]:
    return [from_rasa_parse(Example(i["text"], i["intent"]), parser.parse(i["text"]), 0.0) for i in items]


def test_out_of_domain_rejection(guard_parsers: List[Any], seeds_meet: Callable[..., None]) -> None:
    items = ood_items(str(SETS / "out_of_domain.yml"))
    assert len(items) >= 400
    figures = [mean(p.intent in REJECTED for p in _parse(parser, items)) for parser in guard_parsers]
    seeds_meet("OOD rejection", figures, OOD_REJECTION_FLOOR)


def test_contrast_accuracy(guard_parsers: List[Any], seeds_meet: Callable[..., None]) -> None:
    examples, _ = contrast_items(str(SETS / "contrast.yml"))
    lookalikes = [e for e in examples if not e["intent"].startswith("__")]
    figures = [mean(p.intent == p.gold_intent for p in _parse(parser, lookalikes)) for parser in guard_parsers]
    seeds_meet("contrast accuracy", figures, CONTRAST_ACCURACY_FLOOR)
