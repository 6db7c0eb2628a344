#!/usr/bin/env bash
# Chat with the bot in the terminal; the action server runs in the background while the shell is open.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/stack_env.sh
.venv/bin/rasa run actions --actions actions --port "$ACTION_PORT" > >(log_to "$STATE_DIR/log/actions.log") 2>&1 &
actions_pid=$!
trap 'kill $actions_pid 2>/dev/null || true' EXIT INT TERM
.venv/bin/rasa shell --model "$RASA_MODEL" --endpoints endpoints.yml --logging-config-file logging.yml
