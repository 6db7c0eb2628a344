"""Subprocess entry point: train one pipeline, or evaluate one trained artifact.

Each step runs in its own process so that training time, peak memory and the
memory of a process that only serves the model are measured without another
pipeline's TensorFlow or spaCy state in the same address space.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Sequence

WARMUP_TEXTS = ("こんにちは", "暗証番号を忘れました", "三鷹市の受付時間を教えて")


def _train(args: argparse.Namespace) -> Dict[str, Any]:
    from tools.nlu_lab.resources import peak_rss_mb

    if args.kind == "rasa":
        from tools.nlu_lab.rasa_pipeline import train_rasa_nlu

        artifact, seconds = train_rasa_nlu(args.config, args.data, args.out)
    else:
        from tools.nlu_lab.dataset import load_examples
        from tools.nlu_lab.sklearn_pipeline import train_sklearn

        artifact, seconds = train_sklearn(load_examples(args.data), args.out, args.seed)
    return {"artifact": artifact, "train_seconds": seconds, "train_peak_rss_mb": peak_rss_mb()}


def _train_evaluate(args: argparse.Namespace) -> Dict[str, Any]:
    """Train, then evaluate in the same process (CV folds: saves a TensorFlow start)."""
    trained = _train(args)
    args.artifact = trained["artifact"]
    return {**trained, **_evaluate(args)}


def _evaluate(args: argparse.Namespace) -> Dict[str, Any]:
    from tools.nlu_lab.predictions import from_rasa_parse
    from tools.nlu_lab.resources import current_rss_mb

    started = time.perf_counter()
    parser = _parser(args.kind, args.artifact)
    load_seconds = time.perf_counter() - started
    # The first parses trace TensorFlow functions; a server has done that
    # long before a resident's message arrives.
    for text in WARMUP_TEXTS:
        parser.parse(text)
    predictions: List[Dict[str, Any]] = []
    for example in _test_examples(args.test):
        parsed, latency_ms = parser.timed_parse(example.text)
        predictions.append(from_rasa_parse(example, parsed, latency_ms).to_json())
    rss = current_rss_mb()
    parser.close()
    return {"predictions": predictions, "load_seconds": load_seconds, "serving_rss_mb": rss}


def _test_examples(path: str) -> List[Any]:
    """Rasa NLU YAML, or a JSON list of {text, intent} (sets in other formats, see nlu_eval.ood)."""
    from tools.nlu_lab.dataset import Example, load_examples

    if path.endswith(".json"):
        items = json.loads(Path(path).read_text(encoding="utf-8"))
        return [Example(item["text"], item["intent"]) for item in items]
    return load_examples(path)


def _parser(kind: str, artifact: str) -> Any:
    if kind == "rasa":
        from tools.nlu_lab.rasa_pipeline import RasaParser

        return RasaParser(artifact)
    from tools.nlu_lab.sklearn_pipeline import SklearnParser

    return SklearnParser(artifact)


def _arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("step", choices=["train", "evaluate", "train-evaluate"])
    parser.add_argument("--kind", choices=["rasa", "sklearn"], required=True)
    parser.add_argument("--config", help="Rasa config (train, kind=rasa)")
    parser.add_argument("--data", help="training data file or dir (train)")
    parser.add_argument("--out", help="output dir (train)")
    parser.add_argument("--artifact", help="trained model (evaluate)")
    parser.add_argument("--test", help="test data (evaluate)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--result", required=True, help="where to write the JSON result")
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    """Runs one step and writes its JSON result file."""
    args = _arguments(argv)
    logging.basicConfig(level=os.environ.get("NLU_EVAL_LOG_LEVEL", "WARNING"))
    steps = {"train": _train, "evaluate": _evaluate, "train-evaluate": _train_evaluate}
    result = steps[args.step](args)
    Path(args.result).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
