#!/usr/bin/env bash
# Start the action server, the Rasa server and the gateway in the foreground; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/stack_env.sh

pids=()
stop_all() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do stop_tree "$pid"; done
  wait 2>/dev/null || true
}
trap stop_all INT TERM EXIT

# Each server gets only its own secrets (as_role, scripts/stack_env.sh).
(as_role actions .venv/bin/rasa run actions --actions actions --port "$ACTION_PORT" --logging-config-file logging.yml) \
  > >(log_to "$STATE_DIR/log/actions.log") 2>&1 &
pids+=($!)
# channels.cli adds --auth-token from RASA_AUTH_TOKEN (kept off the command line).
(as_role rasa .venv/bin/python -m channels.cli run --model "$RASA_MODEL" --enable-api -i "$RASA_HOST" -p "$RASA_PORT" \
  --credentials credentials.yml --endpoints "$ENDPOINTS" --logging-config-file logging.yml) \
  > >(log_to "$STATE_DIR/log/rasa.log") 2>&1 &
pids+=($!)
(as_role gateway .venv-gateway/bin/python -m gateway) > >(log_to "$STATE_DIR/log/gateway.log") 2>&1 &
pids+=($!)

echo "Waiting for the Rasa server to load the model (logs: $STATE_DIR/log/)..."
for _ in $(seq 1 180); do
  if rasa_ready; then break; fi
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "a process exited early; see $STATE_DIR/log/" >&2; exit 1; }; done
  sleep 1
done
echo
echo "  Demo page (web chat widget):  http://localhost:${GATEWAY_PORT}/"
echo "  Rasa HTTP API (local only):   ${RASA_URL}/status?token=<${STATE_DIR}/rasa.token>"
echo "  Press Ctrl-C to stop."
wait -n "${pids[@]}"
echo "a process exited; stopping the others (see $STATE_DIR/log/)" >&2
