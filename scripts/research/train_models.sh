#!/usr/bin/env bash
# How the design U-Net's models (shipped before the pretrained encoder; retired, and kept here to reproduce
# docs/history/models-history.md and docs/history/models-unet.md) were trained on a 2-core CPU machine,
# all from one lineage without rebalancing until the last stage:
#   1. base: from scratch, lambda 1 (1700 steps, best at 1600);
#   2. base2: a warm restart of its best at a lower peak lr (2400 steps, best at 1600);
#   3. natural-soft: a fine-tune of that with soft-encoded targets (1000 steps);
#   4. long: a warm restart of that, soft targets, cosine over 3000 steps. Natural is its best checkpoint
#      (lowest val loss); its last checkpoint (final.pt) is where the rebalanced fine-tunes start;
#   5. one fine-tune per lambda of long's final.pt (800 steps each, side by side with a thread each).
# Every stage is resumable: run the script again and each run continues where it stopped. The first
# models started stages 3 and 4 from the fp16 copies of the previous stage in weights/ (commits f192aff and
# f9e1db7), as run folders were not always kept: --init takes either a checkpoint or a shipped model.
# Stage 4 was started as a 6000-step schedule and shortened to 3000 at step 1256
# (`--resume --steps 3000`); this script gives the 3000 from the start.
#   DATA=../shared/photos RUNS=/work/runs scripts/research/train_models.sh          (the first lineage)
#   DATA=../shared/photos RUNS=/work/runs SCENES=1 scripts/research/train_models.sh (and the scene-set run)
#   DATA=../shared/photos RUNS=/work/runs SCENES=2 scripts/research/train_models.sh (a second cosine of its end)
#   DATA=../shared/photos RUNS=/work/runs SCENES=3 scripts/research/train_models.sh (the same, chroma bias 2)
#   COSINE_STEPS=3000 DATA=../shared/photos RUNS=/work/runs SCENES=4 scripts/research/train_models.sh (and without the branch)
# SCENES=2 to 4 start from the scene-set Natural, which weights/ no longer holds, so give it with
# COSINE_INIT=FILE (git show af61720:weights/natural.safetensors, and its .json beside it; docs/history/models-unet.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA="${DATA:-../shared/photos}"
RUNS="${RUNS:-runs}"
py=.venv/bin/python
. scripts/runs.sh
common=(--data "$DATA/train" --val "$DATA/val" --encoder design --width 32 --activation relu --crop 128 --batch 16 --val-every 200)

stage() {  # stage RUN_DIR ARGS...: start the run, or resume it if it has a checkpoint
  local run=$1; shift
  if [ -f "$run/ckpt.pt" ]; then $py -m colorizer train --run "$run" --resume; else $py -m colorizer train --run "$run" "$@"; fi
}

if [ "${SCENES:-0}" = 0 ]; then
  stage "$RUNS/base" "${common[@]}" --steps 1700 --lambda 1 --lr 2e-3 --threads 2
  stage "$RUNS/base2" "${common[@]}" --steps 2400 --lambda 1 --lr 1e-3 --warmup 50 --threads 2 --init "$RUNS/base/best.pt"
  stage "$RUNS/natural-soft" "${common[@]}" --soft --steps 1000 --lambda 1 --lr 5e-4 --warmup 30 --threads 2 \
    --init "$RUNS/base2/best.pt"
  stage "$RUNS/long" "${common[@]}" --soft --steps 3000 --lambda 1 --lr 1e-3 --warmup 50 --threads 2 \
    --init "$RUNS/natural-soft/best.pt"
  # long's last checkpoint, kept apart: ckpt.pt moves on if long is ever resumed with more steps
  [ -f "$RUNS/long/final.pt" ] || cp "$RUNS/long/ckpt.pt" "$RUNS/long/final.pt"
  tune=("${common[@]}" --soft --steps 800 --lr 5e-4 --warmup 30 --init "$RUNS/long/final.pt" --threads 1)
  OMP_NUM_THREADS=1 stage "$RUNS/balanced-long" "${tune[@]}" --lambda 0.8 &
  OMP_NUM_THREADS=1 stage "$RUNS/vivid-long" "${tune[@]}" --lambda 0.5 &
  wait
  $py -m colorizer export "$RUNS/balanced-long" --name balanced --title Balanced --temperature 1 \
    --description "Moderate rebalancing (lambda 0.8): livelier than Natural, calmer than Vivid."
  # Vivid: the last checkpoint, not best.pt (step 200): better on every full-resolution val figure at every T
  $py -m colorizer export "$RUNS/vivid-long" --name vivid --title Vivid --temperature 1 --checkpoint ckpt.pt \
    --description "Strong rebalancing (lambda 0.5): saturated colour, rarer hues; can overshoot."
  $py -m colorizer export "$RUNS/long" --name natural --title Natural --temperature 1 \
    --description "No rebalancing: calm, realistic colour; safest on any landscape."
fi

# The scene set (issue 13). One shared run at lambda 1 on train/ and scenes/ (a quarter
# of the crops from train/'s 433 photos, colourful scene photos drawn more often, tone augmentation),
# warm-started from the first lineage's Natural (weights/natural.safetensors at commit 859c1ed), 25,000 steps
# (400,000 crops) of cosine schedule, resumed many times; then per-lambda fine-tunes of it with
# the class prior counted on the crops as drawn (--prior data).
scenes=(--data "$DATA/train" --data "$DATA/scenes" --folder-weights 0.25 0.75 --chroma-bias 1 --tone 0.3
        --val "$DATA/val" --encoder design --width 32 --activation relu --crop 128 --batch 16 --val-every 250 --workers 0)
if [ "${SCENES:-0}" = 1 ]; then
  stage "$RUNS/shared" "${scenes[@]}" --soft --lambda 1 --steps 25000 --lr 1e-3 --warmup 100 --threads 2 \
    --init "${SHARED_INIT:-weights/natural.safetensors}"
  finished "$RUNS/shared" || { echo "shared run stopped before its last step: run this again to resume"; exit 1; }
  [ -f "$RUNS/shared/final.pt" ] || cp "$RUNS/shared/ckpt.pt" "$RUNS/shared/final.pt"
  # one fine-tune per rebalanced lambda of the shared run's last checkpoint, the class prior counted on the
  # crops as drawn, side by side with a thread each (600 steps, 9,600 crops each). Natural is the shared
  # run itself: at lambda 1 every class weighs the same, so a fine-tune would only go on training it.
  tune=("${scenes[@]}" --soft --prior data --steps "${TUNE_STEPS:-600}" --lr 3e-4 --warmup 50
        --init "$RUNS/shared/final.pt" --threads 1)
  OMP_NUM_THREADS=1 stage "$RUNS/balanced-scenes" "${tune[@]}" --lambda 0.8 &
  OMP_NUM_THREADS=1 stage "$RUNS/vivid-scenes" "${tune[@]}" --lambda 0.5 &
  wait
  for run in balanced-scenes vivid-scenes; do
    finished "$RUNS/$run" || { echo "$run stopped before its last step: run this again to resume"; exit 1; }
  done
  # candidates, not yet the shipped models: weights/ changes only once both val folders say so
  # (docs/history/models-unet.md); T is then chosen with scripts/choose_temperature.py
  mkdir -p "$RUNS/candidates"
  $py -m colorizer export "$RUNS/shared" --name natural --title Natural --temperature 1 --checkpoint final.pt \
    --weights-dir "$RUNS/candidates"
  for m in balanced:Balanced vivid:Vivid; do
    $py -m colorizer export "$RUNS/${m%%:*}-scenes" --name "${m%%:*}" --title "${m##*:}" --temperature 1 \
      --checkpoint ckpt.pt --weights-dir "$RUNS/candidates"
  done
fi

# One more cosine of the shared run's end (weights/natural.safetensors at commit 1f0d576),
# 6,500 steps (104,000 crops) at a peak lr of 5e-4; then the same two fine-tunes of its end.
cosine() {  # cosine RUN_DIR [OPTIONS...]: the cosine, then Balanced and Vivid fine-tunes of its end
  local R=$1; shift
  stage "$R/natural" "${scenes[@]}" "$@" --soft --lambda 1 --steps "${COSINE_STEPS:-6500}" --lr 5e-4 --warmup 100 \
    --val-every 500 --threads 2 --init "${COSINE_INIT:-weights/natural.safetensors}"
  finished "$R/natural" || { echo "cosine run stopped before its last step: run this again to resume"; exit 1; }
  [ -f "$R/natural/final.pt" ] || cp "$R/natural/ckpt.pt" "$R/natural/final.pt"
  # tune is left set: SCENES=2 runs two more variants with it
  tune=("${scenes[@]}" "$@" --soft --prior data --steps "${TUNE_STEPS:-600}" --lr 3e-4 --warmup 50
        --init "$R/natural/final.pt" --threads 1)
  OMP_NUM_THREADS=1 stage "$R/balanced" "${tune[@]}" --lambda 0.8 &
  OMP_NUM_THREADS=1 stage "$R/vivid" "${tune[@]}" --lambda 0.5 &
  wait
}
candidates() {  # candidates RUN_DIR RUN:TITLE...: export each run's last checkpoint to RUN_DIR/candidates
  local R=$1; shift
  for m in "$@"; do
    finished "$R/${m%%:*}" || { echo "${m%%:*} stopped before its last step: run this again to resume"; exit 1; }
  done
  mkdir -p "$R/candidates"
  for m in "$@"; do
    $py -m colorizer export "$R/${m%%:*}" --name "${m%%:*}" --title "${m##*:}" --temperature 1 \
      --checkpoint ckpt.pt --weights-dir "$R/candidates"
  done
}
# The second cosine (none shipped, docs/history/models-unet.md): the cosine with the global-context branch grafted on at near
# zero (the best PSNR of the ablations on both val folders), two Vivid variants of its end, and the
# shipped Vivid's fine-tune with chroma bias 2; candidates in $RUNS/cosine/candidates.
if [ "${SCENES:-0}" = 2 ]; then
  R="$RUNS/cosine"
  cosine "$R" --global-context
  # two Vivid variants of the same end (docs/history/models-unet.md; the options given last win)
  OMP_NUM_THREADS=1 stage "$R/vivid-l035" "${tune[@]}" --lambda 0.35 &
  OMP_NUM_THREADS=1 stage "$R/vivid-bias2" "${tune[@]}" --lambda 0.5 --chroma-bias 2 &
  wait
  # and the shipped Vivid's own fine-tune (no context branch) with chroma bias 2, alone at 2 threads
  stage "$R/vivid-old-bias2" "${scenes[@]}" --soft --prior data --steps "${TUNE_STEPS:-600}" --lr 3e-4 --warmup 50 \
    --init "${COSINE_INIT:-weights/natural.safetensors}" --threads 2 --lambda 0.5 --chroma-bias 2
  candidates "$R" natural:Natural balanced:Balanced vivid:Vivid vivid-l035:vivid-l035 vivid-bias2:vivid-bias2 \
    vivid-old-bias2:vivid-old-bias2
fi

# The same cosine and fine-tunes with one change, chroma bias 2 throughout (a draw as colourful
# as val/, docs/history/models-unet.md "What the draw looks like"), to keep val/'s colour as the run grows; candidates
# in $RUNS/cosine-bias2/candidates.
if [ "${SCENES:-0}" = 3 ]; then
  cosine "$RUNS/cosine-bias2" --global-context --chroma-bias 2
  candidates "$RUNS/cosine-bias2" natural:Natural balanced:Balanced vivid:Vivid
fi

# And the same without the context branch, which the two cosines above share and
# which the ablations tie to a lower val/ rebalanced AuC; candidates in $RUNS/cosine-plain/candidates.
if [ "${SCENES:-0}" = 4 ]; then
  cosine "$RUNS/cosine-plain" --chroma-bias 2
  candidates "$RUNS/cosine-plain" natural:Natural balanced:Balanced vivid:Vivid
fi
