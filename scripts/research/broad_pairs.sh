#!/usr/bin/env bash
# Issue 33's two measurements at equal crops, beside the long run (scripts/train_broad.sh): three short
# runs from the shipped models' trunk (weights/candidates/lite2_s2), each the long run's recipe (film-like
# gray on half the crops, the encoder learning at 0.2x, lambda 1, soft targets, hints, crops of 160 px,
# chroma bias 2, lr 5e-4 with warm-up and cosine decay) for 1,250 steps of 16 crops (20,000 crops), one
# thread each, the three val folders scored apart at the end:
#   broad       train/ 25 % + scenes/ 40 % + broad/ 35 % (the long run's mix)
#   no-broad    train/ + scenes/ alone, in the same proportion (38.5 % + 61.5 %): what broad/ does to
#               val/ and val-scenes/
#   no-context  the broad arm without the pooled scene context at 1/32 (--no-scene-context; its weights
#               dropped from the start model): the suspect for one warm decision over a whole photo
# Each arm is exported (fp16, T 0.6, not committed) to $OUT and scored there by `eval`:
# scripts/hue_angle.py (right hue, wrong hue, warm cast) on the three val folders.
#   DATA=../shared/photos RUNS=runs scripts/research/broad_pairs.sh [train|eval] [ARM...]
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA="${DATA:-../shared/photos}"
RUNS="${RUNS:-runs}/broad_pairs"
OUT="${OUT:-$RUNS/models}"
py=.venv/bin/python
. scripts/runs.sh
step="${1:-train}"; shift || true
arms=("$@")
[ ${#arms[@]} -gt 0 ] || arms=(no-context broad no-broad)
common=(--chroma-bias 2 --val "$DATA/val" --val "$DATA/val-scenes" --val "$DATA/val-broad" --val-each
        --encoder lite2 --hints --crop 160 --batch 16 --soft --lambda 1 --encoder-lr 0.2 --film 0.5
        --init weights/candidates/lite2_s2.safetensors --steps 1250 --lr 5e-4 --warmup 100
        --val-every 1250 --ckpt-minutes 5 --threads "${THREADS:-1}")
three=(--data "$DATA/train" --data "$DATA/scenes" --data "$DATA/broad" --folder-weights 0.25 0.40 0.35)
for arm in "${arms[@]}"; do
  case "$arm" in
    broad)      extra=("${three[@]}") ;;
    no-broad)   extra=(--data "$DATA/train" --data "$DATA/scenes" --folder-weights 0.385 0.615) ;;
    no-context) extra=("${three[@]}" --no-scene-context) ;;
    *) echo "unknown arm $arm (broad, no-broad, no-context)" >&2; exit 2 ;;
  esac
  case "$step" in
    train)
      train_run "$RUNS/$arm" "${common[@]}" "${extra[@]}"
      $py -m colorizer export "$RUNS/$arm" --name "$arm" --weights-dir "$OUT" --checkpoint final.pt \
        --temperature 0.6 --title "$arm" --description "issue 33's pair arm $arm (scripts/research/broad_pairs.sh)" ;;
    eval)
      for folder in val val-scenes val-broad; do
        $py scripts/hue_angle.py "$DATA/$folder" "$OUT/$arm.safetensors" | sed "s|^|$folder: |"
      done ;;
    *) echo "unknown step $step (train, eval)" >&2; exit 2 ;;
  esac
done
