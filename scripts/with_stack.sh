#!/usr/bin/env bash
# Run a command while the action server and the Rasa server run on free local ports with a throw-away state
# directory; RASA_URL points the command at them. Used for the browser test against the real bot.
set -euo pipefail
cd "$(dirname "$0")/.."
export STATE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/pinbot-stack.XXXXXX")"
free_port() { .venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export RASA_PORT="$(free_port)" ACTION_PORT="$(free_port)"
export PINBOT_NOW="${PINBOT_NOW:-2026-11-24T10:00:00+09:00}"
source scripts/stack_env.sh

pids=()
# The throw-away state (tracker database, logs) goes with a successful run; a failed one keeps its logs to read.
stop_all() {
  local status=$?
  for pid in "${pids[@]}"; do stop_tree "$pid"; done
  wait 2>/dev/null || true
  if [[ $status -eq 0 ]]; then rm -rf "$STATE_DIR"; else echo "logs kept in $STATE_DIR/log" >&2; fi
}
trap stop_all EXIT INT TERM
(as_role actions .venv/bin/rasa run actions --actions actions --port "$ACTION_PORT" --logging-config-file logging.yml) \
  > >(log_to "$STATE_DIR/log/actions.log") 2>&1 &
pids+=($!)
(as_role rasa .venv/bin/python -m channels.cli run --model "$RASA_MODEL" --enable-api -i 127.0.0.1 -p "$RASA_PORT" \
  --credentials credentials.yml --endpoints "$ENDPOINTS" --logging-config-file logging.yml) \
  > >(log_to "$STATE_DIR/log/rasa.log") 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do
  rasa_ready && break
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { tail -n 40 "$STATE_DIR"/log/*.log >&2; exit 1; }; done
  sleep 1
done
rasa_ready || { echo "Rasa did not start; logs in $STATE_DIR/log" >&2; exit 1; }
"$@"
