#!/usr/bin/env bash
# The long run of issue 33, in progress: the shipped models' trunk (weights/candidates/lite2_s2, the
# EfficientNet-Lite2 U-Net after its frozen and learning stages on train/ + scenes/) trained on for
# 25,000 steps of 16 crops (400,000 crops) on all three training folders, the encoder learning at 0.2x,
# half of the crops given a film-like gray (--film 0.5, colorizer.film), the three val folders logged
# apart every 1,250 steps (20,000 crops). On 2 CPU cores that takes several sittings: run this script
# again and the run resumes from its checkpoint (ckpt.pt, written every 8 minutes and on SIGTERM).
#
# A machine without the run folder starts from the last exported trunk instead (FROM=...; export one
# with `scripts/train_broad.sh candidate` before the machine goes): a new run from those weights, over the
# steps still to go, at the learning rate the first run had reached (LR=...). Adam's moments start afresh
# there, which the first steps of warm-up absorb.
# The run's curve goes on from the crops the first run had seen (`colorizer figures --crops-before N`).
#
# Then, from the trunk's end (TRUNK=..., default the run's final.pt), the three models as the shipped
# lineage makes them: one decoder-only fine-tune each (300 steps, lr 3e-4), Natural lambda 0.9, Balanced
# 0.6, Vivid 0.25, the rebalancing counted on these folders' crops (--prior data), two side by side with a
# thread each; `ship` exports them to weights/ and stores their common encoder once.
#   DATA=../shared/photos RUNS=runs scripts/train_broad.sh [train|candidate|tune|ship]
#   FROM=weights/candidates/lite2_broad_trunk.safetensors STEPS=... LR=... scripts/train_broad.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${DATA:-../shared/photos}"
RUNS="${RUNS:-runs}"
RUN="${RUN:-$RUNS/broad_trunk}"
py=.venv/bin/python
. scripts/runs.sh
args=(--data "$DATA/train" --data "$DATA/scenes" --data "$DATA/broad" --folder-weights 0.25 0.40 0.35
      --chroma-bias 2 --val "$DATA/val" --val "$DATA/val-scenes" --val "$DATA/val-broad" --val-each
      --encoder lite2 --hints --crop 160 --batch 16 --soft --lambda 1 --encoder-lr 0.2 --film 0.5
      --val-every 1250 --ckpt-minutes "${CKPT_MINUTES:-8}" --threads "${THREADS:-2}")
case "${1:-train}" in
  train)
    if [ -n "${FROM:-}" ]; then
      train_run "$RUN" "${args[@]}" --init "$FROM" --steps "${STEPS:?steps still to go}" --lr "${LR:?}" --warmup 50
    else
      train_run "$RUN" "${args[@]}" --init weights/candidates/lite2_s2.safetensors --steps 25000 --lr 5e-4 \
        --warmup 100
    fi ;;
  candidate)  # the run's latest weights as an fp16 model, to restart from on another machine
    $py -m colorizer export "$RUN" --name lite2_broad_trunk --weights-dir weights/candidates --checkpoint ckpt.pt \
      --title "Broad trunk (in training)" --temperature 0.6 \
      --description "The long run on train/, scenes/ and broad/ with film-like inputs, as far as it got." ;;
  tune)
    trunk="${TRUNK:-$RUN/final.pt}"
    # the run's settings, with the later flags in place of its own (argparse keeps an option's last value)
    tune_three "$RUNS/broad" "${args[@]}" --threads 1 --init "$trunk" --encoder-lr 0 --prior data \
      --steps "${TUNE_STEPS:-300}" --lr 3e-4 --warmup 20 --val-every 150 ;;
  ship)
    ship_three "$RUNS/broad" "any photo" ;;
  *) echo "unknown step $1 (train, candidate, tune, ship)" >&2; exit 2 ;;
esac
