# Shared defaults of the three processes (sourced by run_all.sh, run_shell.sh and the e2e tests' launcher).
# Every value can be overridden from the environment (../shared/CONTRACT.md §2).
# Runtime state holds conversations, logs and secrets: files 0600, folders 0700.
umask 077
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
# endpoints.yml holds the defaults (Rasa's layout, no variables); a different action-server URL gets a copy.
export ENDPOINTS="${STATE_DIR}/endpoints.yml"
sed "s#http://127.0.0.1:5055/webhook#${ACTION_ENDPOINT_URL}#" endpoints.yml > "${ENDPOINTS}"
chmod 700 "${STATE_DIR}" "${STATE_DIR}/log"
find "${STATE_DIR}" -maxdepth 2 -type f -exec chmod 600 {} + 2>/dev/null || true
find "${STATE_DIR}" -maxdepth 2 -mindepth 1 -type d -exec chmod 700 {} + 2>/dev/null || true
# Rasa's HTTP API (tracker, /conversations/<id>/messages, delete) needs this token; the gateway uses it too.
# Set RASA_AUTH_TOKEN in production; otherwise a random one is kept in the state directory (0600).
if [ -z "${RASA_AUTH_TOKEN:-}" ]; then
  if [ ! -s "${STATE_DIR}/rasa.token" ]; then
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "${STATE_DIR}/rasa.token")
  fi
  RASA_AUTH_TOKEN="$(cat "${STATE_DIR}/rasa.token")"
  export RASA_AUTH_TOKEN
fi
# Wait until the Rasa server has loaded its model; the token goes to curl on stdin, never on a command line.
rasa_ready() {
  printf 'url = "%s/status?token=%s"\n' "$RASA_URL" "$RASA_AUTH_TOKEN" | curl -fsS -K - >/dev/null 2>&1
}
# The gateway derives conversation ids from this key; keep one per installation so that LINE conversations
# survive restarts. Set GATEWAY_SECRET in production; otherwise a random key is kept in the state directory.
if [ -z "${GATEWAY_SECRET:-}" ]; then
  if [ ! -s "${STATE_DIR}/gateway.secret" ]; then
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "${STATE_DIR}/gateway.secret")
  fi
  GATEWAY_SECRET="$(cat "${STATE_DIR}/gateway.secret")"
  export GATEWAY_SECRET
fi
# Every process starts with only the secrets its role may hold (scripts/process_env.py keeps the one table: Rasa gets
# RASA_AUTH_TOKEN and the database/Redis passwords, the gateway its own and LINE's secrets, the action servers and the
# log sinks none). `as_role ROLE COMMAND…` replaces the calling (sub)shell with COMMAND, so always call it in one:
# `( as_role rasa server … ) &` makes $! the server's own pid, which the scripts signal and name.
as_role() {
  exec "${PWD}/.venv/bin/python" -m scripts.process_env "$@"
}
# A process's output goes through privacy.logsink: redacted, rotated by size and age, kept RETENTION_DAYS. It runs
# inside the >( ) of the redirection, a subshell of its own, and holds no secret.
log_to() {
  as_role logsink "${PWD}/.venv/bin/python" -m privacy.logsink "$1"
}
# Stop a server started with `( as_role … ) &` and anything it started itself (its children first).
stop_tree() {
  pkill -TERM -P "$1" 2>/dev/null || true
  kill "$1" 2>/dev/null || true
}
