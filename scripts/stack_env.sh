# Shared defaults of the three processes (sourced by run_all.sh, run_shell.sh and the e2e tests' launcher).
# Every value can be overridden from the environment (../shared/CONTRACT.md §2).
export RASA_TELEMETRY_ENABLED=false
export PYTHONPATH="${PYTHONPATH:-$PWD}"
export RASA_HOST="${RASA_HOST:-127.0.0.1}"
export RASA_PORT="${RASA_PORT:-5005}"
export ACTION_PORT="${ACTION_PORT:-5055}"
export SANIC_HOST="${SANIC_HOST:-127.0.0.1}"          # rasa-sdk binds here: the action server stays local
export GATEWAY_HOST="${GATEWAY_HOST:-0.0.0.0}"
export GATEWAY_PORT="${GATEWAY_PORT:-8080}"
export ACTION_ENDPOINT_URL="${ACTION_ENDPOINT_URL:-http://127.0.0.1:${ACTION_PORT}/webhook}"
export RASA_URL="${RASA_URL:-http://${RASA_HOST}:${RASA_PORT}}"
export STATE_DIR="${STATE_DIR:-var}"
export TRACKER_DB="${TRACKER_DB:-${STATE_DIR}/tracker.db}"
export RASA_MODEL="${RASA_MODEL:-models/pinbot.tar.gz}"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
mkdir -p "${STATE_DIR}/log"
