"""Fixtures for NLU tests that need a trained model.

`make test` trains once (`make train`) and passes the archive in RASA_MODEL;
run alone, the session trains the same full model into a temporary directory
once and every test shares it. The guards also read the models of the other
DIET seeds in RASA_SEED_MODELS (`make seed-models`) and judge the mean.
"""

import os
from pathlib import Path
from statistics import mean
from typing import TYPE_CHECKING, Callable, Iterator, List

import pytest

if TYPE_CHECKING:  # imported lazily at run time: loading Rasa is slow and only these fixtures need it
    from tools.nlu_lab.models import RasaParser

from tools.nlu_lab.models import REPO_ROOT

# How far one seed may fall below a floor that the mean of the seeds meets: the spread of three seeds on the same
# data, measured in docs/nlu.md "Seeds".
SEED_SPREAD = 0.015


def _existing(given: str) -> str:
    """An archive named by the environment, made absolute; fails the session when it is missing."""
    path = Path(given)
    if not path.is_absolute():
        path = REPO_ROOT / path
    if not path.exists():
        pytest.fail(f"{given} does not exist; run `make train seed-models` first")
    return str(path)


@pytest.fixture(scope="session")
def nlu_model_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Path of a trained model: $RASA_MODEL, or one trained for this session."""
    given = os.environ.get("RASA_MODEL")
    if given:
        return _existing(given)
    from tools.nlu_lab.models import train_rasa_full

    # The same model as `make train` (domain and dialogue data included): the floors are its figures.
    return train_rasa_full(str(tmp_path_factory.mktemp("model")))[0]


@pytest.fixture(scope="session")
def nlu_parser(nlu_model_path: str) -> Iterator["RasaParser"]:
    """The trained model loaded once with rasa.core.agent, parsing like /model/parse."""
    from tools.nlu_lab.models import RasaParser

    parser = RasaParser(nlu_model_path)
    yield parser
    parser.close()


@pytest.fixture(scope="session")
def guard_parsers(nlu_parser: "RasaParser") -> Iterator[List["RasaParser"]]:
    """The served model and the models of the other seeds ($RASA_SEED_MODELS), whose mean the guards judge."""
    from tools.nlu_lab.models import RasaParser

    others = [RasaParser(_existing(path)) for path in os.environ.get("RASA_SEED_MODELS", "").split()]
    yield [nlu_parser, *others]
    for parser in others:
        parser.close()


def _seeds_meet(name: str, figures: List[float], floor: float) -> None:
    shown = ", ".join(f"{f:.3f}" for f in figures)
    assert mean(figures) >= floor, f"{name}: mean {mean(figures):.3f} of seeds [{shown}] < floor {floor}"
    assert min(figures) >= floor - SEED_SPREAD, f"{name}: a seed of [{shown}] < {floor - SEED_SPREAD:.3f}"


@pytest.fixture(scope="session")
def seeds_meet() -> Callable[[str, List[float], float], None]:
    """Asserts that the mean over seeds meets a floor and that no seed falls more than SEED_SPREAD below it."""
    return _seeds_meet
