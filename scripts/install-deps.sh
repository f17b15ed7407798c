#!/usr/bin/env bash
# Installs every Debian package that the build, the main job and the tests need, then
# pgvector. Safe to run again: it installs only what is missing. Runs as root or via sudo.
set -euo pipefail

# Every script here prints its header comment for --help and takes no other argument.
case ${1:-} in
  "") ;;
  -h | --help)
    sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "install-deps.sh: unknown argument '$1' (--help for details)" >&2
    exit 2
    ;;
esac

here=$(cd "$(dirname "$0")" && pwd)

packages=(
  build-essential cmake pkg-config git ca-certificates curl unzip zip
  libeigen3-dev libpq-dev libcpp-httplib-dev libcurl4-openssl-dev nlohmann-json3-dev
  libcli11-dev libspdlog-dev libyaml-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev libzip-dev
  postgresql postgresql-contrib postgresql-server-dev-all dpkg-dev
  prometheus wrk
)
# Node.js and npm run the Compose and Dockerfile linters (scripts/install-linters.sh). A
# machine with its own Node.js keeps it, because NodeSource's nodejs conflicts with Debian's npm.
if ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

if [[ $(id -u) -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null; then
  sudo=(sudo)
else
  echo "install-deps.sh: run as root or install sudo" >&2
  exit 1
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps.sh: installing ${missing[*]}"
  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    "${missing[@]}"
else
  echo "install-deps.sh: all Debian packages are installed"
fi

"${sudo[@]}" "$here/install-pgvector.sh"
