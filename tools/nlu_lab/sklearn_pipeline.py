"""Plain scikit-learn baseline: TF-IDF over character n-grams + logistic regression."""

from __future__ import annotations

import pickle
import time
from pathlib import Path
from typing import Any, Dict, Sequence, Tuple

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from tools.nlu_lab.dataset import Example


def build_baseline(seed: int) -> Pipeline:
    """Untrained baseline; char n-grams need no Japanese tokenizer."""
    return Pipeline(
        [
            ("tfidf", TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)),
            ("clf", LogisticRegression(C=10.0, max_iter=2000, random_state=seed)),
        ]
    )


def train_sklearn(examples: Sequence[Example], out_dir: str, seed: int) -> Tuple[str, float]:
    """Fits the baseline and pickles it; returns (artifact path, training seconds)."""
    model = build_baseline(seed)
    started = time.perf_counter()
    model.fit([e.text for e in examples], [e.intent for e in examples])
    seconds = time.perf_counter() - started
    path = Path(out_dir) / "sklearn_baseline.pkl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(model))
    return str(path), seconds


class SklearnParser:
    """Wraps the pickled baseline in a /model/parse-like interface."""

    def __init__(self, artifact: str) -> None:
        """Loads the pickled pipeline (our own file, written by `train_sklearn`)."""
        self._model: Pipeline = pickle.loads(Path(artifact).read_bytes())

    def parse(self, text: str) -> Dict[str, Any]:
        """Intent and ranking for `text`; this baseline extracts no entities."""
        probabilities = self._model.predict_proba([text])[0]
        ranking = sorted(zip(self._model.classes_, probabilities, strict=True), key=lambda pair: pair[1], reverse=True)
        intent_ranking = [{"name": str(n), "confidence": float(c)} for n, c in ranking[:10]]
        return {"text": text, "intent": intent_ranking[0], "intent_ranking": intent_ranking, "entities": []}

    def timed_parse(self, text: str) -> Tuple[Dict[str, Any], float]:
        """Parse result and its latency in milliseconds."""
        started = time.perf_counter()
        result = self.parse(text)
        return result, (time.perf_counter() - started) * 1000.0

    def close(self) -> None:
        """Nothing to release."""
