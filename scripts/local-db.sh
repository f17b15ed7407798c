#!/usr/bin/env bash
# Runs a private PostgreSQL cluster with pgvector for development and tests.
# Usage: scripts/local-db.sh start|stop|status|url [--masked] | --help
#   start   initializes the cluster on first use, starts it and creates the database "recsys"
#           (role "recsys", extension "vector"). Its messages go to stderr, and stdout gets
#           the DATABASE_URL, with the password as *** when stdout is a terminal
#   stop    fast shutdown (open transactions are rolled back)
#   status  whether the cluster runs, its directory, port and log file
#   url     prints the DATABASE_URL with its password, for capture in a variable:
#           export DATABASE_URL=$(scripts/local-db.sh url)
#           --masked prints it with the password as *** instead, for display
#   --help  prints this text
# Unknown commands and options exit with status 2.
# Environment:
#   RECSYS_PG_DIR    cluster directory (default <repo>/.local/postgres); it holds data/, the
#                    log postgres.log, the Unix socket and the generated password
#   RECSYS_PG_PORT   TCP port on 127.0.0.1 (default 55432); applied at every start
#   RECSYS_PG_BIN    PostgreSQL server programs (default: the newest /usr/lib/postgresql/*/bin)
# The server listens on 127.0.0.1 and on a Unix socket in the cluster directory only, and asks
# every client but the cluster's superuser for a password (scram-sha-256).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
port=${RECSYS_PG_PORT:-55432}
database=recsys
role=recsys

fail() {
  echo "local-db.sh: $*" >&2
  exit 1
}

# Prints the comment block at the top of this file.
usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

usage_error() {
  echo "local-db.sh: $*" >&2
  echo "Usage: scripts/local-db.sh start|stop|status|url [--masked] (--help for details)" >&2
  exit 2
}

command=${1:-}
case $command in
  -h | --help)
    usage
    exit 0
    ;;
  start | stop | status | url) shift ;;
  "") usage_error "no command given" ;;
  -*) usage_error "unknown option '$command'" ;;
  *) usage_error "unknown command '$command': use start, stop, status or url" ;;
esac
masked=0
while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help)
      usage
      exit 0
      ;;
    --masked)
      [[ $command == url ]] || usage_error "--masked applies to the url command only"
      masked=1
      shift
      ;;
    *) usage_error "unknown option '$1' for $command" ;;
  esac
done

if [[ -n ${RECSYS_PG_BIN:-} ]]; then
  bin=$RECSYS_PG_BIN
else
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
[[ -x ${bin:-}/initdb ]] || fail "no PostgreSQL server programs in '${bin:-}': install postgresql" \
  "(scripts/install-deps.sh) or set RECSYS_PG_BIN"

# PostgreSQL refuses to run as root, so root runs the server as the "postgres" system user.
if [[ $(id -u) -eq 0 ]]; then
  server_user=postgres
  id "$server_user" >/dev/null 2>&1 || fail "user '$server_user' does not exist: install postgresql"
  as_server() { runuser -u "$server_user" -- "$@"; }
else
  server_user=$(id -un)
  as_server() { "$@"; }
fi

# The server user must be able to reach the cluster directory. A clone under a home directory
# that is closed to other users (mode 700, as /root usually is) cannot host it, so the default
# moves to a directory under /tmp named after the clone.
default_dir=$root/.local/postgres
if [[ -n ${RECSYS_PG_DIR:-} ]]; then
  dir=$RECSYS_PG_DIR
  explicit_dir=1
else
  dir=$default_dir
  explicit_dir=0
fi
dir=$(realpath -m "$dir")

can_reach() { as_server test -x "$1" 2>/dev/null; }

if [[ $command == start ]]; then
  mkdir -p "$dir"
fi
if [[ $server_user != $(id -un) ]] && ! can_reach "$(dirname "$dir")"; then
  if ((explicit_dir)); then
    fail "user '$server_user' cannot enter '$(dirname "$dir")' (a parent directory lacks" \
      "the x permission for others): choose an RECSYS_PG_DIR under /tmp or /var/tmp"
  fi
  dir=/tmp/recsys-postgres-$(printf '%s' "$root" | cksum | cut -d ' ' -f 1)
  echo "local-db.sh: user '$server_user' cannot enter '$default_dir'; using '$dir'" >&2
  if [[ $command == start ]]; then
    mkdir -p "$dir"
  fi
fi

data=$dir/data
log=$dir/postgres.log
password_file=$dir/password
# The Unix socket path is limited to 107 bytes by the kernel (sun_path).
socket=$dir/.s.PGSQL.$port
((${#socket} <= 107)) || fail "the socket path '$socket' is longer than 107 bytes: choose a" \
  "shorter RECSYS_PG_DIR"

is_running() { [[ -f $data/PG_VERSION ]] && as_server "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

# The port the cluster is configured for, read from postgresql.conf.
configured_port() {
  sed -nE 's/^port = ([0-9]+).*/\1/p' "$data/postgresql.conf" | tail -n 1
}

database_url() {
  local password
  password=$(cat "$password_file")
  echo "postgresql://$role:$password@127.0.0.1:$(configured_port)/$database"
}

masked_database_url() {
  echo "postgresql://$role:***@127.0.0.1:$(configured_port)/$database"
}

# The URL that start prints: a terminal shows it without the password, and a program that
# captures stdout (the tests, the benchmarks) gets the URL it can connect with.
print_started_url() {
  if [[ -t 1 ]]; then
    masked_database_url
    echo "local-db.sh: export DATABASE_URL=\$(scripts/local-db.sh url) sets it with the" \
      "password" >&2
  else
    database_url
  fi
}

# Runs psql as the cluster's superuser over the Unix socket.
superuser_psql() {
  as_server "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$(configured_port)" \
    -U "$server_user" "$@"
}

initialize() {
  echo "local-db.sh: initializing a new cluster in $data" >&2
  chown "$server_user" "$dir"
  chmod 700 "$dir"
  if [[ ! -f $password_file ]]; then
    (umask 077 && openssl rand -hex 16 >"$password_file")
  fi
  as_server "$bin/initdb" -D "$data" --encoding=UTF8 --locale=C.UTF-8 --auth-local=peer \
    --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 ||
    fail "initdb failed; see $dir/initdb.log"

  cat >>"$data/postgresql.conf" <<EOF

# Added by scripts/local-db.sh: a private cluster reachable from this machine only.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
port = $port
# Building an HNSW index is much faster when the graph fits in maintenance_work_mem.
maintenance_work_mem = '512MB'
EOF
  # The superuser logs in over the socket as the same system user; everyone else needs the
  # password.
  cat >"$data/pg_hba.conf" <<EOF
# TYPE  DATABASE  USER            ADDRESS       METHOD
local   all       $server_user                  peer
local   all       all                           scram-sha-256
host    all       all             127.0.0.1/32  scram-sha-256
host    all       all             ::1/128       scram-sha-256
EOF
}

# Creates the role, the database and the vector extension unless they exist. The password
# reaches psql on stdin: a command-line argument is readable by every local user in /proc.
create_database() {
  local password
  password=$(cat "$password_file")
  # Inside '...' psql reads a backslash as an escape, so both \ and ' get one.
  password=${password//\\/\\\\}
  password=${password//\'/\\\'}
  {
    printf '\\set password '\''%s'\''\n' "$password"
    cat <<'EOF'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'role', :'role')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'role') \gexec
EOF
  } | superuser_psql -d postgres -v role="$role"
  superuser_psql -d "$database" -c "SET client_min_messages = warning" \
    -c "CREATE EXTENSION IF NOT EXISTS vector"
}

start() {
  if [[ ! -f $data/PG_VERSION ]]; then
    initialize
  fi
  if is_running; then
    echo "local-db.sh: the cluster in $dir is already running on port $(configured_port)" >&2
    create_database
    print_started_url
    return 0
  fi
  if [[ $(configured_port) != "$port" ]]; then
    # sed -i replaces the file, so it runs as the server user to keep the file readable.
    as_server sed -i -E "s/^port = [0-9]+/port = $port/" "$data/postgresql.conf"
  fi
  if ! as_server "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null; then
    tail -n 20 "$log" >&2 || true
    fail "the server did not start; see $log (is port $port in use? set RECSYS_PG_PORT)"
  fi
  echo "local-db.sh: started the cluster in $dir on 127.0.0.1:$port; log in $log" >&2
  create_database
  print_started_url
}

stop() {
  if ! is_running; then
    echo "local-db.sh: the cluster in $dir is not running"
    return 0
  fi
  as_server "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
  echo "local-db.sh: stopped the cluster in $dir"
}

status() {
  if is_running; then
    echo "running: $dir, port $(configured_port), pid $(head -n 1 "$data/postmaster.pid"), log $log"
  elif [[ -f $data/PG_VERSION ]]; then
    echo "stopped: $dir"
    return 3
  else
    echo "not initialized: $dir"
    return 3
  fi
}

case $command in
  start) start ;;
  stop) stop ;;
  status) status ;;
  url)
    [[ -f $data/PG_VERSION ]] || fail "no cluster in $dir: run scripts/local-db.sh start"
    if ((masked)); then
      masked_database_url
    else
      database_url
    fi
    ;;
esac
