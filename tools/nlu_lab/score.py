"""Scores over `Prediction`s: intent, entity, fallback and latency metrics, and what-if thresholds.

Utility of one answer, for choosing thresholds: +1 if right (a rejection of out-of-scope text counts as right), 0
for a rejection of in-scope text (the bot asks to rephrase: annoying but harmless), -1 for a wrong intent (the
resident gets a confidently wrong procedure). Rejecting then pays off exactly where a prediction is more likely
wrong than right. `choose_operating_point` (issue 9) rejects with the fallback and DomainGate thresholds as the
pipeline orders them (`final_intent`).
"""

from __future__ import annotations

import operator
from collections import Counter
from dataclasses import dataclass
from typing import AbstractSet, Any, Callable, Dict, Iterable, List, Optional, Sequence

import numpy as np

from tools.nlu_lab.data import (
    AMBIGUOUS_GOLD,
    AMBIGUOUS_INTENT,
    FALLBACK_INTENT,
    OUT_OF_SCOPE_INTENT,
    SHARE_SENSITIVE_INTENT,
    Entity,
    Prediction,
    normalized_text,
)

REJECTED = (OUT_OF_SCOPE_INTENT, FALLBACK_INTENT)
THRESHOLD_GRID = tuple(round(0.05 * i, 2) for i in range(0, 20))
GATE_OFF = 1.01  # a gate threshold no probability reaches
GATE_GRID = tuple(round(0.3 + 0.05 * i, 2) for i in range(14)) + (GATE_OFF,)


def _mean(flags: Iterable[bool]) -> float:
    values = list(flags)
    return sum(values) / len(values) if values else 0.0


def intent_metrics(predictions: Sequence[Prediction]) -> Dict[str, Any]:
    """Accuracy and macro-F1 over gold intents (`heldout_scores` as the model ran), per-intent scores, confusions."""
    from sklearn.metrics import precision_recall_fscore_support

    gold = [p.gold_intent for p in predictions]
    top = [p.top_intent for p in predictions]
    labels = sorted(set(gold))
    precision, recall, f1, support = precision_recall_fscore_support(gold, top, labels=labels, zero_division=0)
    confusions = Counter((g, t) for g, t in zip(gold, top, strict=True) if g != t)
    return {
        "n": len(predictions),
        **heldout_scores(predictions, None),
        "per_intent": {
            label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        },
        "confusions": [{"gold": g, "predicted": t, "count": c} for (g, t), c in confusions.most_common()],
    }


def fallback_metrics(predictions: Sequence[Prediction]) -> Dict[str, Any]:
    """How often the fallback fires on out-of-scope vs in-scope text."""
    oos = [p for p in predictions if p.gold_intent == OUT_OF_SCOPE_INTENT]
    in_scope = [p for p in predictions if p.gold_intent != OUT_OF_SCOPE_INTENT]
    return {
        "oos_n": len(oos),
        "oos_fallback_rate": _mean(p.intent == FALLBACK_INTENT for p in oos),
        "oos_handled_rate": rejection(oos, None),
        "in_scope_n": len(in_scope),
        "in_scope_fallback_rate": _mean(p.intent == FALLBACK_INTENT for p in in_scope),
    }


def entity_metrics(predictions: Sequence[Prediction]) -> Dict[str, Any]:
    """Micro P/R/F1 on exact spans and on (entity, canonical value), per type too."""

    def prf(key: Callable[[Entity], Any], only: str = "") -> Dict[str, float]:
        tp = fp = fn = 0
        for p in predictions:
            gold = Counter(key(e) for e in p.gold_entities if only in ("", e.entity))
            found = Counter(key(e) for e in p.entities if only in ("", e.entity))
            hits = sum((gold & found).values())
            tp, fp, fn = tp + hits, fp + sum(found.values()) - hits, fn + sum(gold.values()) - hits
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}

    value = operator.attrgetter("entity", "value")
    types = sorted({e.entity for p in predictions for e in p.gold_entities})
    return {
        "span": prf(lambda e: (e.entity, e.start, e.end)),
        "value": prf(value),
        "per_type_value_f1": {t: prf(value, t)["f1"] for t in types},
    }


def latency_metrics(latencies_ms: Sequence[float]) -> Dict[str, float]:
    """p50 / p95 / max of per-utterance parse latencies."""
    values = np.asarray(latencies_ms or [0.0], dtype=float)  # nothing parsed: 0 everywhere
    p50, p95 = np.percentile(values, [50, 95])
    return {"p50_ms": float(p50), "p95_ms": float(p95), "max_ms": float(values.max())}


def summarize(
    predictions: List[Prediction], run: Optional[Dict[str, Any]] = None, seen_texts: AbstractSet[str] = frozenset()
) -> Dict[str, Any]:
    """All metrics for one set of predictions (+ time and memory of the run).

    `seen_texts` (normalized training utterances) adds intent metrics on the
    test utterances that do not also occur in the training data.
    """
    unseen = intent_metrics([p for p in predictions if normalized_text(p.text) not in seen_texts])
    summary: Dict[str, Any] = {
        "intent": intent_metrics(predictions),
        "entities": entity_metrics(predictions),
        "fallback": fallback_metrics(predictions),
        "latency": latency_metrics([p.latency_ms for p in predictions]),
        "intent_unseen": {k: unseen[k] for k in ("n", "accuracy", "macro_f1")},
    }
    if run is not None:
        summary |= {k: run["train"][k] for k in ("train_seconds", "train_peak_rss_mb")}
        summary |= {k: run["evaluate"][k] for k in ("serving_rss_mb", "load_seconds")}
    return summary


@dataclass(frozen=True)
class Operating:
    """A setting of the two thresholds: DomainGate's and FallbackClassifier's."""

    gate: float
    fallback: float


def final_intent(p: Prediction, op: Optional[Operating]) -> str:
    """The intent /model/parse would return under `op` (None: as the model was run)."""
    if op is None or (p.intent == SHARE_SENSITIVE_INTENT and p.top_confidence >= 1.0):
        return p.intent  # PrivacyIntentOverride runs last and wins
    intent = p.intent_before_gate if p.intent_before_gate is not None else p.top_intent
    confidence = p.confidence_before_gate if p.confidence_before_gate is not None else p.top_confidence
    if p.ood_probability is not None and p.ood_probability >= op.gate and intent != SHARE_SENSITIVE_INTENT:
        return OUT_OF_SCOPE_INTENT  # the gate runs after FallbackClassifier: its verdict is final
    return FALLBACK_INTENT if confidence < op.fallback else intent


def rejection(predictions: Sequence[Prediction], op: Optional[Operating]) -> float:
    """Share of predictions ending in out_of_scope or nlu_fallback."""
    return _mean(final_intent(p, op) in REJECTED for p in predictions)


def in_scope_recall(predictions: Sequence[Prediction], op: Optional[Operating]) -> float:
    """Share of in-scope gold utterances whose final intent is the gold one."""
    return _mean(final_intent(p, op) == p.gold_intent for p in predictions if p.gold_intent != OUT_OF_SCOPE_INTENT)


def right_or_rejected(p: Prediction, op: Optional[Operating]) -> bool:
    """Final intent right, a rejection of out-of-scope text counting as right."""
    final = final_intent(p, op)
    return final in REJECTED if p.gold_intent == OUT_OF_SCOPE_INTENT else final == p.gold_intent


def heldout_scores(predictions: Sequence[Prediction], op: Optional[Operating]) -> Dict[str, float]:
    """Held-out accuracy / macro-F1 with the fallback undone (gate counted), and accuracy with it."""
    from sklearn.metrics import f1_score

    gold = [p.gold_intent for p in predictions]
    top = [p.top_intent if op is None else final_intent(p, Operating(op.gate, 0.0)) for p in predictions]
    return {
        "accuracy": _mean(g == t for g, t in zip(gold, top, strict=True)),
        "macro_f1": float(f1_score(gold, top, labels=sorted(set(gold)), average="macro", zero_division=0)),
        "accuracy_with_fallback": _mean(right_or_rejected(p, op) for p in predictions),
        "in_scope_recall": in_scope_recall(predictions, op),
    }


def contrast_scores(
    predictions: Sequence[Prediction], readings: Dict[str, List[str]], op: Optional[Operating]
) -> Dict[str, float]:
    """Lookalike accuracy (final intent = gold) and how the ambiguous items were handled.

    An ambiguous item is handled if the bot asks (ambiguous_password) or gives
    one of its readings (an in-scope intent, or a rejection for out_of_scope).
    """
    examples = [p for p in predictions if p.gold_intent != AMBIGUOUS_GOLD]
    ambiguous = [p for p in predictions if p.gold_intent == AMBIGUOUS_GOLD]

    def handled(p: Prediction) -> bool:
        intent, could_be = final_intent(p, op), readings.get(p.text, [])
        return intent in (AMBIGUOUS_INTENT, *could_be) or (intent in REJECTED and OUT_OF_SCOPE_INTENT in could_be)

    return {
        "accuracy": _mean(final_intent(p, op) == p.gold_intent for p in examples),
        "rejected": _mean(final_intent(p, op) in REJECTED for p in examples),
        "n": len(examples),
        "ambiguous_handled": _mean(handled(p) for p in ambiguous),
        "ambiguous_asked": _mean(final_intent(p, op) == AMBIGUOUS_INTENT for p in ambiguous),
        "ambiguous_n": len(ambiguous),
    }


def _utility(predictions: Sequence[Prediction], op: Operating) -> float:
    """Mean utility (module docstring) of the final intents under `op`: 1 right, 0 a rejection, -1 wrong."""
    scores = [1 if right_or_rejected(p, op) else 0 if final_intent(p, op) in REJECTED else -1 for p in predictions]
    return sum(scores) / len(scores) if scores else 0.0


def choose_operating_point(validation: Sequence[Prediction], has_gate: bool) -> Dict[str, Any]:
    """Thresholds with the best utility on the validation split (never the test sets).

    Only settings with the best utility qualify; among those the lowest
    fallback threshold wins (fewest fallbacks on in-scope text), then the
    highest gate threshold (fewest overrides). Unlike issue 3's choice on the
    CV predictions, a setting one utterance below the best does not count as
    equal: such ties favoured the higher gate, that is, letting through the
    out-of-domain messages that issue 9 is about (docs/nlu.md, round 5).
    """
    gates = GATE_GRID if has_gate else (GATE_OFF,)
    scored = [(_utility(validation, op), op) for op in (Operating(g, t) for g in gates for t in THRESHOLD_GRID)]
    best = max(u for u, _ in scored)
    op = min((op for u, op in scored if u >= best - 1e-9), key=lambda c: (c.fallback, -c.gate))
    return {"gate": op.gate, "fallback": op.fallback, "utility": best}


def point(ood: Sequence[Prediction], heldout: Sequence[Prediction], op: Operating) -> Dict[str, float]:
    """One point of a threshold curve: rejection on the OOD set and in-scope recall on the held-out set."""
    return {"rejection": rejection(ood, op), "in_scope_recall": in_scope_recall(heldout, op)}


def family_rejection(ood: Sequence[Prediction], families: Dict[str, str], op: Optional[Operating]) -> Dict[str, float]:
    """Rejection per OOD family (family looked up by text)."""
    by_family: Dict[str, List[bool]] = {}
    for p in ood:
        by_family.setdefault(families.get(p.text, "?"), []).append(final_intent(p, op) in REJECTED)
    return {f: _mean(v) for f, v in sorted(by_family.items())}
