"""DomainGate (issue 9): trains on sparse sentence features, overrides to out_of_scope when confident."""

from pathlib import Path
from typing import Any, Dict, List, Sequence

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components.domain_gate import GATE_KEY, DomainGate

# Two made-up features: column 0 = "card words", column 1 = "bank words".
IN_DOMAIN = [1.0, 0.0]
OUT_OF_DOMAIN = [0.0, 1.0]


def _message(vector: List[float], intent: str = "", ranking: Sequence[Dict[str, Any]] = ()) -> Message:
    message = Message(data={TEXT: "x"})
    if intent:
        message.set(INTENT, intent)
    message.add_features(Features(scipy.sparse.coo_matrix(np.array([vector])), FEATURE_TYPE_SENTENCE, TEXT, "test"))
    if ranking:
        message.set(INTENT, dict(ranking[0]), add_to_output=True)
        message.set(INTENT_RANKING_KEY, [dict(r) for r in ranking], add_to_output=True)
    return message


@pytest.fixture()
def gate(tmp_path: Path) -> DomainGate:
    """A gate trained on 10 in-domain and 10 out-of-domain toy examples."""
    storage = LocalModelStorage(tmp_path)
    component = DomainGate({**DomainGate.get_default_config(), "C": 10.0}, storage, Resource("gate"))
    examples = [_message(IN_DOMAIN, "forgot_pin") for _ in range(10)] + [
        _message(OUT_OF_DOMAIN, "out_of_scope") for _ in range(10)
    ]
    component.train(TrainingData(training_examples=examples))
    return component


RANKING = [{"name": "forgot_pin", "confidence": 0.9}, {"name": "out_of_scope", "confidence": 0.1}]


def test_out_of_domain_message_is_overridden(gate: DomainGate) -> None:
    message = _message(OUT_OF_DOMAIN, ranking=RANKING)
    gate.process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"
    assert message.get(INTENT_RANKING_KEY)[0]["name"] == "out_of_scope"
    assert [r["name"] for r in message.get(INTENT_RANKING_KEY)].count("out_of_scope") == 1
    # What the classifier said is kept for evaluation.
    assert message.get(GATE_KEY)["intent_before"] == "forgot_pin"
    assert message.get(GATE_KEY)["ood_probability"] >= 0.5


def test_the_gate_replaces_the_fallback_and_records_the_classifier_intent(gate: DomainGate) -> None:
    # FallbackClassifier runs first: an unsure classifier's nlu_fallback leads the ranking.
    ranking = [{"name": "nlu_fallback", "confidence": 0.7}, *RANKING]
    message = _message(OUT_OF_DOMAIN, ranking=ranking)
    gate.process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"
    assert "nlu_fallback" not in [r["name"] for r in message.get(INTENT_RANKING_KEY)]
    assert message.get(GATE_KEY)["intent_before"] == "forgot_pin"
    assert message.get(GATE_KEY)["confidence_before"] == pytest.approx(0.9)


def test_in_domain_message_is_left_alone(gate: DomainGate) -> None:
    message = _message(IN_DOMAIN, ranking=RANKING)
    gate.process([message])
    assert message.get(INTENT) == RANKING[0]
    assert message.get(GATE_KEY)["ood_probability"] < 0.5


def test_share_sensitive_is_never_overridden(gate: DomainGate) -> None:
    message = _message(OUT_OF_DOMAIN, ranking=[{"name": "share_sensitive", "confidence": 1.0}])
    gate.process([message])
    assert message.get(INTENT)["name"] == "share_sensitive"


def test_untrained_gate_stays_open(tmp_path: Path) -> None:
    component = DomainGate(DomainGate.get_default_config(), LocalModelStorage(tmp_path), Resource("gate"))
    message = _message(OUT_OF_DOMAIN, ranking=RANKING)
    component.process([message])
    assert message.get(INTENT) == RANKING[0] and message.get(GATE_KEY) is None


def test_trained_gate_loads_with_the_same_scores(gate: DomainGate, tmp_path: Path) -> None:
    storage = gate._storage
    loaded = DomainGate.load(gate._config, storage, Resource("gate"), execution_context=None)
    for vector in (IN_DOMAIN, OUT_OF_DOMAIN, [1.0, 1.0]):
        assert loaded.ood_probability(_message(vector)) == pytest.approx(gate.ood_probability(_message(vector)))


def test_tfidf_weighting_normalises_length_and_discounts_common_features(tmp_path: Path) -> None:
    # Column 0 is in every example (like 暗証番号), column 1 only in-domain, column 2 only out-of-domain.
    component = DomainGate(DomainGate.get_default_config(), LocalModelStorage(tmp_path), Resource("gate"))
    examples = [_message([1.0, 1.0, 0.0], "forgot_pin") for _ in range(10)] + [
        _message([1.0, 0.0, 1.0], "out_of_scope") for _ in range(10)
    ]
    component.train(TrainingData(training_examples=examples))
    weighted = component._weigh(scipy.sparse.csr_matrix(np.array([[7.0, 0.0, 1.0]]))).toarray()[0]
    assert np.linalg.norm(weighted) == pytest.approx(1.0)
    # Sublinear counts and the idf shrink the raw 7:1 of a repeated common feature.
    assert weighted[0] / weighted[2] < 7.0 / 2
    # A repeated common word cannot drown the one word that names the owner.
    probability = component.ood_probability(_message([7.0, 0.0, 1.0]))
    assert probability is not None and probability >= 0.5


def test_raw_weighting_keeps_the_featurizers_counts(tmp_path: Path) -> None:
    config = {**DomainGate.get_default_config(), "weighting": "raw"}
    component = DomainGate(config, LocalModelStorage(tmp_path), Resource("gate"))
    examples = [_message(IN_DOMAIN, "forgot_pin") for _ in range(5)] + [
        _message(OUT_OF_DOMAIN, "out_of_scope") for _ in range(5)
    ]
    component.train(TrainingData(training_examples=examples))
    matrix = scipy.sparse.csr_matrix(np.array([[3.0, 0.0]]))
    assert (component._weigh(matrix) != matrix).nnz == 0


@pytest.mark.parametrize("weighting", ["tfidf", "raw"])
def test_fast_scoring_equals_the_matrix_arithmetic(tmp_path: Path, weighting: str) -> None:
    """ood_probability works on the non-zero entries; it must agree with `_weigh` on the stacked matrix."""
    rng = np.random.default_rng(7)

    def message(intent: str, repeated: bool = False) -> Message:
        result = Message(data={TEXT: "x", INTENT: intent})
        for origin, width in enumerate([5, 3, 8]):  # three featurizers side by side, as in config.yml
            dense = rng.integers(0, 3, size=(1, width)).astype(float)
            result.add_features(Features(scipy.sparse.coo_matrix(dense), FEATURE_TYPE_SENTENCE, TEXT, f"f{origin}"))
        # A coordinate stored twice: scipy adds such entries up, so must the fast path.
        block = scipy.sparse.coo_matrix(
            ([1.0, 2.0] if repeated else [3.0], ([0] * (1 + repeated), [1] * (1 + repeated))), shape=(1, 4)
        )
        result.add_features(Features(block, FEATURE_TYPE_SENTENCE, TEXT, "f3"))
        return result

    component = DomainGate(
        {**DomainGate.get_default_config(), "weighting": weighting}, LocalModelStorage(tmp_path), Resource("g")
    )
    component.train(
        TrainingData(training_examples=[message("forgot_pin" if i % 2 else "out_of_scope") for i in range(40)])
    )
    for probe in [message("forgot_pin"), message("forgot_pin", repeated=True)]:
        _, sentence = probe.get_sparse_features(TEXT)
        assert sentence is not None
        score = component._weigh(scipy.sparse.csr_matrix(sentence.features)).dot(component._weights)[0]
        expected = 1.0 / (1.0 + np.exp(-(score + component._bias)))
        assert component.ood_probability(probe) == pytest.approx(expected, rel=1e-5)


def _tokenized(words: Sequence[str], intent: str, vector: List[float], number: int = 0) -> Message:
    """A message with tokens (lemma = surface) and one sentence feature block; `number` keeps texts distinct."""
    from rasa.nlu.constants import TOKENS_NAMES
    from rasa.nlu.tokenizers.tokenizer import Token

    message = _message(vector, intent)
    message.set(TEXT, f"{''.join(words)} {number}")  # TrainingData drops repeated texts
    message.set(TOKENS_NAMES[TEXT], [Token(w, i, i + 1, lemma=w) for i, w in enumerate(words)])
    return message


def test_lemma_pairs_tell_whose_pin_it_is(tmp_path: Path) -> None:
    """The same words, in a different order: only the pairs (銀行|暗証番号 vs カード|暗証番号) tell them apart."""
    config = {**DomainGate.get_default_config(), "C": 10.0, "bigram_min_count": 2}
    component = DomainGate(config, LocalModelStorage(tmp_path), Resource("gate"))
    both = [1.0, 1.0]  # bag-of-words features identical for both sides
    examples = [_tokenized(["カード", "暗証番号", "銀行"], "forgot_pin", both, i) for i in range(10)]
    examples += [_tokenized(["銀行", "暗証番号", "カード"], "out_of_scope", both, i) for i in range(10)]
    component.train(TrainingData(training_examples=examples))
    bank = component.ood_probability(_tokenized(["銀行", "暗証番号", "カード"], "", both))
    card = component.ood_probability(_tokenized(["カード", "暗証番号", "銀行"], "", both))
    assert bank is not None and card is not None
    assert bank > 0.8 > 0.2 > card
    # Stored with the model: a loaded gate scores the same.
    loaded = DomainGate.load(config, LocalModelStorage(tmp_path), Resource("gate"), None)
    assert loaded.ood_probability(_tokenized(["銀行", "暗証番号", "カード"], "", both)) == pytest.approx(bank)


def test_pairs_seen_once_are_not_features(tmp_path: Path) -> None:
    config = {**DomainGate.get_default_config(), "bigram_min_count": 2}
    component = DomainGate(config, LocalModelStorage(tmp_path), Resource("gate"))
    examples = [_tokenized(["a", "b"], "forgot_pin", IN_DOMAIN), _tokenized(["c", "d"], "out_of_scope", OUT_OF_DOMAIN)]
    examples += [
        _tokenized(["x", "y"], "forgot_pin", IN_DOMAIN, 1),
        _tokenized(["x", "y"], "out_of_scope", OUT_OF_DOMAIN, 2),
    ]
    component.train(TrainingData(training_examples=examples))
    assert list(component._bigrams) == ["x|y"]
