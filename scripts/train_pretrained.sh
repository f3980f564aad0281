#!/usr/bin/env bash
# How the three shipped models on the ImageNet-trained encoder (EfficientNet-Lite0; colorizer.lite_unet)
# were trained on this 2-core CPU machine, one lineage (docs/models.md):
#   1. s1 (session 15): the encoder frozen (inference mode), only the decoder learns; lambda 1, soft
#      targets, colour hints simulated on the crops, logits and loss at 1/2, crops of 160 px; 35 % of the
#      crops from train/, 65 % from scenes/, colourful photos drawn more often (chroma bias 2). Stopped
#      with SIGTERM at step 1457 of 2200 (validation flat since step 500); exported as
#      weights/candidates/lite_s1.safetensors;
#   2. s2 (session 15): the whole network from s1's last checkpoint, the encoder at 0.2x the learning
#      rate, 2600 steps. Natural is its last checkpoint (weights/candidates/lite_s2.safetensors);
#   3. (session 16) one decoder-only fine-tune of s2 per lambda, side by side, a thread each:
#      Balanced 0.8, Vivid 0.4.
# Every stage is resumable: run the script again and each run continues where it stopped. A machine
# without the run folders starts from the exported stage ends: S1=weights/candidates/lite_s1.safetensors
# (stage 2 from it) or S2=weights/candidates/lite_s2.safetensors (stage 3 only). Session 16's longer
# frozen-against-fine-tuned pair, not shipped, is in scripts/ablate_pretrained.sh.
#   DATA=../shared/photos RUNS=runs scripts/train_pretrained.sh [STEPS1=2200 STEPS2=2600 TUNE_STEPS=300]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${DATA:-../shared/photos}"
RUNS="${RUNS:-runs}"
py=.venv/bin/python
. scripts/runs.sh
common=(--data "$DATA/train" --data "$DATA/scenes" --folder-weights 0.35 0.65 --chroma-bias 2 --val "$DATA/val"
        --encoder lite0 --hints --crop 160 --batch 16 --soft --val-every 250 --ckpt-minutes 4)

stage() {  # stage RUN_DIR ARGS...: start the run, or resume it if it has a checkpoint; final.pt when done
  local run=$1; shift
  [ -f "$run/final.pt" ] && return
  if [ -f "$run/ckpt.pt" ]; then $py -m colorizer train --run "$run" --resume; else $py -m colorizer train --run "$run" "$@"; fi
  keep_final "$run"
}

S2="${S2:-}"
if [ -z "$S2" ]; then
  S1="${S1:-}"
  if [ -z "$S1" ]; then
    stage "$RUNS/lite_s1" "${common[@]}" --threads 2 --steps "${STEPS1:-2200}" --lr 1e-3 --warmup 100 --lambda 1
    S1="$RUNS/lite_s1/ckpt.pt"
  fi
  stage "$RUNS/lite_s2" "${common[@]}" --threads 2 --steps "${STEPS2:-2600}" --lr 5e-4 --warmup 50 --lambda 1 \
    --encoder-lr 0.2 --init "$S1"
  S2="$RUNS/lite_s2/final.pt"
fi
# two frozen runs side by side, a thread each, train about as many crops/s in all as one run on both
# threads with channels-last and bf16 (docs/models.md, "Training throughput")
tune=("${common[@]}" --steps "${TUNE_STEPS:-300}" --lr 3e-4 --warmup 20 --init "$S2" --threads 1)
OMP_NUM_THREADS=1 stage "$RUNS/lite16_balanced" "${tune[@]}" --lambda 0.8 > "$RUNS/lite16_balanced.log" 2>&1 &
OMP_NUM_THREADS=1 stage "$RUNS/lite16_vivid" "${tune[@]}" --lambda 0.4 > "$RUNS/lite16_vivid.log" 2>&1 &
wait

# Natural: s2 itself (lambda 1: a fine-tune would only go on training it)
natural_description="No rebalancing: calm, realistic colour; safest on any landscape."
if [ -f "$RUNS/lite_s2/final.pt" ]; then
  $py -m colorizer export "$RUNS/lite_s2" --name natural --title Natural --checkpoint final.pt \
    --temperature "${T_NATURAL:-0.6}" --description "$natural_description"
else  # the exported stage end: the same network, its card renamed
  cp "$S2" weights/natural.safetensors
  $py -c "import json, sys; card = json.load(open(sys.argv[1]))
card.update(id='natural', name='Natural', description=sys.argv[2], default_temperature=float(sys.argv[3]))
json.dump(card, open('weights/natural.json', 'w'), indent=1)" "${S2%.safetensors}.json" "$natural_description" "${T_NATURAL:-0.6}"
fi
$py -m colorizer export "$RUNS/lite16_balanced" --name balanced --title Balanced --checkpoint final.pt \
  --temperature "${T_BALANCED:-0.6}" --description "Moderate rebalancing (lambda 0.8): livelier than Natural, calmer than Vivid."
$py -m colorizer export "$RUNS/lite16_vivid" --name vivid --title Vivid --checkpoint final.pt \
  --temperature "${T_VIVID:-0.6}" --description "Strong rebalancing (lambda 0.4): saturated colour, rarer hues; can overshoot."
