# Sourced by the training scripts (train_pretrained.sh, train_broad.sh; research/train_models.sh, research/ablate_*.sh,
# research/broad_pairs.sh), which set $py: what they share about a run folder, and the three models' last stage.

finished() {  # finished RUN_DIR: its log reached the configured number of steps (SIGTERM exits 0 too)
  $py -c "import csv, json, sys; r = sys.argv[1]; rows = list(csv.DictReader(open(r + '/metrics.csv')))
sys.exit(0 if rows and int(rows[-1]['step']) >= json.load(open(r + '/config.json'))['steps'] else 1)" "$1"
}

keep_final() {  # keep_final RUN_DIR: a finished run's last checkpoint kept as final.pt (ckpt.pt moves on if resumed)
  finished "$1" && cp "$1/ckpt.pt" "$1/final.pt"
}

train_run() {  # train_run RUN_DIR ARGS...: start the run with ARGS, resume it from its checkpoint, or skip
  local run=$1; shift  # it once it has final.pt; a finished run's last checkpoint is kept as final.pt
  [ -f "$run/final.pt" ] && return
  if [ -f "$run/ckpt.pt" ]; then $py -m colorizer train --run "$run" --resume; else $py -m colorizer train --run "$run" "$@"; fi
  keep_final "$run"
}

tune_three() {  # tune_three PREFIX ARGS...: the three models' fine-tunes from ARGS, PREFIX_natural (lambda 0.9),
  local prefix=$1; shift  # _balanced (0.6) and _vivid (0.25); two side by side with a thread each train about
  # as many crops/s in all as one run on both threads (docs/models.md, "Training throughput")
  OMP_NUM_THREADS=1 train_run "${prefix}_natural" "$@" --lambda 0.9 > "${prefix}_natural.log" 2>&1 &
  OMP_NUM_THREADS=1 train_run "${prefix}_balanced" "$@" --lambda 0.6 > "${prefix}_balanced.log" 2>&1 &
  wait
  OMP_NUM_THREADS=1 train_run "${prefix}_vivid" "$@" --lambda 0.25 > "${prefix}_vivid.log" 2>&1
}

ship_three() {  # ship_three PREFIX SAFEST_ON: tune_three's models exported to weights/ at their default T
  local prefix=$1 safest_on=$2  # (T_NATURAL, T_BALANCED, T_VIVID), their common encoder stored once
  $py -m colorizer export "${prefix}_natural" --name natural --title Natural --checkpoint final.pt \
    --temperature "${T_NATURAL:-0.6}" --description "Light rebalancing (lambda 0.9): calm, realistic colour; safest on $safest_on."
  $py -m colorizer export "${prefix}_balanced" --name balanced --title Balanced --checkpoint final.pt \
    --temperature "${T_BALANCED:-0.5}" --description "Moderate rebalancing (lambda 0.6): livelier than Natural, calmer than Vivid."
  $py -m colorizer export "${prefix}_vivid" --name vivid --title Vivid --checkpoint final.pt \
    --temperature "${T_VIVID:-0.4}" --description "Strong rebalancing (lambda 0.25): saturated colour, rarer hues; can overshoot."
  # decoder fine-tunes of one network: their common encoder is stored once (colorizer share, 19.5 MB less);
  # the previous one goes first, its models having just been overwritten whole by the exports above
  rm -f weights/lite2_encoder.safetensors
  $py -m colorizer share natural balanced vivid --name lite2_encoder
}
