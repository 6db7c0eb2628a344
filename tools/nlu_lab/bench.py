"""Parse-latency and memory benchmark of a trained model against the issue-3/9 targets (`make bench`).

Loads the model with rasa.core.agent, parses every held-out utterance ROUNDS times, then the bad inputs, and
compares with the sklearn baseline trained and timed in the same run.
Prints the figures as Markdown (with --doc also spliced into that file, block 'bench'); exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

from tools.nlu_lab import report
from tools.nlu_lab.data import load_examples
from tools.nlu_lab.models import (
    REPO_ROOT,
    Parse,
    RasaParser,
    SklearnParser,
    rss_mb,
    timed,
    train_rasa_full,
    train_sklearn,
)
from tools.nlu_lab.score import latency_metrics

# Issue 9 (was 15 ms in issue 3).
TARGET_P50_MS = 10.0
# A pasted document must not hold the server up: the worst bad input (60,000
# characters) must still be answered within this bound.
TARGET_BAD_INPUT_MAX_MS = 1000.0
WARMUP_ROUNDS = 2
ROUNDS = 3  # passes over the held-out set

# Hostile or odd messages the server must answer without an error; named so that test ids and rows say what each is.
BAD_INPUTS: Dict[str, str] = {
    "empty": "",
    "spaces": "   ",
    "ideographic_space": "\u3000\u3000",
    "newlines_tabs": "\n\t\r\n",
    "10000_chars": ("マイナンバーカードの暗証番号を忘れました。三鷹市です。" * 400)[:10_000],
    "10000_same_char": "あ" * 10_000,
    "60000_chars": ("暗証番号がロックされた😢 " * 5_000)[:60_000],
    "only_emoji": "😀😢🙏👍🏻👨\u200d👩\u200d👧❤️",
    "only_kaomoji": "(´・ω・`)(；´Д｀)",
    "only_digits": "1234567890",
    "full_width_digits": "０１２３４５６７８９",
    "mixed_scripts": "PIN暗証番号ｱﾝｼｮｳ반갑습니다Привет مرحبا 你好 123 ＡＢＣ 😀",
    "control_chars": "\x00\x01\x02暗証\x07\x08番号\x1b[31m\x7f\u200b\u202e忘れた",
    "lone_surrogate_free_symbols": "☃︎♪★☆※〒〶",
    "placeholder": "暗証番号は［暗証番号］です",
    "slash_command_like": "/restart",
    "json_like": '{"text": "x", "intent": "greet"}',
}


def _arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    add = parser.add_argument
    add("--model", default="models/pinbot.tar.gz", help="model archive (what `make train` writes)")
    add("--heldout", default="tests/nlu/heldout.yml")
    add("--data", default="data/nlu", help="training data for the sklearn baseline")
    add("--doc", help="also write the table into this Markdown file (block 'bench')")
    add("--train", action="store_true", help="also time a full `rasa train` with an empty cache (a few minutes)")
    return parser.parse_args(argv)


def _time_all(parse: Parse, texts: Sequence[str], rounds: int) -> List[float]:
    return [timed(parse, text)[1] for _ in range(rounds) for text in texts]


def _bad_inputs(parse: Parse) -> List[Dict[str, Any]]:
    rows = []
    for name, text in BAD_INPUTS.items():
        started = time.perf_counter()
        try:
            intent = (parse(text).get("intent") or {}).get("name")
        except Exception as error:  # noqa: BLE001 - report, do not stop the benchmark
            intent = f"ERROR {type(error).__name__}: {error}"
        ms = (time.perf_counter() - started) * 1000.0
        answered = isinstance(intent, str) and bool(intent) and not intent.startswith("ERROR")
        rows.append({"input": name, "chars": len(text), "intent": intent, "ms": ms, "answered": answered})
    return rows


def _sklearn_baseline(data: str, texts: Sequence[str]) -> Dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        artifact, train_seconds = train_sklearn(data, tmp, seed=42)
        parser = SklearnParser(artifact)
    _time_all(parser.parse, texts[:20], 1)
    return {**latency_metrics(_time_all(parser.parse, texts, ROUNDS)), "train_seconds": train_seconds}


def main(argv: Sequence[str]) -> int:
    """Runs the benchmark; 0 if all targets are met, 1 otherwise."""
    args = _arguments(argv)
    logging.basicConfig(level=logging.WARNING)
    texts = [e.text for e in load_examples(str(REPO_ROOT / args.heldout))]
    parse = RasaParser(str(REPO_ROOT / args.model)).parse
    _time_all(parse, texts[:20], WARMUP_ROUNDS)
    latency, bad = latency_metrics(_time_all(parse, texts, ROUNDS)), _bad_inputs(parse)
    figures = {"model": args.model, "latency": latency, "rss_mb": rss_mb(), "bad_inputs": bad}
    figures["baseline"] = _sklearn_baseline(str(REPO_ROOT / args.data), texts)
    train_seconds = None
    if args.train:
        with tempfile.TemporaryDirectory() as tmp:
            train_seconds = train_rasa_full(tmp, empty_cache=True)[1]
    figures["train_seconds"] = train_seconds
    worst = max(r["ms"] for r in bad)
    checks = [
        (f"parse p50 ≤ {TARGET_P50_MS:.0f} ms", latency["p50_ms"] <= TARGET_P50_MS),
        ("every bad input answered with an intent", all(r["answered"] for r in bad)),
        (f"worst bad input ≤ {TARGET_BAD_INPUT_MAX_MS:.0f} ms", worst <= TARGET_BAD_INPUT_MAX_MS),
    ]
    if train_seconds is not None:
        target = report.TARGET_TRAIN_SECONDS
        checks.append((f"full training ≤ {target:.0f} s", train_seconds <= target))
    table = _markdown(figures, len(texts), checks)
    print(table)
    if args.doc:
        report.splice(Path(args.doc), "bench", table)
    return 0 if all(ok for _, ok in checks) else 1


def _markdown(figures: Dict[str, Any], n_texts: int, checks: List[Tuple[str, bool]]) -> str:
    """The figures as the 'bench' block of docs/nlu.md writes them."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    latency, baseline = figures["latency"], figures["baseline"]
    run = f"{n_texts} held-out utterances × {ROUNDS} rounds, load average {load:.1f} at the end."
    lines = [f"{report.generated_by('tools.nlu_lab.bench')}: {run}", ""]
    ours = [f"this model (`{Path(figures['model']).name}`)", *(f"{latency[k]:.1f}" for k in PERCENTILES)]
    theirs = ["sklearn baseline", *(f"{baseline[k]:.2f}" for k in PERCENTILES), ""]
    lines += report.table(["", "p50 ms", "p95 ms", "max ms", "RSS MiB"], [[*ours, f"{figures['rss_mb']:.0f}"], theirs])
    bad = [(r["input"], r["chars"], f"{r['ms']:.1f}", r["intent"]) for r in figures["bad_inputs"]]
    lines += ["", *report.table(["bad input", "chars", "ms", "intent"], bad)]
    if figures["train_seconds"] is not None:
        lines += ["", f"Full training (`rasa train`, empty cache): {figures['train_seconds']:.0f} s "]
        lines[-1] += f"(sklearn: {baseline['train_seconds']:.1f} s)."
    lines += ["", *report.table(["target", ""], [(name, report.verdict(ok)) for name, ok in checks])]
    return "\n".join(lines)


PERCENTILES = ("p50_ms", "p95_ms", "max_ms")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
