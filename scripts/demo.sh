#!/usr/bin/env bash
# The main job: the whole pipeline on MovieLens 100k with local defaults.
#   ML100K_DIR   a local copy of MovieLens 100k (a directory or ml-100k.zip); without it the
#                data set is downloaded from GroupLens and verified
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [[ -z ${SKIP_INSTALL:-} ]]; then
  ./scripts/install-deps.sh
fi
./scripts/build.sh release
recsys=$root/build/release/recsys

data_options=()
if [[ -n ${ML100K_DIR:-} ]]; then
  data_options=(--data "$ML100K_DIR")
fi

rm -rf "$root/models/demo"
"$recsys" train "${data_options[@]}" --split u1 --out "$root/models/demo"
