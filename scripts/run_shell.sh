#!/usr/bin/env bash
# Chat with the bot in the terminal; the action server runs in the background while the shell is open.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/stack_env.sh
(as_role actions .venv/bin/rasa run actions --actions actions --port "$ACTION_PORT" --logging-config-file logging.yml) \
  > >(log_to "$STATE_DIR/log/actions.log") 2>&1 &
actions_pid=$!
trap 'stop_tree $actions_pid' EXIT INT TERM
# In a subshell: as_role replaces its shell, and this one must stay to stop the action server afterwards.
(as_role rasa .venv/bin/rasa shell --model "$RASA_MODEL" --endpoints "$ENDPOINTS" --logging-config-file logging.yml)
