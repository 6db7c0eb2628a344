"""The pipelines under test, by name: train them, parse with them, in a process of their own.

Each step runs in its own process (`python -m tools.nlu_lab.models <job.json>`) so that training time, peak memory
and the memory of a process that only serves the model are measured without another pipeline's TensorFlow or spaCy
state in the same address space.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

from tools.loadtest.rss import rss_kib

REPO_ROOT = Path(__file__).resolve().parents[2]
WARMUP_TEXTS = ("こんにちは", "暗証番号を忘れました", "三鷹市の受付時間を教えて")
Parse = Callable[[str], Dict[str, Any]]


@dataclass(frozen=True)
class PipelineSpec:
    """A pipeline under evaluation: a Rasa config, or the sklearn baseline."""

    name: str
    kind: str  # "rasa" or "sklearn"
    label: str
    config: Optional[str] = None


MAIN = PipelineSpec("sudachi", "rasa", "this pipeline (`config.yml`)", str(REPO_ROOT / "config.yml"))
GINZA_CONFIG = str(Path(__file__).resolve().with_name("config_tutorial_ginza.yml"))
BASELINES = (
    PipelineSpec("tutorial_ginza", "rasa", "tutorial: SpacyNLP + GiNZA, count vectors, DIET", GINZA_CONFIG),
    PipelineSpec("sklearn_tfidf", "sklearn", "sklearn TF-IDF char 1-3 + LogReg"),
)
COMPARED = {p.name: p for p in (MAIN, *BASELINES)}


def resolve(name: str) -> PipelineSpec:
    """A compared pipeline by name."""
    if name not in COMPARED:
        raise KeyError(f"unknown pipeline {name!r}; known: {sorted(COMPARED)}")
    return COMPARED[name]


def rss_mb() -> float:
    """Resident set size of this process now, in MiB (0.0 where /proc is missing)."""
    return (rss_kib(os.getpid()) or 0) / 1024.0


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo: timings differ by machine, so reports name it."""
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "unknown CPU")


def timed(parse: Parse, text: str) -> Tuple[Dict[str, Any], float]:
    """The parse of `text` and how long it took, in ms."""
    started = time.perf_counter()
    parsed = parse(text)
    return parsed, (time.perf_counter() - started) * 1000.0


def train_rasa_nlu(config: str, data: str, out_dir: str, name: str = "nlu") -> Tuple[str, float]:
    """Trains an NLU model; returns (model path, wall-clock training seconds)."""
    from rasa.model_training import train_nlu

    Path(out_dir).mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    model_path = train_nlu(config=config, nlu_data=data, output=out_dir, fixed_model_name=name)
    if not model_path:
        raise RuntimeError(f"rasa train nlu produced no model for {config} on {data}")
    return str(model_path), time.perf_counter() - started


def train_rasa_full(out_dir: str, empty_cache: bool = False) -> Tuple[str, float]:
    """`rasa train` of config.yml, domain.yml and data/ as `make train` runs it; (model path, seconds).

    `empty_cache`: nothing of an earlier training (featurizers, DIET) may be reused, for timing it.
    """
    command = [sys.executable, "-m", "rasa", "train", "--config", "config.yml", "--domain", "domain.yml"]
    command += ["--data", "data", "--out", out_dir, "--fixed-model-name", "full"]
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)} | ({"RASA_CACHE_DIRECTORY": cache} if empty_cache else {})
        started = time.perf_counter()
        done = subprocess.run(command, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        seconds = time.perf_counter() - started
    if done.returncode != 0:
        # Rasa's progress bars fill stderr; the end of it says what went wrong.
        raise RuntimeError(f"rasa train failed ({done.returncode}):\n{done.stderr.decode(errors='replace')[-4000:]}")
    return str(Path(out_dir) / "full.tar.gz"), seconds


class RasaParser:
    """Loads a trained model (NLU-only or full) and parses text like /model/parse."""

    def __init__(self, model_path: str) -> None:
        """Loads the model with `rasa.core.agent.Agent`."""
        from rasa.core.agent import Agent
        from rasa.utils.log_utils import configure_structlog

        # Unconfigured structlog prints Rasa's per-message debug line to stdout, which `rasa run` (log level INFO)
        # never does; it would inflate the latencies we measure.
        configure_structlog(logging.WARNING)
        self._loop = asyncio.new_event_loop()
        self._agent = Agent.load(model_path)
        if not self._agent.is_ready():
            raise RuntimeError(f"model at {model_path} did not load")

    def parse(self, text: str) -> Dict[str, Any]:
        """Parse result for `text` (intent, intent_ranking, entities)."""
        return self._loop.run_until_complete(self._agent.parse_message(text))

    def close(self) -> None:
        """Releases the private event loop."""
        self._loop.close()


def train_sklearn(data: str, out_dir: str, seed: int) -> Tuple[str, float]:
    """Fits the baseline (TF-IDF over character 1-3-grams, which need no tokenizer, + logistic regression).

    Pickles it into `out_dir`; returns (artifact path, training seconds).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from tools.nlu_lab.data import load_examples

    examples = load_examples(data)
    tfidf = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    model = Pipeline([("tfidf", tfidf), ("clf", LogisticRegression(C=10.0, max_iter=2000, random_state=seed))])
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
        self._model = pickle.loads(Path(artifact).read_bytes())

    def parse(self, text: str) -> Dict[str, Any]:
        """Intent and ranking for `text`; this baseline extracts no entities."""
        probabilities = self._model.predict_proba([text])[0]
        ranking = sorted(zip(self._model.classes_, probabilities, strict=True), key=lambda pair: pair[1], reverse=True)
        intent_ranking = [{"name": str(n), "confidence": float(c)} for n, c in ranking[:10]]
        return {"text": text, "intent": intent_ranking[0], "intent_ranking": intent_ranking, "entities": []}

    def close(self) -> None:
        """Nothing to release."""


def _train(job: Dict[str, Any]) -> Dict[str, Any]:
    if job["kind"] == "rasa":
        artifact, seconds = train_rasa_nlu(job["config"], job["data"], job["out"])
    else:
        artifact, seconds = train_sklearn(job["data"], job["out"], job["seed"])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB
    return {"artifact": artifact, "train_seconds": seconds, "train_peak_rss_mb": peak}


def _evaluate(job: Dict[str, Any]) -> Dict[str, Any]:
    from tools.nlu_lab.data import from_rasa_parse, load_examples

    started = time.perf_counter()
    parser = RasaParser(job["artifact"]) if job["kind"] == "rasa" else SklearnParser(job["artifact"])
    load_seconds = time.perf_counter() - started
    # The first parses trace TensorFlow functions; a server has done that long before a resident's message arrives.
    for text in WARMUP_TEXTS:
        parser.parse(text)
    predictions = [asdict(from_rasa_parse(e, *timed(parser.parse, e.text))) for e in load_examples(job["test"])]
    rss = rss_mb()
    parser.close()
    return {"predictions": predictions, "load_seconds": load_seconds, "serving_rss_mb": rss}


def run_step(
    step: str, spec: PipelineSpec, work_dir: Path, tag: str, reuse: bool = False, **job: Any
) -> Dict[str, Any]:
    """Runs `step` (train, evaluate, train-evaluate) of `spec` in a fresh process; returns its JSON result.

    `reuse`: the result an earlier run stored in `work_dir` under the same tag, if there is one.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    result_path, log_path = work_dir / f"{tag}.{step}.json", work_dir / f"{tag}.{step}.log"
    if not (reuse and result_path.exists()):
        job_path = work_dir / f"{tag}.{step}.job.json"
        job.update(step=step, kind=spec.kind, config=spec.config, result=str(result_path))
        job_path.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
        # Rasa's training cache would skip work on a re-run and make the training-time column meaningless.
        quiet = {"RASA_TELEMETRY_ENABLED": "false", "RASA_MAX_CACHE_SIZE": "0", "TF_CPP_MIN_LOG_LEVEL": "2"}
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONHASHSEED": "0", **quiet}
        command = [sys.executable, "-m", "tools.nlu_lab.models", str(job_path)]
        with log_path.open("w", encoding="utf-8") as log:
            completed = subprocess.run(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        if completed.returncode != 0:
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
            raise RuntimeError(f"{step} of {spec.name} failed (log {log_path}):\n{tail}")
    return json.loads(result_path.read_text(encoding="utf-8"))


def main(argv: Sequence[str]) -> int:
    """Runs the step of one job file (written by `run_step`) and writes its JSON result."""
    logging.basicConfig(level=os.environ.get("NLU_EVAL_LOG_LEVEL", "WARNING"))
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    # train-evaluate (CV folds) trains and parses in one process: a second start would only cost time.
    result = _train(job) if job["step"] != "evaluate" else {}
    if job["step"] != "train":
        result.update(_evaluate({**job, **result}))
    Path(job["result"]).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
