#!/usr/bin/env bash
# The production layout on one machine (make run-scaled): RASA_REPLICAS Rasa servers sharing a PostgreSQL tracker
# store and a Redis lock store, ACTION_REPLICAS action servers, and the gateway in front of them all (README,
# "Scaled layout"). Prints `READY http://127.0.0.1:<GATEWAY_PORT>` once every replica has its model and the gateway
# answers /healthz; SIGTERM, SIGINT (Ctrl-C) or any exit stops every process it started.
set -euo pipefail
cd "$(dirname "$0")/.."

# Every ${VAR} of endpoints.scaled.yml needs a value before Rasa starts (Rasa refuses an unset one).
export RASA_REPLICAS="${RASA_REPLICAS:-2}"
export ACTION_REPLICAS="${ACTION_REPLICAS:-2}"
export PGHOST="${PGHOST:-127.0.0.1}"
export PGPORT="${PGPORT:-5432}"
export PGUSER="${PGUSER:-postgres}"
export PGPASSWORD="${PGPASSWORD:-}"
export PG_DATABASE="${PG_DATABASE:-pinbot}"
export PG_LOGIN_DB="${PG_LOGIN_DB:-postgres}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export REDIS_KEY_PREFIX_RASA="${REDIS_KEY_PREFIX_RASA:-pinbot}"
export GATEWAY_STATE="${GATEWAY_STATE:-redis}"
# How long a turn's ticket in Rasa's lock store lives (Rasa's default: 60 s). A replica killed mid-turn leaves its
# ticket behind, and the conversation's next turns wait behind it until it expires; the gateway gives up on a turn
# after RASA_TIMEOUT_SECONDS (5 s) anyway, and Rasa cancels a turn whose caller went away.
export TICKET_LOCK_LIFETIME="${TICKET_LOCK_LIFETIME:-10}"
START_TIMEOUT_SECONDS="${START_TIMEOUT_SECONDS:-300}"
source scripts/stack_env.sh

for name in RASA_REPLICAS ACTION_REPLICAS RASA_PORT ACTION_PORT GATEWAY_PORT START_TIMEOUT_SECONDS; do
  [[ "${!name}" =~ ^[1-9][0-9]*$ ]] || { echo "run-scaled: $name must be a positive integer, got '${!name}'" >&2; exit 2; }
done
# REDIS_URL is the one Redis setting: the gateway reads it, the lock store gets its parts (REDIS_HOST, ...).
redis_exports="$(as_role services .venv/bin/python -m scripts.scaled_services redis-env)" || exit $?
eval "$redis_exports"

rasa_ports=() action_ports=()
for ((i = 0; i < RASA_REPLICAS; i++)); do rasa_ports+=($((RASA_PORT + i))); done
for ((j = 0; j < ACTION_REPLICAS; j++)); do action_ports+=($((ACTION_PORT + j))); done
# A port already taken would make a readiness check answer for someone else's server.
for port in "${rasa_ports[@]}" "${action_ports[@]}" "$GATEWAY_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "run-scaled: port $port is already in use; stop what listens there or set RASA_PORT, ACTION_PORT or GATEWAY_PORT" >&2
    exit 2
  fi
done

# PostgreSQL and Redis must answer (exit 3 / 4 naming which, and the variables to set); then the tracker store is
# opened once, so its database is created if missing before the replicas start (none of them races to create it).
# (Rasa's and SQLAlchemy's deprecation warnings on import say nothing to an operator.)
(PYTHONWARNINGS=ignore SQLALCHEMY_SILENCE_UBER_WARNING=1 as_role services .venv/bin/python -m scripts.scaled_services prepare)

pids=()
declare -A names=() logs=()
stop_all() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # Rasa and the gateway finish their turns and close their connections on SIGTERM; force what is left after 20 s.
  for _ in $(seq 1 100); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.2
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap stop_all EXIT

# Each server replaces its subshell (as_role execs it, with only its role's secrets), so $! is the server itself: it
# gets the signals and is named when it dies.
started() {
  pids+=("$1")
  names[$1]="$2"
  logs[$1]="$3"
}

for ((j = 0; j < ACTION_REPLICAS; j++)); do
  (as_role actions .venv/bin/rasa run actions --actions actions --port "${action_ports[j]}" \
    --logging-config-file logging.yml) > >(log_to "$STATE_DIR/log/actions-$j.log") 2>&1 &
  started $! "action server $j (127.0.0.1:${action_ports[j]})" "$STATE_DIR/log/actions-$j.log"
done
rasa_urls=()
for ((i = 0; i < RASA_REPLICAS; i++)); do
  # Replica i calls action server i mod ACTION_REPLICAS; channels.cli adds --auth-token from RASA_AUTH_TOKEN.
  (
    export ACTION_ENDPOINT_URL="http://127.0.0.1:${action_ports[i % ACTION_REPLICAS]}/webhook"
    as_role rasa .venv/bin/python -m channels.cli run --model "$RASA_MODEL" --enable-api \
      -i "$RASA_HOST" -p "${rasa_ports[i]}" --credentials credentials.yml --endpoints endpoints.scaled.yml \
      --logging-config-file logging.yml
  ) > >(log_to "$STATE_DIR/log/rasa-$i.log") 2>&1 &
  started $! "Rasa replica $i (127.0.0.1:${rasa_ports[i]})" "$STATE_DIR/log/rasa-$i.log"
  rasa_urls+=("http://127.0.0.1:${rasa_ports[i]}")
done
(
  RASA_URLS="$(IFS=,; echo "${rasa_urls[*]}")"
  export RASA_URLS
  as_role gateway .venv-gateway/bin/python -m gateway
) > >(log_to "$STATE_DIR/log/gateway.log") 2>&1 &
gateway_pid=$!
started "$gateway_pid" "gateway (${GATEWAY_HOST}:${GATEWAY_PORT})" "$STATE_DIR/log/gateway.log"

# The token goes to curl on stdin, never on a command line.
replica_ready() {
  printf 'url = "%s/status?token=%s"\n' "$1" "$RASA_AUTH_TOKEN" | curl -fsS -m 2 -K - >/dev/null 2>&1
}
gateway_url="http://127.0.0.1:${GATEWAY_PORT}"
[ "$GATEWAY_HOST" = "0.0.0.0" ] || [ "$GATEWAY_HOST" = "127.0.0.1" ] || gateway_url="http://${GATEWAY_HOST}:${GATEWAY_PORT}"
all_ready() {
  local port url
  for port in "${action_ports[@]}"; do curl -fsS -m 2 "http://127.0.0.1:$port/health" >/dev/null 2>&1 || return 1; done
  for url in "${rasa_urls[@]}"; do replica_ready "$url" || return 1; done
  curl -fsS -m 2 "$gateway_url/healthz" >/dev/null 2>&1
}
# A process that died says which one and shows the end of its log.
check_alive() {
  local pid
  for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run-scaled: ${names[$pid]} exited during start-up; the end of ${logs[$pid]}:" >&2
      sleep 0.5  # let its log sink write the last lines
      tail -n 30 "${logs[$pid]}" >&2 || true
      exit 1
    fi
  done
}

echo "Starting $RASA_REPLICAS Rasa replicas, $ACTION_REPLICAS action servers and the gateway (logs: $STATE_DIR/log/)..." >&2
deadline=$((SECONDS + START_TIMEOUT_SECONDS))
until all_ready; do
  check_alive
  if ((SECONDS >= deadline)); then
    echo "run-scaled: not ready after ${START_TIMEOUT_SECONDS}s (START_TIMEOUT_SECONDS); see $STATE_DIR/log/" >&2
    exit 1
  fi
  sleep 1
done
echo "  Rasa replicas (local only): ${rasa_urls[*]}" >&2
echo "  Tracker store: PostgreSQL ${PGHOST}:${PGPORT}/${PG_DATABASE}; locks and gateway state: Redis ${REDIS_HOST}:${REDIS_PORT}/${REDIS_DB}" >&2
echo "  Demo page: http://localhost:${GATEWAY_PORT}/   Press Ctrl-C to stop." >&2
echo "READY ${gateway_url}"

# Supervise: a replica that dies is reported and the others keep serving (the gateway routes around it); without
# the gateway, or without any Rasa replica, nothing can answer, so everything stops.
while true; do
  sleep 1 &
  wait $! || true
  for pid in "${pids[@]}"; do
    [ -n "${names[$pid]:-}" ] || continue
    if ! kill -0 "$pid" 2>/dev/null; then
      status=0
      wait "$pid" 2>/dev/null || status=$?
      echo "run-scaled: ${names[$pid]} exited (status $status)" >&2
      if [ "$pid" = "$gateway_pid" ]; then exit 1; fi
      unset "names[$pid]"
      rasa_left=0
      for other in "${!names[@]}"; do [[ "${names[$other]}" == "Rasa replica "* ]] && rasa_left=1; done
      if [ "$rasa_left" = 0 ]; then
        echo "run-scaled: no Rasa replica left; stopping" >&2
        exit 1
      fi
    fi
  done
done
