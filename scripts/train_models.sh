#!/usr/bin/env bash
# How the three shipped models were trained on this 2-core CPU machine: one shared run without
# rebalancing (the natural model), then two short fine-tunes of its best checkpoint with rebalancing.
# Every stage is resumable: run the script again and each run continues where it stopped.
#   DATA=../shared/photos RUNS=/work/runs scripts/train_models.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${DATA:-../shared/photos}"
RUNS="${RUNS:-runs}"
py=.venv/bin/python
common=(--data "$DATA/train" --val "$DATA/val" --width 32 --activation relu --crop 128 --batch 16 --val-every 200)

stage() {  # stage RUN_DIR ARGS...: start the run, or resume it if it has a checkpoint
  local run=$1; shift
  if [ -f "$run/ckpt.pt" ]; then $py -m colorizer train --run "$run" --resume; else $py -m colorizer train --run "$run" "$@"; fi
}

stage "$RUNS/base" "${common[@]}" --steps 2400 --lambda 1 --lr 2e-3
stage "$RUNS/vivid" "${common[@]}" --steps 500 --lambda 0.5 --lr 5e-4 --warmup 20 --init "$RUNS/base/best.pt"
stage "$RUNS/balanced" "${common[@]}" --steps 500 --lambda 0.8 --lr 5e-4 --warmup 20 --init "$RUNS/base/best.pt"
