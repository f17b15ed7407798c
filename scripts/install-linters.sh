#!/usr/bin/env bash
# Installs the linters that tests/containers runs on docker-compose.yml and the Dockerfile
# (dclint and dockerfilelint, pinned in tools/package-lock.json) into tools/node_modules
# with `npm ci`. Needs Node.js >= 18.20 and npm from Debian 12 (scripts/install-deps.sh) or
# elsewhere. Safe to run again: it does nothing while the installed tree matches the lock.
set -euo pipefail

# Every script here prints its header comment for --help and takes no other argument.
case ${1:-} in
  "") ;;
  -h | --help)
    sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "install-linters.sh: unknown argument '$1' (--help for details)" >&2
    exit 2
    ;;
esac

tools=$(cd "$(dirname "$0")/../tools" && pwd)

if ! command -v npm >/dev/null; then
  echo "install-linters.sh: npm is missing: install nodejs and npm (scripts/install-deps.sh)" >&2
  exit 1
fi

# npm writes node_modules/.package-lock.json after every install; a copy newer than the lock
# file means the tree is current.
installed_lock=$tools/node_modules/.package-lock.json
if [[ -x $tools/node_modules/.bin/dclint && -x $tools/node_modules/.bin/dockerfilelint &&
      $installed_lock -nt $tools/package-lock.json ]]; then
  echo "install-linters.sh: dclint and dockerfilelint are installed in $tools/node_modules"
  exit 0
fi

echo "install-linters.sh: installing dclint and dockerfilelint into $tools/node_modules"
(cd "$tools" && npm ci --no-audit --no-fund)
