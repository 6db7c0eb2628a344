"""Train a Rasa NLU model from a config and parse text with it."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any, Dict, Tuple

from tools.nlu_lab.pipelines import REPO_ROOT

logger = logging.getLogger(__name__)


def train_rasa_nlu(config: str, data: str, out_dir: str, name: str = "nlu") -> Tuple[str, float]:
    """Trains an NLU model; returns (model path, wall-clock training seconds)."""
    from rasa.model_training import train_nlu

    Path(out_dir).mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    model_path = train_nlu(config=config, nlu_data=data, output=out_dir, fixed_model_name=name)
    seconds = time.perf_counter() - started
    if not model_path:
        raise RuntimeError(f"rasa train nlu produced no model for {config} on {data}")
    return str(model_path), seconds


def train_rasa_full(out_dir: str, name: str = "full") -> str:
    """Trains the model `make train` builds (config.yml, domain.yml, data/) into `out_dir`; returns its path."""
    from rasa.model_training import train

    result = train(
        domain=str(REPO_ROOT / "domain.yml"),
        config=str(REPO_ROOT / "config.yml"),
        training_files=[str(REPO_ROOT / "data")],
        output=out_dir,
        fixed_model_name=name,
    )
    if not result.model:
        raise RuntimeError("rasa train produced no model")
    return str(result.model)


class RasaParser:
    """Loads a trained model (NLU-only or full) and parses text like /model/parse."""

    def __init__(self, model_path: str) -> None:
        """Loads the model with `rasa.core.agent.Agent`."""
        from rasa.core.agent import Agent
        from rasa.utils.log_utils import configure_structlog

        # Unconfigured structlog prints Rasa's per-message debug line to
        # stdout, which `rasa run` (log level INFO) never does; it would
        # inflate the latencies we measure.
        configure_structlog(logging.WARNING)
        self._loop = asyncio.new_event_loop()
        self._agent = Agent.load(model_path)
        if not self._agent.is_ready():
            raise RuntimeError(f"model at {model_path} did not load")

    def parse(self, text: str) -> Dict[str, Any]:
        """Parse result for `text` (intent, intent_ranking, entities)."""
        return self._loop.run_until_complete(self._agent.parse_message(text))

    def timed_parse(self, text: str) -> Tuple[Dict[str, Any], float]:
        """Parse result and its latency in milliseconds."""
        started = time.perf_counter()
        result = self.parse(text)
        return result, (time.perf_counter() - started) * 1000.0

    def close(self) -> None:
        """Releases the private event loop."""
        self._loop.close()
