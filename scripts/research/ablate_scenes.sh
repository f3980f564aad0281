#!/usr/bin/env bash
# Issue 13's ablations on the scene set, at equal training time on this 2-core CPU: runs go two at a time,
# a thread each, for about 12 minutes each (the steps below are sized to that from measured seconds per
# step; each run's metrics.csv has its real elapsed_s, and docs/history/models-unet.md reports it).
#   1. fine-tunes of the shared run's end ($INIT: runs/shared/final.pt, or on a machine without that run
#      the exported weights/natural.safetensors, the same network in fp16), lambda 1, lr 3e-4, one change each:
#      control (the shared run's sampling, 128-px crops), chroma bias 2, folder weights 0.5 / 0.5,
#      192-px crops, the global-context branch (grafted at near zero onto the plain network);
#      then control and context branch again at 3x the steps;
#   2. from scratch: width 32, 48 and 64 (the design's), lambda 1;
#   3. every run exported to $RUNS/ablations/ and evaluated on val/ and val-scenes/ at T 0.8, the crop
#      pair also at inference sizes 192 / 256 / 320 on val/ (val-scenes' 150-px photos are never upscaled).
# Resumable: a finished run is skipped, an unfinished one resumed.
#   DATA=../shared/photos RUNS=/work/runs [INIT=weights/natural.safetensors] scripts/research/ablate_scenes.sh [train|eval ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA="${DATA:-../shared/photos}"
RUNS="${RUNS:-runs}"
A="$RUNS/ablations"
INIT="${INIT:-$RUNS/shared/final.pt}"
py=.venv/bin/python
. scripts/runs.sh
sampling=(--encoder design --data "$DATA/train" --data "$DATA/scenes" --tone 0.3 --val "$DATA/val" --val-every 120 --workers 0
          --soft --lambda 1 --batch 16 --threads 1 --activation relu)
tune=("${sampling[@]}" --lr 3e-4 --warmup 30 --init "$INIT" --width 32)
scratch=("${sampling[@]}" --folder-weights 0.25 0.75 --chroma-bias 1 --crop 128 --lr 2e-3 --warmup 30)
# 1.5 s a step of 16 128-px crops at width 32 with a thread, two runs side by side (the scene set's first fine-tunes, docs/history/models-unet.md)
declare -A args=(
  [ft-control]="--folder-weights 0.25 0.75 --chroma-bias 1 --crop 128 --steps 480"
  [ft-bias2]="--folder-weights 0.25 0.75 --chroma-bias 2 --crop 128 --steps 480"
  [ft-folders]="--folder-weights 0.5 0.5 --chroma-bias 1 --crop 128 --steps 480"
  [ft-crop192]="--folder-weights 0.25 0.75 --chroma-bias 1 --crop 192 --steps 213"
  [ft-context]="--folder-weights 0.25 0.75 --chroma-bias 1 --crop 128 --steps 470 --global-context"
  [w32]="--width 32 --steps 480"
  [w48]="--width 48 --steps 333"
  [w64]="--width 64 --steps 210"
  # the context branch against its control at 3x the length (about 36 minutes each)
  [ft-control-long]="--folder-weights 0.25 0.75 --chroma-bias 1 --crop 128 --steps 1440"
  [ft-context-long]="--folder-weights 0.25 0.75 --chroma-bias 1 --crop 128 --steps 1410 --global-context"
)
pairs=("ft-control ft-bias2" "ft-crop192 ft-context" "ft-folders w64" "w32 w48" "ft-control-long ft-context-long")

one() {  # one NAME: start, resume or skip the run
  local base
  case $1 in ft-*) base=("${tune[@]}") ;; *) base=("${scratch[@]}") ;; esac
  # shellcheck disable=SC2086  # the table's words are separate options
  OMP_NUM_THREADS=1 train_run "$A/$1" "${base[@]}" ${args[$1]}
}

for step in ${@:-train eval}; do
  case $step in
    train) mkdir -p "$A"
           for pair in "${pairs[@]}"; do
             # appended, so that a finished run skipped on a later call keeps its log
             for name in $pair; do one "$name" >> "$A/$name.log" 2>&1 & done
             wait
           done ;;
    eval)  models=()
           for name in "${!args[@]}"; do
             [ -f "$A/$name/final.pt" ] || { echo "$name not finished" >&2; continue; }
             $py -m colorizer export "$A/$name" --name "$name" --checkpoint final.pt --temperature 0.8 \
               --weights-dir "$A/weights" > /dev/null
             models+=(--model "$A/weights/$name.safetensors")
           done
           $py -m colorizer evaluate "$DATA/val" "${models[@]}" --device onnx --json "$A/val.json"
           $py -m colorizer evaluate "$DATA/val-scenes" "${models[@]}" --device onnx --json "$A/val_scenes.json"
           for size in 192 320; do
             $py -m colorizer evaluate "$DATA/val" --model "$A/weights/ft-control.safetensors" \
               --model "$A/weights/ft-crop192.safetensors" --device onnx --size $size --json "$A/val_size$size.json"
           done ;;
    *) echo "unknown step $step (train, eval)" >&2; exit 2 ;;
  esac
done
