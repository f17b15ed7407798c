#!/usr/bin/env bash
# Measures `recsys serve` on MovieLens 100k against its raw ceiling, pgbench running the
# service's own recommendation query. It starts a private PostgreSQL cluster, trains and
# publishes an ALS model, starts the service and runs bench/service_bench.cpp. That program
# prints requests/s, p50/p90/p99 latency and errors of both runs, their ratio and the
# service's RSS. Everything runs on loopback and is stopped and removed at the end.
#   ML100K_DIR     MovieLens 100k directory or zip (else the copy `recsys data fetch` cached)
#   BUILD_DIR      build with recsys and bench/service_bench (default build/release)
#   DURATION       seconds per run (default 20)
#   CLIENTS        pgbench clients and wrk connections (default 16)
#   SERVE_THREADS  recsys serve --threads (default 16: one worker per keep-alive connection)
#   EF_SEARCH      hnsw.ef_search of the service and of pgbench (default: recsys serve's)
#   ROUNDS         pgbench-then-wrk rounds; with more than 1 the summary takes medians
#                  (default 1)
#   DB_PORT, SERVICE_PORT   loopback ports (default 55439 and 18080)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build/release}
recsys=$build/recsys
bench=$build/bench/service_bench
duration=${DURATION:-20}
clients=${CLIENTS:-16}
serve_threads=${SERVE_THREADS:-16}
ef_options=()
[[ -n ${EF_SEARCH:-} ]] && ef_options=(--ef-search "$EF_SEARCH")
db_port=${DB_PORT:-55439}
service_port=${SERVICE_PORT:-18080}

for program in "$recsys" "$bench"; do
  [[ -x $program ]] || {
    echo "service_bench.sh: $program is missing: run scripts/build.sh release" >&2
    exit 1
  }
done
for tool in wrk pgbench curl; do
  command -v "$tool" >/dev/null || {
    echo "service_bench.sh: $tool is not installed: run scripts/install-deps.sh" >&2
    exit 1
  }
done

work=$(mktemp -d /tmp/recsys-service-bench-XXXXXX)
chmod 755 "$work"
export RECSYS_PG_DIR=$work/postgres RECSYS_PG_PORT=$db_port
service_pid=

cleanup() {
  if [[ -n $service_pid ]]; then
    kill -TERM "$service_pid" 2>/dev/null || true
    wait "$service_pid" 2>/dev/null || true
  fi
  "$root/scripts/local-db.sh" stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

database_url=$("$root/scripts/local-db.sh" start | tail -n 1)
"$recsys" db migrate --database-url "$database_url"

data_options=()
if [[ -n ${ML100K_DIR:-} ]]; then
  data_options=(--data "$ML100K_DIR")
fi
"$recsys" train "${data_options[@]}" --split u1 --out "$work/model"
"$recsys" publish --database-url "$database_url" --model-dir "$work/model" --model-version bench

"$recsys" serve --host 127.0.0.1 --port "$service_port" --threads "$serve_threads" \
  --database-url "$database_url" --champion '' --no-access-log "${ef_options[@]}" \
  2>"$work/serve.log" &
service_pid=$!
for _ in $(seq 1 100); do
  if curl -fs "http://127.0.0.1:$service_port/readyz" >/dev/null; then
    break
  fi
  sleep 0.2
done
curl -fs "http://127.0.0.1:$service_port/readyz" >/dev/null || {
  cat "$work/serve.log" >&2
  echo "service_bench.sh: recsys serve did not become ready" >&2
  exit 1
}

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
echo "recsys serve --threads $serve_threads; $clients clients for $duration s per run"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$bench" --database-url "$database_url" --service-url "http://127.0.0.1:$service_port" \
  --service-pid "$service_pid" --users 943 --clients "$clients" --duration "$duration" \
  --work-dir "$work/bench" --rounds "${ROUNDS:-1}" "${ef_options[@]}"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
