# Sourced by the training scripts (train_pretrained.sh; research/train_models.sh, research/ablate_*.sh), which set $py:
# what they share about a run folder.

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
