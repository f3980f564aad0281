#!/usr/bin/env bash
# How the three shipped models were trained on this 2-core CPU machine: a shared run without rebalancing
# (1700 steps), a warm restart of its best checkpoint (2400 steps, lower peak lr), then one fine-tune of
# that per lambda with soft-encoded targets (1000 steps each; Natural and Balanced side by side with a
# thread each, then Vivid with both threads). Every stage is resumable: run the script again and each
# run continues where it stopped. (Session 3 started the fine-tunes from weights/natural.safetensors of
# commit f192aff, the fp16 copy of base2/best.pt, as base2's checkpoints were gone: --init takes either.)
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

stage "$RUNS/base" "${common[@]}" --steps 1700 --lambda 1 --lr 2e-3 --threads 2
stage "$RUNS/base2" "${common[@]}" --steps 2400 --lambda 1 --lr 1e-3 --warmup 50 --threads 2 --init "$RUNS/base/best.pt"
tune=("${common[@]}" --soft --steps 1000 --lr 5e-4 --warmup 30 --init "$RUNS/base2/best.pt")
OMP_NUM_THREADS=1 stage "$RUNS/natural-soft" "${tune[@]}" --lambda 1 --threads 1 &
OMP_NUM_THREADS=1 stage "$RUNS/balanced-soft" "${tune[@]}" --lambda 0.8 --threads 1 &
wait
stage "$RUNS/vivid-soft" "${tune[@]}" --lambda 0.5 --threads 2
