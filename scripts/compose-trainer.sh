#!/bin/sh
# The one-shot job of the trainer service in docker-compose.yml. It gets MovieLens 100k,
# trains and evaluates a model tracked in MLflow and registers it (the champion alias moves
# when the new version is better). Then it creates the schema and publishes the champion.
# Environment:
#   MLFLOW_TRACKING_URI  MLflow tracking server (required)
#   DATABASE_URL         PostgreSQL database with pgvector (required)
#   RECSYS_DATA_DIR      data directory; an unzipped ml-100k/ or a verified ml-100k.zip in it
#                        is used as it is, otherwise MovieLens 100k is downloaded into it
#   RECSYS_MODEL_NAME    registered model name (default movielens-recommender)
set -eu

# Every script here prints its header comment for --help and takes no other argument.
case ${1:-} in
  "") ;;
  -h | --help)
    sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "compose-trainer.sh: unknown argument '$1' (--help for details)" >&2
    exit 2
    ;;
esac

: "${MLFLOW_TRACKING_URI:?set MLFLOW_TRACKING_URI to the MLflow tracking server}"
: "${DATABASE_URL:?set DATABASE_URL to the PostgreSQL database}"
: "${RECSYS_DATA_DIR:?set RECSYS_DATA_DIR to the MovieLens data directory}"
model_name=${RECSYS_MODEL_NAME:-movielens-recommender}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -f "$RECSYS_DATA_DIR/ml-100k/u.data" ]; then
  export ML100K_DIR="$RECSYS_DATA_DIR/ml-100k"
  echo "compose-trainer: MovieLens 100k from $ML100K_DIR"
else
  echo "compose-trainer: fetching MovieLens 100k into $RECSYS_DATA_DIR (a verified copy is reused)"
  recsys data fetch --dir "$RECSYS_DATA_DIR"
fi

# dash has no pipefail, so the output goes to a file first to keep train's exit status.
recsys train --split u1 --out "$work/model" >"$work/train.log"
cat "$work/train.log"
# MLflow run ids are 32 lowercase hex digits; the last one printed is the training run.
run_id=$(grep -oE '[0-9a-f]{32}' "$work/train.log" | tail -n 1 || true)
if [ -z "$run_id" ]; then
  echo "compose-trainer: recsys train printed no MLflow run id; is MLFLOW_TRACKING_URI reachable?" >&2
  exit 1
fi

recsys register --run-id "$run_id" --registered-model "$model_name"
recsys db migrate
recsys publish --model "models:/$model_name@champion"
echo "compose-trainer: published models:/$model_name@champion"
