"""Choose FallbackClassifier thresholds from out-of-fold confidences.

Utility of one answer: +1 if right (a fallback on out-of-scope text counts as
right), 0 for a fallback on in-scope text (the bot asks to rephrase: annoying
but harmless), -1 for a wrong intent (the resident gets a confidently wrong
procedure). Fallback then pays off exactly where a prediction is more likely
wrong than right.
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

from tools.nlu_lab.predictions import OUT_OF_SCOPE_INTENT, Prediction

SHARE_SENSITIVE_INTENT = "share_sensitive"

THRESHOLD_GRID = tuple(round(0.05 * i, 2) for i in range(0, 20))
AMBIGUITY_GRID = tuple(round(0.05 * i, 2) for i in range(0, 11))


def falls_back(prediction: Prediction, threshold: float, ambiguity: float) -> bool:
    """What FallbackClassifier would do with this prediction's scores."""
    if _forced_by_privacy_override(prediction):
        # PrivacyIntentOverride runs after FallbackClassifier and wins.
        return False
    margin = prediction.top_confidence - prediction.second_confidence
    return prediction.top_confidence < threshold or margin < ambiguity


def _forced_by_privacy_override(prediction: Prediction) -> bool:
    return prediction.top_intent == SHARE_SENSITIVE_INTENT and prediction.top_confidence >= 1.0


def utility(predictions: Sequence[Prediction], threshold: float, ambiguity: float) -> float:
    """Mean utility (see module docstring) under the given thresholds."""
    total = 0
    for p in predictions:
        if falls_back(p, threshold, ambiguity):
            total += 1 if p.gold_intent == OUT_OF_SCOPE_INTENT else 0
        else:
            total += 1 if p.top_intent == p.gold_intent else -1
    return total / len(predictions) if predictions else 0.0


def _fallback_count(predictions: Sequence[Prediction], threshold: float, ambiguity: float) -> int:
    return sum(falls_back(p, threshold, ambiguity) for p in predictions)


def choose_thresholds(predictions: Sequence[Prediction]) -> Dict[str, Any]:
    """Grid search for the best utility.

    Settings within one utterance's worth of utility (1/n) of the best count
    as equally good (a single utterance is noise, not signal); among those the
    fewest fallbacks win, then the smaller ambiguity threshold (the confidence
    threshold is the primary mechanism), then the smaller threshold.
    """
    grid: List[Tuple[float, float, float]] = [
        (utility(predictions, t, a), t, a) for t in THRESHOLD_GRID for a in AMBIGUITY_GRID
    ]
    best_utility = max(u for u, _, _ in grid)
    tolerance = 1.0 / max(1, len(predictions))
    _, threshold, ambiguity = min(
        ((u, t, a) for u, t, a in grid if u >= best_utility - tolerance - 1e-12),
        key=lambda row: (_fallback_count(predictions, row[1], row[2]), row[2], row[1]),
    )
    best_utility = utility(predictions, threshold, ambiguity)
    return {
        "threshold": threshold,
        "ambiguity_threshold": ambiguity,
        "utility": best_utility,
        "utility_no_fallback": utility(predictions, 0.0, 0.0),
        "by_threshold": [{"threshold": t, "utility": utility(predictions, t, ambiguity)} for t in THRESHOLD_GRID],
        "by_ambiguity": [
            {"ambiguity_threshold": a, "utility": utility(predictions, threshold, a)} for a in AMBIGUITY_GRID
        ],
    }


def score_distributions(predictions: Sequence[Prediction]) -> Dict[str, Dict[str, Any]]:
    """Top-1 confidence and top1-top2 margin quantiles per group."""
    groups = {
        "in-scope, right": [
            p for p in predictions if p.gold_intent != OUT_OF_SCOPE_INTENT and p.top_intent == p.gold_intent
        ],
        "in-scope, wrong": [
            p for p in predictions if p.gold_intent != OUT_OF_SCOPE_INTENT and p.top_intent != p.gold_intent
        ],
        "out-of-scope": [p for p in predictions if p.gold_intent == OUT_OF_SCOPE_INTENT],
    }
    return {name: _quantiles(members) for name, members in groups.items()}


def _quantiles(predictions: Sequence[Prediction]) -> Dict[str, Any]:
    if not predictions:
        return {"n": 0}
    confidence = np.asarray([p.top_confidence for p in predictions])
    margin = np.asarray([p.top_confidence - p.second_confidence for p in predictions])
    points = (5, 10, 25, 50)
    return {
        "n": len(predictions),
        "confidence": {f"p{q}": float(np.percentile(confidence, q)) for q in points},
        "margin": {f"p{q}": float(np.percentile(margin, q)) for q in points},
        "confidence_below": {str(t): float((confidence < t).mean()) for t in (0.3, 0.5, 0.7, 0.9)},
    }
