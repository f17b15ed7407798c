#!/usr/bin/env bash
# Configures and builds the project. Usage: scripts/build.sh [release|sanitize] [TARGET...]
#   TARGET... builds only these CMake targets (for example recsys); the default builds all
#   release   optimized build in build/release (the default)
#   sanitize  AddressSanitizer + UndefinedBehaviorSanitizer build in build/sanitize
#   UNITY_BUILD=OFF  compile file by file instead of in unity batches (default ON)
set -euo pipefail

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

root=$(cd "$(dirname "$0")/.." && pwd)
config=${1:-release}
shift || true
targets=()
for target in "$@"; do
  targets+=(--target "$target")
done

case $config in
  release) cmake_options=(-DCMAKE_BUILD_TYPE=Release) ;;
  # -O1 with line tables only: AddressSanitizer's documentation recommends -O1 or higher, and
  # -O1 compiles faster than -O2. NDEBUG is defined as in the release build.
  # At -O1, GCC 12 warns that std::regex's internal std::function may be used uninitialized
  # in every file that uses <regex>; the release build keeps the warning for our own code.
  # TODO: try the suite with assertions on (NDEBUG undefined), which adds Eigen's index checks.
  sanitize)
    cmake_options=(-DCMAKE_BUILD_TYPE=Sanitize
                   "-DCMAKE_CXX_FLAGS_SANITIZE=-O1 -g1 -DNDEBUG -Wno-maybe-uninitialized"
                   -DRECSYS_SANITIZE=ON -DRECSYS_BUILD_BENCH=OFF)
    ;;
  *)
    echo "build.sh: unknown configuration '$config': use release or sanitize (--help for details)" >&2
    exit 2
    ;;
esac

# Unity batches halve the build time (see CMakeLists.txt).
cmake_options+=(-DCMAKE_UNITY_BUILD="${UNITY_BUILD:-ON}")
cmake -S "$root" -B "$root/build/$config" "${cmake_options[@]}" >/dev/null
cmake --build "$root/build/$config" "${targets[@]}" -j"$(nproc)"
