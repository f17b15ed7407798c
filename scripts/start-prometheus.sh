#!/usr/bin/env bash
# Runs the installed Prometheus with the repository's configuration and rules, scraping a
# local `recsys serve`, and prints its URL.
# Usage: scripts/start-prometheus.sh [start] [--target HOST:PORT] [--port PORT] | stop | status
#        | --help
#   start     the default; writes the configuration and starts Prometheus in the background,
#             or prints the URL of the one already running
#   --target  address of recsys serve to scrape (default 127.0.0.1:8080); HOST is letters,
#             digits, dots and hyphens or a bracketed IPv6 address such as [::1]
#   --port    port of Prometheus on 127.0.0.1, 1 to 65535 (default 9090)
#   stop      stops the Prometheus that this script started, by its process id
#   status    whether it runs, its URL and its log file
#   --help    prints this text
# Unknown commands and options exit with status 2.
# Data, configuration, log and process id live in RECSYS_PROMETHEUS_DIR (default
# <repo>/.local/prometheus).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${RECSYS_PROMETHEUS_DIR:-$root/.local/prometheus}
config=$dir/prometheus.yml
log=$dir/prometheus.log
pid_file=$dir/prometheus.pid
address_file=$dir/address

fail() {
  echo "start-prometheus.sh: $*" >&2
  exit 1
}

# Prints the comment block at the top of this file.
usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

usage_error() {
  echo "start-prometheus.sh: $*" >&2
  echo "Usage: scripts/start-prometheus.sh [start] [--target HOST:PORT] [--port PORT] | stop |" \
    "status (--help for details)" >&2
  exit 2
}

# True when $1 is a decimal port number from 1 to 65535.
is_port() {
  [[ $1 =~ ^[0-9]{1,5}$ ]] && ((10#$1 >= 1 && 10#$1 <= 65535))
}

command=start
if [[ $# -gt 0 && $1 != -* ]]; then
  command=$1
  shift
  [[ $command =~ ^(start|stop|status)$ ]] ||
    usage_error "unknown command '$command': use start, stop or status"
fi
target=127.0.0.1:8080
port=9090
while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help)
      usage
      exit 0
      ;;
    --target)
      [[ $# -ge 2 ]] || usage_error "--target needs HOST:PORT"
      target=$2
      shift 2
      ;;
    --port)
      [[ $# -ge 2 ]] && is_port "$2" ||
        usage_error "invalid --port '${2:-}': use a number from 1 to 65535"
      port=$((10#$2))
      shift 2
      ;;
    *) usage_error "unknown option '$1'" ;;
  esac
done
# The target lands in prometheus.yml through sed, so only characters a host name or an IPv6
# address can hold get through.
if [[ ! $target =~ ^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):([0-9]+)$ ]] ||
  ! is_port "${BASH_REMATCH[2]}"; then
  usage_error "invalid --target '$target': use HOST:PORT, where HOST is letters, digits, dots" \
    "and hyphens or [IPv6] and PORT is 1 to 65535"
fi

is_running() {
  [[ -f $pid_file ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

# Copies prometheus.yml with the two targets and the rule file paths changed; everything
# else stays as committed.
write_config() {
  mkdir -p "$dir/data"
  # The clone's path may hold sed's special characters \, & and the # delimiter.
  local rules
  rules=$(printf '%s' "$root/prometheus/rules/" | sed -e 's/[\\&#]/\\&/g')
  sed -e "s#\"127.0.0.1:8080\"#\"$target\"#" \
    -e "s#\"127.0.0.1:9090\"#\"127.0.0.1:$port\"#" \
    -e "s#^\(  - \)rules/#\1$rules#" \
    "$root/prometheus/prometheus.yml" >"$config.tmp"
  promtool check config "$config.tmp" >/dev/null || fail "the generated $config.tmp is invalid"
  mv "$config.tmp" "$config"
}

start() {
  command -v prometheus >/dev/null || fail "prometheus is not installed (scripts/install-deps.sh)"
  if is_running; then
    echo "start-prometheus.sh: Prometheus is already running (pid $(cat "$pid_file"))"
    echo "http://$(cat "$address_file")"
    return 0
  fi
  write_config
  echo "127.0.0.1:$port" >"$address_file"
  nohup prometheus --config.file="$config" --storage.tsdb.path="$dir/data" \
    --web.listen-address="127.0.0.1:$port" >"$log" 2>&1 &
  echo $! >"$pid_file"

  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$port/-/ready" 2>/dev/null; then
      echo "start-prometheus.sh: Prometheus scrapes $target; log in $log" >&2
      echo "http://127.0.0.1:$port"
      return 0
    fi
    is_running || break
    sleep 0.2
  done
  tail -n 20 "$log" >&2 || true
  fail "Prometheus did not become ready on 127.0.0.1:$port (is the port in use? use --port)"
}

stop() {
  if ! is_running; then
    echo "start-prometheus.sh: Prometheus is not running"
    rm -f "$pid_file"
    return 0
  fi
  local pid
  pid=$(cat "$pid_file")
  kill "$pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  rm -f "$pid_file"
  echo "start-prometheus.sh: stopped Prometheus (pid $pid)"
}

case $command in
  start) start ;;
  stop) stop ;;
  status)
    if is_running; then
      echo "running: http://$(cat "$address_file"), pid $(cat "$pid_file"), log $log"
    else
      echo "stopped"
      exit 3
    fi
    ;;
esac
