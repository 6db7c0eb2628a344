# PIN help bot: every install step lives here, so a fresh clone needs only `make run` or `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        := .venv
GW_VENV     := .venv-gateway
TOOLS_VENV  := .venv-tools
PY          := $(VENV)/bin/python
GW_PY       := $(GW_VENV)/bin/python
T           := $(TOOLS_VENV)/bin
# mypy checks each side against its own venv's packages and Python version.
MYPY_RASA_PACKAGES := actions channels console jptext.py kb launch nlu_components privacy replies storage vocabulary scripts testkit tools tests
RASA        := $(VENV)/bin/rasa
MODEL_DIR   := models
MODEL       := $(MODEL_DIR)/pinbot.tar.gz
# Cities run this on closed networks: no usage telemetry, ever.
export RASA_TELEMETRY_ENABLED := false
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONHASHSEED := 0

# The cities' names for the NLU are generated from their knowledge files (the only place a city is defined).
CITY_FILES   := $(wildcard knowledge/municipalities/*.yml)
CITY_NLU     := data/nlu/municipalities.yml
TRAIN_INPUTS := config.yml domain.yml vocabulary/slots.yml $(CITY_NLU) $(CITY_FILES) $(shell find data nlu_components -type f \( -name '*.yml' -o -name '*.py' \) 2>/dev/null)

.PHONY: help install lint lint-ja format run run-scaled test test-scaled train seed-models shell kb-check nlu-data new-city validate answers unanswered-export eval-nlu bench loadtest test-unit test-model test-stories test-e2e test-gateway test-browser-e2e browser-deps line-richmenu record-stories clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements/rasa.lock
	@test -x $(PY) || "$$(scripts/find_python.sh 3.10)" -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements/rasa.lock
	@touch $@

$(GW_VENV)/.installed: requirements/gateway.lock
	@test -x $(GW_PY) || "$$(scripts/find_python.sh 3.11)" -m venv $(GW_VENV)
	$(GW_PY) -m pip install --quiet -r requirements/gateway.lock
	@touch $@

$(TOOLS_VENV)/.installed: requirements/tools.lock
	@test -x $(T)/python || "$$(scripts/find_python.sh 3.11)" -m venv $(TOOLS_VENV)
	$(T)/python -m pip install --quiet -r requirements/tools.lock
	@touch $@

install: $(VENV)/.installed $(GW_VENV)/.installed $(TOOLS_VENV)/.installed ## create the three virtualenvs (Rasa, gateway, lint tools) from the lock files

lint: $(VENV)/.installed $(GW_VENV)/.installed $(TOOLS_VENV)/.installed ## ruff (lint, format), mypy and lint-ja, the gate (first step of make test)
	$(T)/ruff check .
	$(T)/ruff format --check .
	$(T)/mypy --python-executable $(PY) --python-version 3.10 --exclude '^(\.venv|models/|var/|tests/gateway/)' $(MYPY_RASA_PACKAGES)
	$(T)/mypy --python-executable $(GW_PY) --python-version 3.11 gateway tests/gateway
	$(JA_LINT)

# The Japanese residents read (stdlib only; rules and their reasons in tools/ja_lint.py).
JA_LINT := $(T)/python -m tools.ja_lint tests/golden
lint-ja: $(TOOLS_VENV)/.installed ## lint the Japanese of every rendered answer in tests/golden/ (part of make lint)
	$(JA_LINT)

format: $(TOOLS_VENV)/.installed ## format the code with ruff (what make lint checks)
	$(T)/ruff format .

$(CITY_NLU): $(CITY_FILES) tools/city_nlu.py | $(VENV)/.installed
	$(PY) -m tools.city_nlu
	@touch $@

nlu-data: $(CITY_NLU) ## regenerate data/nlu/municipalities.yml from knowledge/municipalities/*.yml

$(MODEL): $(VENV)/.installed $(TRAIN_INPUTS)
	@mkdir -p $(MODEL_DIR)
	$(RASA) train --config config.yml --domain domain.yml --data data --out $(MODEL_DIR) --fixed-model-name pinbot
	@touch $@

train: $(MODEL) ## train the model when data, domain, config or a city file changed

# The same model trained from two more DIET seeds, for the NLU guards only (never served): one seed's figures move
# by about a point when an unrelated label is added (docs/nlu.md "Seeds"), so the guards judge the mean of three.
GUARD_SEEDS  := 7 1234
SEED_MODELS  := $(foreach s,$(GUARD_SEEDS),$(MODEL_DIR)/seed-$(s).tar.gz)
$(MODEL_DIR)/seed-%.tar.gz: $(VENV)/.installed $(TRAIN_INPUTS)
	@mkdir -p $(MODEL_DIR) var
	@grep -q '^    random_seed: 42$$' config.yml || { echo "config.yml: DIET's 'random_seed: 42' line not found" >&2; exit 1; }
	sed 's/^    random_seed: 42$$/    random_seed: $*/' config.yml > var/config-seed-$*.yml
	$(RASA) train --config var/config-seed-$*.yml --domain domain.yml --data data --out $(MODEL_DIR) --fixed-model-name seed-$*
	@touch $@

seed-models: $(SEED_MODELS) ## train the guard-only models of the other DIET seeds

kb-check: $(VENV)/.installed ## validate knowledge/ against its schema
	$(PY) -m tools.kb_check

answers: $(VENV)/.installed ## render every answer into tests/golden/ (review the diff) and print the length table
	$(PY) -m tools.render_answers

new-city: $(VENV)/.installed ## scaffold knowledge/municipalities/<ID>.yml from the template: make new-city ID=hoshino NAME=星野市
	@test -n "$(ID)" -a -n "$(NAME)" || { echo "usage: make new-city ID=<id> NAME=<市名>  (e.g. ID=hoshino NAME=星野市)" >&2; exit 2; }
	$(PY) -m tools.new_city --id "$(ID)" --name "$(NAME)"

validate: $(VENV)/.installed $(CITY_NLU) ## rasa data validate (domain, NLU, stories, rules)
	$(RASA) data validate --config config.yml --domain domain.yml --data data --fail-on-warnings

run: install train ## install, train if needed, start gateway + Rasa + action server (Ctrl-C stops all)
	$(PY) -m launch run

run-scaled: install train ## production layout: RASA_REPLICAS Rasa + ACTION_REPLICAS action servers on PostgreSQL + Redis, gateway in front
	$(PY) -m launch scaled

shell: install train ## chat in the terminal (starts the action server in the background)
	$(PY) -m launch shell

test: install lint browser-deps kb-check validate train test-unit test-model test-stories test-e2e test-gateway test-scaled test-browser-e2e ## install and run every test (what CI runs)

UNIT_TESTS := tests --ignore=tests/e2e --ignore=tests/scaled --ignore=tests/gateway -p no:cacheprovider
test-unit: $(VENV)/.installed ## every test that needs no trained model (no training, a couple of minutes)
	$(PY) -m pytest -q $(UNIT_TESTS) -m "not model"

test-model: $(VENV)/.installed $(MODEL) $(SEED_MODELS) ## the tests that load the trained model (or train a small one)
	RASA_MODEL=$(MODEL) RASA_SEED_MODELS="$(SEED_MODELS)" $(PY) -m pytest -q $(UNIT_TESTS) -m model

test-stories: $(MODEL)
	$(RASA) test core --model $(MODEL) --stories tests/stories --fail-on-prediction-errors --out var/results/core

test-e2e: install $(MODEL)
	RASA_MODEL=$(MODEL) $(PY) -m pytest -q tests/e2e -p no:cacheprovider

test-gateway: $(GW_VENV)/.installed
	$(GW_PY) -m pytest -q tests/gateway -p no:cacheprovider

# Fault tests of make run-scaled against a private PostgreSQL 15 cluster and redis-server (skipped without their
# binaries, failed instead when SCALED_TESTS=required, as in CI).
test-scaled: install $(MODEL) ## kill a replica, restart PostgreSQL, Redis and the whole scaled layout: nothing lost or answered twice
	RASA_MODEL=$(MODEL) $(PY) -m pytest -q tests/scaled -p no:cacheprovider

# The widget in headless Chromium, through the gateway, against the real Rasa and action servers.
test-browser-e2e: install $(MODEL)
	$(PY) -m tests.e2e.stack bash -c 'E2E_RASA_URL="$$RASA_URL" $(GW_PY) -m pytest -q tests/gateway/test_browser.py -k checklist -p no:cacheprovider'

# fonts-noto-cjk: without a Japanese font, a screenshot of the widget or the console shows boxes for every kana.
browser-deps: ## install Debian's chromium and a Japanese font for the browser tests (root)
	@command -v chromium >/dev/null 2>&1 && test -d /usr/share/fonts/opentype/noto || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk) || { echo "chromium and fonts-noto-cjk are needed for the browser tests: install Debian's packages (as root)" >&2; exit 1; }

unanswered-export: $(VENV)/.installed $(MODEL) ## the week's unanswered questions as a draft NLU file with the model's guesses (var/unanswered-nlu.yml; review before training)
	$(PY) -m tools.unanswered_export --model $(MODEL) $(ARGS)

eval-nlu: $(VENV)/.installed $(MODEL) ## compare NLU pipelines on the held-out set (+ k-fold CV); this pipeline = the model of make train
	$(PY) -m tools.nlu_lab.eval --model $(MODEL) $(ARGS)

bench: $(VENV)/.installed $(MODEL) ## parse latency and memory vs targets (ARGS=--train also times a full training, empty cache)
	$(PY) -m tools.nlu_lab.bench --model $(MODEL) $(ARGS)

# `make loadtest --soak` cannot work (make reads --soak as its own option): SOAK=1, or any options in ARGS.
loadtest: install train ## load test vs a stock rasa init bot (ARGS="--quick", SOAK=1 for the soak; docs/loadtest.md)
	$(PY) -m tools.loadtest $(if $(SOAK),--soak) $(LOADTEST_ARGS) $(ARGS)

line-richmenu: $(GW_VENV)/.installed ## create the LINE rich menu (needs LINE_CHANNEL_ACCESS_TOKEN)
	$(GW_PY) -m scripts.line_richmenu

clean: ## remove trained models and runtime state (keeps the virtualenvs)
	rm -rf $(MODEL_DIR)/* var/ .rasa/

record-stories: $(MODEL) ## re-record tests/stories/ from scripted conversations (review the diff)
	$(PY) -m tools.record_test_stories --model $(MODEL)
