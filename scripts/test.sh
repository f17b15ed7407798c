#!/usr/bin/env bash
# Runs the whole test suite: installs missing packages, builds, then runs every test program
# in the release build and again under AddressSanitizer and UndefinedBehaviorSanitizer.
#   SKIP_INSTALL=1   do not run install-deps.sh
#   SKIP_SANITIZE=1  run the release build only
#   ML100K_DIR       MovieLens 100k directory for the end-to-end tests (default: the copy in
#                    ../shared/data/ml-100k beside the repository, when present)
set -euo pipefail

# Every script here prints its header comment for --help and takes no other argument.
case ${1:-} in
  "") ;;
  -h | --help)
    sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "test.sh: unknown argument '$1' (--help for details)" >&2
    exit 2
    ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [[ -z ${SKIP_INSTALL:-} ]]; then
  ./scripts/install-deps.sh
  # Only the tests use the Compose and Dockerfile linters, which come from the npm registry;
  # without them tests/containers skips its lint tests.
  ./scripts/install-linters.sh ||
    echo "test.sh: the linters are not installed; tests/containers skips the lint tests" >&2
fi

if [[ -z ${ML100K_DIR:-} && -f $root/../shared/data/ml-100k/u.data ]]; then
  ML100K_DIR=$(cd "$root/../shared/data/ml-100k" && pwd)
fi
if [[ -n ${ML100K_DIR:-} ]]; then
  export ML100K_DIR
  echo "test.sh: MovieLens 100k from $ML100K_DIR"
else
  echo "test.sh: ML100K_DIR is not set; the tests on the real MovieLens 100k are skipped"
fi

configs=(release)
if [[ -z ${SKIP_SANITIZE:-} ]]; then
  configs+=(sanitize)
fi

for config in "${configs[@]}"; do
  echo "test.sh: building and testing the $config configuration"
  ./scripts/build.sh "$config"
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    ctest --test-dir "build/$config" --output-on-failure
done
