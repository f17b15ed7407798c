#!/usr/bin/env bash
# Configures and builds the project. Usage: scripts/build.sh [release|sanitize] [TARGET...]
#   TARGET... builds only these CMake targets (for example recsys); the default builds all
#   release   optimized build in build/release (the default)
#   sanitize  AddressSanitizer + UndefinedBehaviorSanitizer build in build/sanitize
set -euo pipefail

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
  # -O1 compiles faster than -O2. NDEBUG stays undefined, so assertions (Eigen's index checks
  # among them) run too.
  sanitize)
    cmake_options=(-DCMAKE_BUILD_TYPE=Sanitize "-DCMAKE_CXX_FLAGS_SANITIZE=-O1 -g1"
                   -DRECSYS_SANITIZE=ON -DRECSYS_BUILD_BENCH=OFF)
    ;;
  *)
    echo "build.sh: unknown configuration '$config': use release or sanitize" >&2
    exit 1
    ;;
esac

cmake -S "$root" -B "$root/build/$config" "${cmake_options[@]}" >/dev/null
cmake --build "$root/build/$config" "${targets[@]}" -j"$(nproc)"
