#!/usr/bin/env bash
# How the three shipped models on the ImageNet-trained encoder (EfficientNet-Lite0; colorizer.lite_unet)
# are trained on this 2-core CPU machine, one lineage (docs/models.md):
#   1. frozen: the encoder frozen (inference mode), only the decoder learns; lambda 1, soft targets,
#      colour hints simulated on the crops, logits and loss at 1/2, crops of 160 px; 35 % of the crops
#      from train/, 65 % from scenes/, colourful photos drawn more often (chroma bias 2);
#   2. tuned: the whole network from frozen's last checkpoint, the encoder at 0.2x the learning rate.
#      Natural is its best checkpoint (lowest val loss);
#   3. one decoder-only fine-tune per lambda of tuned's last checkpoint (Balanced 0.8, Vivid 0.5).
# Every stage is resumable: run the script again and each run continues where it stopped. A machine
# without the run folders starts stage 2 from session 15's exported candidates (not shipped; the app does
# not list weights/candidates/): TUNED_INIT=weights/candidates/lite_s1.safetensors (or lite_s2).
#   DATA=../shared/photos RUNS=runs scripts/train_pretrained.sh [STEPS1=2200 STEPS2=2600 TUNE_STEPS=200]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${DATA:-../shared/photos}"
RUNS="${RUNS:-runs}"
py=.venv/bin/python
common=(--data "$DATA/train" --data "$DATA/scenes" --folder-weights 0.35 0.65 --chroma-bias 2 --val "$DATA/val"
        --encoder lite0 --hints --crop 160 --batch 16 --soft --val-every 250 --ckpt-minutes 4 --threads 2)

stage() {  # stage RUN_DIR ARGS...: start the run, or resume it if it has a checkpoint
  local run=$1; shift
  if [ -f "$run/ckpt.pt" ]; then $py -m colorizer train --run "$run" --resume; else $py -m colorizer train --run "$run" "$@"; fi
}

# session 15 stopped stage 1 at step 1457 of its 2200 (SIGTERM; validation flat since step 500) and started
# stage 2 from that last checkpoint
stage "$RUNS/lite_s1" "${common[@]}" --steps "${STEPS1:-2200}" --lr 1e-3 --warmup 100 --lambda 1
stage "$RUNS/lite_s2" "${common[@]}" --steps "${STEPS2:-2600}" --lr 5e-4 --warmup 50 --lambda 1 --encoder-lr 0.2 \
  --init "${TUNED_INIT:-$RUNS/lite_s1/ckpt.pt}"
[ -f "$RUNS/lite_s2/final.pt" ] || cp "$RUNS/lite_s2/ckpt.pt" "$RUNS/lite_s2/final.pt"
# the two fine-tunes side by side, a thread each
tune=("${common[@]}" --steps "${TUNE_STEPS:-200}" --lr 3e-4 --warmup 20 --init "$RUNS/lite_s2/final.pt" --threads 1)
OMP_NUM_THREADS=1 stage "$RUNS/lite_balanced" "${tune[@]}" --lambda 0.8 &
OMP_NUM_THREADS=1 stage "$RUNS/lite_vivid" "${tune[@]}" --lambda 0.5 &
wait

$py -m colorizer export "$RUNS/lite_s2" --name natural --title Natural --temperature "${T_NATURAL:-0.6}" \
  --description "No rebalancing: calm, realistic colour; safest on any landscape."
$py -m colorizer export "$RUNS/lite_balanced" --name balanced --title Balanced --temperature "${T_BALANCED:-0.5}" \
  --checkpoint ckpt.pt --description "Moderate rebalancing (lambda 0.8): livelier than Natural, calmer than Vivid."
$py -m colorizer export "$RUNS/lite_vivid" --name vivid --title Vivid --temperature "${T_VIVID:-0.5}" \
  --checkpoint ckpt.pt --description "Strong rebalancing (lambda 0.5): saturated colour, rarer hues; can overshoot."
