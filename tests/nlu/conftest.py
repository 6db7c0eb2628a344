"""Fixtures for NLU tests that need a trained model.

`make test` trains once (`make train`) and passes the archive in RASA_MODEL;
run alone, the session trains the same full model into a temporary directory
once and every test shares it.
"""

import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import pytest

if TYPE_CHECKING:  # imported lazily at run time: loading Rasa is slow and only these fixtures need it
    from tools.nlu_lab.models import RasaParser

from tools.nlu_lab.models import REPO_ROOT


@pytest.fixture(scope="session")
def nlu_model_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Path of a trained model: $RASA_MODEL, or one trained for this session."""
    given = os.environ.get("RASA_MODEL")
    if given:
        path = Path(given)
        if not path.is_absolute():
            path = REPO_ROOT / path
        if not path.exists():
            pytest.fail(f"RASA_MODEL={given} does not exist; run `make train` first")
        return str(path)
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
