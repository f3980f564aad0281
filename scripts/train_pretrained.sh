#!/usr/bin/env bash
# How the three shipped models were trained on a 2-core CPU machine: the U-Net on the
# ImageNet-trained EfficientNet-Lite2 (colorizer.nets.lite_unet), one lineage (docs/models.md):
#   1. s1: the encoder frozen (inference mode), a fresh decoder learns; lambda 1, soft targets, colour
#      hints simulated on the crops, logits and loss at 1/2, crops of 160 px; 35 % of the crops from
#      train/, 65 % from scenes/, colourful photos drawn more often (chroma bias 2); lr 1e-3 over 2000
#      steps. The shipped models' s1 was scripts/research/ablate_pretrained.sh's lite2 arm (a thread,
#      beside the control), so there S1=runs/ablations-lite/lite2/final.pt;
#   2. s2: the whole network from s1's end, the encoder at 0.2x the learning rate, lr 5e-4 over 2600
#      steps (letting the encoder learn is what makes the models follow a hint they would not guess);
#   3. one decoder-only fine-tune of s2 per model, 300 steps, two side by side with a thread each:
#      Natural lambda 0.9, Balanced 0.6, Vivid 0.25.
# The Lite0 lineage (the models before these, docs/history/models-lite0.md) is this script at commit 85ad6b6.
# Every stage is resumable: run the script again and each run continues where it stopped. A machine
# without the run folders starts from an exported stage end: S1=... (stage 2 from it) or S2=... (stage 3
# only); weights/candidates/lite2_s2.safetensors is s2's end.
#   DATA=../shared/photos RUNS=runs scripts/train_pretrained.sh [STEPS1=2000 STEPS2=2600 TUNE_STEPS=300]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${DATA:-../shared/photos}"
RUNS="${RUNS:-runs}"
py=.venv/bin/python
. scripts/runs.sh
common=(--data "$DATA/train" --data "$DATA/scenes" --folder-weights 0.35 0.65 --chroma-bias 2 --val "$DATA/val"
        --encoder lite2 --hints --crop 160 --batch 16 --soft --val-every 250 --ckpt-minutes 4)

S2="${S2:-}"
if [ -z "$S2" ]; then
  S1="${S1:-}"
  if [ -z "$S1" ]; then
    train_run "$RUNS/lite2_s1" "${common[@]}" --threads 2 --steps "${STEPS1:-2000}" --lr 1e-3 --warmup 50 --lambda 1
    S1="$RUNS/lite2_s1/final.pt"
  fi
  train_run "$RUNS/lite2_s2" "${common[@]}" --threads 2 --steps "${STEPS2:-2600}" --lr 5e-4 --warmup 50 --lambda 1 \
    --encoder-lr 0.2 --init "$S1"
  S2="$RUNS/lite2_s2/final.pt"
fi
tune_three "$RUNS/lite2" "${common[@]}" --steps "${TUNE_STEPS:-300}" --lr 3e-4 --warmup 20 --init "$S2" --threads 1
ship_three "$RUNS/lite2" "any landscape"
