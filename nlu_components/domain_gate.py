"""Domain gate: a small in-domain / out-of-domain classifier that can override the intent."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

# Key of the gate's output in /model/parse (also read by scripts/nlu_eval to
# sweep the threshold without retraining).
GATE_KEY = "domain_gate"
MODEL_FILE = "domain_gate.npz"
# What FallbackClassifier predicts when the classifier is unsure; the gate's verdict replaces it.
FALLBACK_INTENT = "nlu_fallback"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class DomainGate(GraphComponent):
    """Logistic regression on the sentence-level sparse features: out_of_scope vs the rest.

    DIET is trained to tell 21 intents apart and spreads its confidence over
    them; a message about a bank card's PIN shares most words with
    forgot_pin, so DIET is confidently wrong. A binary classifier trained only
    on "is this about the card's PINs at all" sees the same features with one
    question to answer. When its out-of-domain probability reaches
    `threshold`, the intent becomes `out_of_domain_intent` with that
    probability as confidence. Place it after FallbackClassifier (and before
    PrivacyIntentOverride): the fallback asks the resident to choose when the
    classifier is unsure, but a message the gate calls out of domain gets the
    honest "not here" answer, whatever the fallback said.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Returns the component's default config."""
        return {
            "threshold": 0.5,
            "out_of_domain_intent": "out_of_scope",
            # Inverse L2 strength of the logistic regression.
            "C": 1.0,
            # "tfidf": sublinear counts times inverse document frequency, rows L2-normalised, so that a long
            # message or a frequent token (の, 暗証番号) does not outweigh the one word that names the owner
            # (銀行, iPhone); "raw": the featurizers' counts as they are (issue-9 round 2).
            "weighting": "tfidf",
            # Intents never overridden (a secret sent must stay share_sensitive).
            "protected_intents": ["share_sensitive"],
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        weights: Optional[np.ndarray] = None,
        bias: float = 0.0,
        idf: Optional[np.ndarray] = None,
    ) -> None:
        """Stores config and, once trained, the weights."""
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._weights = weights
        self._bias = bias
        self._idf = idf

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> DomainGate:
        """Creates an untrained gate."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> DomainGate:
        """Loads the trained weights (an untrained gate if there are none)."""
        try:
            with model_storage.read_from(resource) as directory:
                data = np.load(directory / MODEL_FILE)
                idf = data["idf"] if "idf" in data.files and data["idf"].size else None
                return cls(config, model_storage, resource, data["weights"], float(data["bias"]), idf)
        except (ValueError, FileNotFoundError, OSError):
            logger.warning("DomainGate: no trained weights found; the gate stays open")
            return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the logistic regression on the training examples' sentence features."""
        from sklearn.linear_model import LogisticRegression

        rows, labels = [], []
        for message in training_data.intent_examples:
            features = _sentence_features(message)
            if features is None:
                continue
            rows.append(features)
            labels.append(message.get(INTENT) == self._config["out_of_domain_intent"])
        if len(set(labels)) < 2:
            logger.warning("DomainGate: need both in- and out-of-domain examples; the gate stays open")
            return self._resource
        matrix = scipy.sparse.vstack(rows).tocsr()
        matrix.sum_duplicates()
        if self._config["weighting"] == "tfidf":
            document_frequency = np.bincount(matrix.indices, minlength=matrix.shape[1])
            self._idf = (np.log((1 + matrix.shape[0]) / (1 + document_frequency)) + 1).astype(np.float32)
        model = LogisticRegression(C=self._config["C"], class_weight="balanced", max_iter=2000)
        model.fit(self._weigh(matrix), np.array(labels))
        self._weights = model.coef_[0].astype(np.float32)
        self._bias = float(model.intercept_[0])
        idf = self._idf if self._idf is not None else np.zeros(0, dtype=np.float32)
        with self._storage.write_to(self._resource) as directory:
            np.savez(directory / MODEL_FILE, weights=self._weights, bias=np.array(self._bias), idf=idf)
        return self._resource

    def _weigh(self, matrix: scipy.sparse.csr_matrix) -> scipy.sparse.csr_matrix:
        """The features as the regression sees them (see the ``weighting`` option)."""
        if self._idf is None:
            return matrix
        weighted = matrix.astype(np.float32)
        weighted.data = np.log1p(np.abs(weighted.data))
        weighted = weighted.multiply(self._idf).tocsr()
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1))).ravel()
        norms[norms == 0] = 1.0
        return scipy.sparse.diags(1.0 / norms).dot(weighted).tocsr()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to add to training data."""
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Scores each message and overrides its intent when it is out of domain."""
        for message in messages:
            probability = self.ood_probability(message)
            if probability is None:
                continue
            intent = _classifier_intent(message)
            message.set(
                GATE_KEY,
                {
                    "ood_probability": round(probability, 4),
                    # What the classifiers said, so evaluation can undo the gate.
                    "intent_before": intent.get(INTENT_NAME_KEY),
                    "confidence_before": intent.get(PREDICTED_CONFIDENCE_KEY),
                },
                add_to_output=True,
            )
            if probability >= self._config["threshold"] and intent.get(INTENT_NAME_KEY) not in set(
                self._config["protected_intents"]
            ):
                self._override(message, probability)
        return messages

    def ood_probability(self, message: Message) -> Optional[float]:
        """P(out of domain) of one featurized message; None if untrained or featureless."""
        features = _sentence_features(message)
        if self._weights is None or features is None or features.shape[1] != self._weights.shape[0]:
            return None
        score = float(self._weigh(features).dot(self._weights)[0]) + self._bias
        return float(1.0 / (1.0 + np.exp(-score)))

    def _override(self, message: Message, probability: float) -> None:
        name = self._config["out_of_domain_intent"]
        forced = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: probability}
        rest = [
            r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) not in {name, FALLBACK_INTENT}
        ]
        message.set(INTENT, forced, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [dict(forced)] + rest, add_to_output=True)


def _classifier_intent(message: Message) -> Dict[Text, Any]:
    """The classifiers' top intent, looking past the FallbackClassifier's nlu_fallback (the gate runs after it)."""
    intent = message.get(INTENT) or {}
    if intent.get(INTENT_NAME_KEY) != FALLBACK_INTENT:
        return intent
    ranked = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != FALLBACK_INTENT]
    return ranked[0] if ranked else intent


def _sentence_features(message: Message) -> Optional[scipy.sparse.csr_matrix]:
    """All featurizers' sparse sentence features of the text, side by side (1 × d)."""
    _, sentence = message.get_sparse_features(TEXT)
    if sentence is None:
        return None
    return scipy.sparse.csr_matrix(sentence.features)
