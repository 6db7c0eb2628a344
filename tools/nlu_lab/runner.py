"""Run train/evaluate workers for a pipeline and turn their output into metrics."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import AbstractSet, Any, Dict, List, Optional

from tools.nlu_lab.dataset import (
    load_training_data,
    normalized_text,
    stratified_folds,
    write_training_data,
)
from tools.nlu_lab.metrics import entity_metrics, fallback_metrics, intent_metrics, latency_metrics
from tools.nlu_lab.pipelines import REPO_ROOT, PipelineSpec
from tools.nlu_lab.predictions import Prediction


def _worker_env() -> Dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": str(REPO_ROOT),
            "RASA_TELEMETRY_ENABLED": "false",
            # Rasa's training cache would skip work on a re-run and make the
            # training-time column meaningless.
            "RASA_MAX_CACHE_SIZE": "0",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONHASHSEED": "0",
        }
    )
    return env


def run_worker(step: str, spec: PipelineSpec, work_dir: Path, tag: str, **options: str) -> Dict[str, Any]:
    """Runs `tools.nlu_lab.worker <step>` in a fresh process; returns its JSON."""
    work_dir.mkdir(parents=True, exist_ok=True)
    result_path = work_dir / f"{tag}.{step}.json"
    log_path = work_dir / f"{tag}.{step}.log"
    command = [sys.executable, "-m", "tools.nlu_lab.worker", step, "--kind", spec.kind]
    command += ["--result", str(result_path)]
    for key, value in options.items():
        command += [f"--{key}", str(value)]
    if spec.kind == "rasa" and step in ("train", "train-evaluate"):
        command += ["--config", str(spec.config)]
    with log_path.open("w", encoding="utf-8") as log:
        completed = subprocess.run(command, cwd=REPO_ROOT, env=_worker_env(), stdout=log, stderr=subprocess.STDOUT)
    if completed.returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"{step} of {spec.name} failed (log {log_path}):\n{tail}")
    return json.loads(result_path.read_text(encoding="utf-8"))


def evaluate_once(spec: PipelineSpec, work_dir: Path, tag: str, artifact: str, test_data: str) -> Dict[str, Any]:
    """Parses `test_data` with `artifact`, or reads the parses an earlier run of the same tag stored."""
    stored = work_dir / f"{tag}.evaluate.json"
    if stored.exists():
        return json.loads(stored.read_text(encoding="utf-8"))
    return run_worker("evaluate", spec, work_dir, tag, artifact=artifact, test=test_data)


def train_and_evaluate(
    spec: PipelineSpec,
    train_data: str,
    test_data: str,
    work_dir: Path,
    tag: str,
    seed: int,
    one_process: bool = False,
    reuse: bool = False,
    artifact: Optional[str] = None,
) -> Dict[str, Any]:
    """Trains `spec` on `train_data`, parses `test_data`; returns raw results.

    By default training and parsing run in separate processes so that the
    serving memory is that of a process that only loaded the model;
    `one_process` saves a process start where memory is not reported;
    `reuse` takes the model of an earlier run in `work_dir` instead of training;
    `artifact` evaluates that trained model (train time and memory: NaN, not measured here).
    """
    out = str(work_dir / tag)
    previous = work_dir / f"{tag}.train.json"
    if artifact is not None:
        trained: Dict[str, Any] = {
            "artifact": artifact,
            "train_seconds": float("nan"),
            "train_peak_rss_mb": float("nan"),
        }
        evaluated = run_worker("evaluate", spec, work_dir, tag, artifact=artifact, test=test_data)
    elif reuse and previous.exists():
        trained = json.loads(previous.read_text(encoding="utf-8"))
        evaluated = evaluate_once(spec, work_dir, tag, trained["artifact"], test_data)
    elif one_process:
        both = run_worker(
            "train-evaluate", spec, work_dir, tag, data=train_data, out=out, seed=str(seed), test=test_data
        )
        trained = {k: both[k] for k in ("artifact", "train_seconds", "train_peak_rss_mb")}
        evaluated = {k: v for k, v in both.items() if k not in trained}
    else:
        trained = run_worker("train", spec, work_dir, tag, data=train_data, out=out, seed=str(seed))
        evaluated = run_worker("evaluate", spec, work_dir, tag, artifact=trained["artifact"], test=test_data)
    predictions = [Prediction.from_json(p) for p in evaluated.pop("predictions")]
    return {"train": trained, "evaluate": evaluated, "predictions": predictions}


def summarize(
    predictions: List[Prediction],
    run: Optional[Dict[str, Any]] = None,
    seen_texts: AbstractSet[str] = frozenset(),
) -> Dict[str, Any]:
    """All metrics for one set of predictions (+ time and memory of the run).

    `seen_texts` (normalized training utterances) adds intent metrics on the
    test utterances that do not also occur in the training data.
    """
    summary: Dict[str, Any] = {
        "intent": intent_metrics(predictions),
        "entities": entity_metrics(predictions),
        "fallback": fallback_metrics(predictions),
        "latency": latency_metrics([p.latency_ms for p in predictions]),
    }
    unseen = [p for p in predictions if normalized_text(p.text) not in seen_texts]
    summary["intent_unseen"] = {k: v for k, v in intent_metrics(unseen).items() if k in ("n", "accuracy", "macro_f1")}
    if run is not None:
        summary["train_seconds"] = run["train"]["train_seconds"]
        summary["train_peak_rss_mb"] = run["train"]["train_peak_rss_mb"]
        summary["serving_rss_mb"] = run["evaluate"]["serving_rss_mb"]
        summary["load_seconds"] = run["evaluate"]["load_seconds"]
    return summary


def cross_validate(spec: PipelineSpec, train_data: str, folds: int, seed: int, work_dir: Path) -> Dict[str, Any]:
    """Stratified k-fold CV on the training data; pooled out-of-fold predictions."""
    training_data = load_training_data(train_data)
    pooled: List[Prediction] = []
    per_fold: List[Dict[str, float]] = []
    for k, (train_part, test_part) in enumerate(stratified_folds(training_data, folds, seed)):
        fold_dir = work_dir / f"fold{k}"
        train_file = write_training_data(train_part, fold_dir / "train.yml")
        test_file = write_training_data(test_part, fold_dir / "test.yml")
        run = train_and_evaluate(spec, str(train_file), str(test_file), fold_dir, "run", seed, one_process=True)
        fold_metrics = intent_metrics(run["predictions"])
        per_fold.append(
            {
                "accuracy": fold_metrics["accuracy"],
                "macro_f1": fold_metrics["macro_f1"],
                "train_seconds": run["train"]["train_seconds"],
            }
        )
        pooled.extend(run["predictions"])
    return {"folds": folds, "per_fold": per_fold, "summary": summarize(pooled), "predictions": pooled}
