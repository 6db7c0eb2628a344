"""Intent, entity, fallback and latency metrics over `Prediction`s."""

from __future__ import annotations

from collections import Counter
from typing import Any, Dict, Iterable, List, Sequence, Tuple

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support

from tools.nlu_lab.dataset import Entity
from tools.nlu_lab.predictions import FALLBACK_INTENT, OUT_OF_SCOPE_INTENT, Prediction


def intent_metrics(predictions: Sequence[Prediction]) -> Dict[str, Any]:
    """Accuracy, macro-F1 over gold intents, per-intent scores and confusions."""
    gold = [p.gold_intent for p in predictions]
    top = [p.top_intent for p in predictions]
    labels = sorted(set(gold))
    precision, recall, f1, support = precision_recall_fscore_support(gold, top, labels=labels, zero_division=0)
    per_intent = {
        label: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i, label in enumerate(labels)
    }
    confusions = Counter((g, t) for g, t in zip(gold, top, strict=True) if g != t)
    return {
        "n": len(predictions),
        "accuracy": _mean(g == t for g, t in zip(gold, top, strict=True)),
        "macro_f1": float(f1_score(gold, top, labels=labels, average="macro", zero_division=0)),
        "accuracy_with_fallback": _mean(_correct_with_fallback(p) for p in predictions),
        "per_intent": per_intent,
        "confusions": [{"gold": g, "predicted": t, "count": c} for (g, t), c in confusions.most_common()],
    }


def _correct_with_fallback(prediction: Prediction) -> bool:
    """Final intent right, counting a fallback on out-of-scope text as right."""
    if prediction.intent == FALLBACK_INTENT:
        return prediction.gold_intent == OUT_OF_SCOPE_INTENT
    return prediction.intent == prediction.gold_intent


def fallback_metrics(predictions: Sequence[Prediction]) -> Dict[str, Any]:
    """How often the fallback fires on out-of-scope vs in-scope text."""
    oos = [p for p in predictions if p.gold_intent == OUT_OF_SCOPE_INTENT]
    in_scope = [p for p in predictions if p.gold_intent != OUT_OF_SCOPE_INTENT]
    return {
        "oos_n": len(oos),
        "oos_fallback_rate": _mean(p.intent == FALLBACK_INTENT for p in oos),
        "oos_handled_rate": _mean(p.intent in (FALLBACK_INTENT, OUT_OF_SCOPE_INTENT) for p in oos),
        "in_scope_n": len(in_scope),
        "in_scope_fallback_rate": _mean(p.intent == FALLBACK_INTENT for p in in_scope),
    }


def entity_metrics(predictions: Sequence[Prediction]) -> Dict[str, Any]:
    """Micro P/R/F1 on exact spans and on (entity, canonical value), per type too."""
    result: Dict[str, Any] = {}
    for name, key in (("span", _span_key), ("value", _value_key)):
        gold = [[key(e) for e in p.gold_entities] for p in predictions]
        pred = [[key(e) for e in p.entities] for p in predictions]
        result[name] = _prf(gold, pred)
    types = sorted({e.entity for p in predictions for e in p.gold_entities})
    result["per_type_value_f1"] = {
        t: _prf(
            [[_value_key(e) for e in p.gold_entities if e.entity == t] for p in predictions],
            [[_value_key(e) for e in p.entities if e.entity == t] for p in predictions],
        )["f1"]
        for t in types
    }
    return result


def _span_key(entity: Entity) -> Tuple[str, int, int]:
    return (entity.entity, entity.start, entity.end)


def _value_key(entity: Entity) -> Tuple[str, str]:
    return (entity.entity, entity.value)


def _prf(gold: List[List[Any]], pred: List[List[Any]]) -> Dict[str, float]:
    """Micro precision/recall/F1 over per-example multisets."""
    tp = fp = fn = 0
    for g, p in zip(gold, pred, strict=True):
        g_count, p_count = Counter(g), Counter(p)
        hits = sum((g_count & p_count).values())
        tp += hits
        fp += sum(p_count.values()) - hits
        fn += sum(g_count.values()) - hits
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}


def latency_metrics(latencies_ms: Sequence[float]) -> Dict[str, float]:
    """p50 / p95 / max of per-utterance parse latencies."""
    if not latencies_ms:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "max_ms": 0.0}
    values = np.asarray(latencies_ms, dtype=float)
    return {
        "p50_ms": float(np.percentile(values, 50)),
        "p95_ms": float(np.percentile(values, 95)),
        "max_ms": float(values.max()),
    }


def _mean(flags: Iterable[bool]) -> float:
    values = list(flags)
    return sum(values) / len(values) if values else 0.0
