#!/usr/bin/env bash
# Installs the pgvector extension for every installed PostgreSQL server. Uses the
# distribution's postgresql-<major>-pgvector package when apt has one. Debian 12 has none, so
# otherwise it builds Debian's own pgvector source package from a newer release (trixie,
# pgvector 0.8.0) with PGXS. The source is fetched through a temporary apt configuration whose
# deb-src line reuses the mirror already configured on this machine. Run as root.
set -euo pipefail

# Every script here prints its header comment for --help and takes no other argument.
case ${1:-} in
  "") ;;
  -h | --help)
    sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "install-pgvector.sh: unknown argument '$1' (--help for details)" >&2
    exit 2
    ;;
esac

source_suite=${PGVECTOR_SOURCE_SUITE:-trixie}

for pg_config in /usr/lib/postgresql/*/bin/pg_config; do
  [[ -x $pg_config ]] || continue
  major=$("$pg_config" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
  extension_dir=$("$pg_config" --sharedir)/extension

  if [[ -f $extension_dir/vector.control ]]; then
    echo "install-pgvector.sh: pgvector is installed for PostgreSQL $major"
    continue
  fi

  if apt-cache show "postgresql-$major-pgvector" >/dev/null 2>&1; then
    echo "install-pgvector.sh: installing postgresql-$major-pgvector"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      "postgresql-$major-pgvector"
    continue
  fi

  # The mirror of the machine's first Debian source: deb822 (.sources) or one-line format.
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  if [[ -z $mirror ]]; then
    mirror=$(awk '/^deb / && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' \
      /etc/apt/sources.list 2>/dev/null || true)
  fi
  if [[ -z $mirror ]]; then
    echo "install-pgvector.sh: no Debian mirror found in /etc/apt/sources.list*;" \
      "install postgresql-$major-pgvector by hand or set up apt sources" >&2
    exit 1
  fi

  echo "install-pgvector.sh: building Debian's pgvector source package ($source_suite) for PostgreSQL $major"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/etc/sources.list.d" "$work/lists/partial" "$work/cache/archives/partial"
  echo "deb-src $mirror $source_suite main" >"$work/etc/sources.list"
  apt_options=(
    -o "Dir::Etc::SourceList=$work/etc/sources.list"
    -o "Dir::Etc::SourceParts=$work/etc/sources.list.d"
    -o "Dir::State::Lists=$work/lists"
    -o "Dir::Cache=$work/cache"
    -o "APT::Sandbox::User=root"
  )
  apt-get "${apt_options[@]}" update
  (cd "$work" && apt-get "${apt_options[@]}" source --download-only pgvector)
  (cd "$work" && dpkg-source -x pgvector_*.dsc pgvector)
  # OPTFLAGS="" leaves out -march=native, so the build runs on any x86-64 machine.
  make -C "$work/pgvector" USE_PGXS=1 PG_CONFIG="$pg_config" OPTFLAGS="" -j"$(nproc)"
  make -C "$work/pgvector" USE_PGXS=1 PG_CONFIG="$pg_config" OPTFLAGS="" install
  rm -rf "$work"
  trap - EXIT
done
