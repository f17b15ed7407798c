#!/usr/bin/env bash
# The main job: the whole pipeline on MovieLens 100k with local defaults, ending with the API
# answering. Steps: install and build, start a private PostgreSQL with pgvector, train the
# default model (tracked and registered in the MLflow file store ./mlruns), publish the
# champion to pgvector, start Prometheus (when installed), serve the API and query it.
#
# Environment:
#   ML100K_DIR       a local copy of MovieLens 100k (a folder or ml-100k.zip); without it the
#                    data set is downloaded from GroupLens once and verified
#   MLFLOW_TRACKING_URI  an MLflow tracking server (http://host:port) instead of ./mlruns
#   DATABASE_URL     your own PostgreSQL with pgvector, instead of the private cluster
#   RECSYS_PORT      port of the API on 127.0.0.1 (default 8080)
#   RECSYS_PG_PORT   port of the private PostgreSQL on 127.0.0.1 (default 55432)
#   DEMO_PROMETHEUS  0 to skip Prometheus (default 1 when it is installed)
#   DEMO_PROMETHEUS_PORT  port of Prometheus on 127.0.0.1 (default 9090)
#   DEMO_DETACH      1 to leave the API running in the background and exit; by default the
#                    script keeps serving until Ctrl-C
#   SKIP_INSTALL     1 to skip scripts/install-deps.sh
set -euo pipefail

if [[ $# -gt 0 ]]; then
  case $1 in
    -h | --help)
      # The usage is the comment block at the top of this file.
      sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "demo.sh: unknown argument '$1': the demo takes no arguments, only the environment" \
        "variables that --help lists" >&2
      exit 2
      ;;
  esac
fi

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
port=${RECSYS_PORT:-8080}
prometheus_port=${DEMO_PROMETHEUS_PORT:-9090}
prometheus_started=0

step() { printf '\n==> %s\n' "$*"; }

if [[ -z ${SKIP_INSTALL:-} ]]; then
  step "Installing missing packages"
  ./scripts/install-deps.sh
fi
step "Building"
./scripts/build.sh release recsys
recsys=$root/build/release/recsys

step "MovieLens 100k"
if [[ -n ${ML100K_DIR:-} ]]; then
  data=$ML100K_DIR
else
  "$recsys" data fetch --release ml-100k
  data=""
fi
data_options=()
[[ -n $data ]] && data_options=(--data "$data")
"$recsys" data info "${data_options[@]}"

DATABASE_URL_GIVEN=${DATABASE_URL:-}
if [[ -z ${DATABASE_URL:-} ]]; then
  step "Starting the private PostgreSQL cluster with pgvector"
  # The URL carries the password, so only its masked form is shown.
  ./scripts/local-db.sh start >/dev/null
  DATABASE_URL=$(./scripts/local-db.sh url)
  export DATABASE_URL
  echo "DATABASE_URL=$(./scripts/local-db.sh url --masked)"
fi
"$recsys" db migrate

step "Training the default model (implicit ALS) on split u1, tracked and registered in MLflow"
model_dir=$root/models/als-$(date -u +%Y%m%dT%H%M%SZ)
"$recsys" train "${data_options[@]}" --split u1 --model als --out "$model_dir" --register

step "Publishing the champion to pgvector"
"$recsys" publish --model models:/movielens-recommender@champion

if [[ ${DEMO_PROMETHEUS:-1} == 1 ]] && command -v prometheus >/dev/null; then
  step "Starting Prometheus"
  ./scripts/start-prometheus.sh start --port "$prometheus_port" --target "127.0.0.1:$port"
  prometheus_started=1
fi

step "Starting the API on 127.0.0.1:$port"
if curl -s -o /dev/null "http://127.0.0.1:$port/healthz"; then
  echo "demo.sh: a server already responds on port $port; stop it or set RECSYS_PORT" >&2
  exit 1
fi
mkdir -p "$root/.local"
log=$root/.local/serve-$(date -u +%Y%m%dT%H%M%SZ).log
"$recsys" serve --port "$port" >"$log" 2>&1 &
serve_pid=$!
echo "recsys serve: process $serve_pid, log $log"

ready=0
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
    ready=1
    break
  fi
  if ! kill -0 "$serve_pid" 2>/dev/null; then
    break
  fi
  sleep 0.2
done
if [[ $ready != 1 ]]; then
  echo "demo.sh: the API did not become ready; its log follows" >&2
  tail -n 30 "$log" >&2
  kill "$serve_pid" 2>/dev/null || true
  exit 1
fi

step "The API answers"
example="curl -s 'http://127.0.0.1:$port/recommendations/1?k=5'"
echo "\$ $example"
curl -fsS "http://127.0.0.1:$port/recommendations/1?k=5"
echo
cat <<TEXT

Try also:
  curl -s http://127.0.0.1:$port/model
  curl -s 'http://127.0.0.1:$port/movies/50/similar?k=5'
  curl -s -X POST http://127.0.0.1:$port/recommendations -H 'Content-Type: application/json' \\
       -d '{"ratings": [{"movie_id": 50, "rating": 5}, {"movie_id": 181, "rating": 4}], "k": 5}'
  curl -s http://127.0.0.1:$port/metrics
TEXT

# Prints how to stop what the demo leaves running: the database and Prometheus stay up for the
# next run and for the other commands.
print_stop_commands() {
  echo "Still running, to stop them:"
  [[ -n ${1:-} ]] && echo "  the API:        kill $1"
  [[ -z ${DATABASE_URL_GIVEN:-} ]] && echo "  PostgreSQL:     scripts/local-db.sh stop"
  [[ $prometheus_started == 1 ]] && echo "  Prometheus:     scripts/start-prometheus.sh stop"
  return 0
}

if [[ ${DEMO_DETACH:-0} == 1 ]]; then
  echo "The API keeps running as process $serve_pid."
  print_stop_commands "$serve_pid"
  exit 0
fi
echo "Serving until Ctrl-C."
trap 'kill -TERM "$serve_pid" 2>/dev/null || true' INT TERM
wait "$serve_pid" || true
# The first wait returns when the trap runs; the second waits for the graceful shutdown.
wait "$serve_pid" 2>/dev/null || true
echo
echo "The API stopped."
print_stop_commands
