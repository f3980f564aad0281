#!/usr/bin/env bash
# The figures of docs/models.md, from the shipped models in weights/:
#   1. a temperature sweep of each model on val/ and val-scenes/ (-> the default T on both folders:
#      scripts/choose_temperature.py);
#   2. the table at each model's default T on both folders (docs/figures/eval_val*.json);
#   3. the sample grid and per-model temperature strips on the val landscapes with sky, water or foliage
#      (chosen by their content, before any model output was looked at).
#   VAL=../shared/photos/val VAL_SCENES=../shared/photos/val-scenes scripts/evaluate_models.sh [sweep|table|grid ...]
set -euo pipefail
cd "$(dirname "$0")/.."
VAL="${VAL:-../shared/photos/val}"
VAL_SCENES="${VAL_SCENES:-../shared/photos/val-scenes}"
py=.venv/bin/python
models=(--model natural --model balanced --model vivid)
GRID=(gcompris-qt-data__chateaudeChambord.jpg gcompris-qt-data__rocamadour.jpg gcompris-qt-data__sea1.jpg
      palapeli-data__castle-maintenon.jpg gcompris-qt-data__usa_mountRushmore.jpg tuxpaint-data__sheep.jpg
      tuxpaint-data__redwoods_above.jpg gcompris-qt-data__bison.jpg)
steps=("${@:-sweep table grid}")
for step in ${steps[*]}; do
  case $step in
    sweep) for d in "$VAL:val" "$VAL_SCENES:val_scenes"; do
             $py -m colorizer evaluate "${d%:*}" "${models[@]}" --device numpy \
               --temperature 0.5 0.6 0.8 1 --json "docs/figures/sweep_${d##*:}.json"
           done
           $py scripts/choose_temperature.py docs/figures/sweep_val.json docs/figures/sweep_val_scenes.json ;;
    table) $py -m colorizer evaluate "$VAL" "${models[@]}" --device numpy --json docs/figures/eval_val.json
           $py -m colorizer evaluate "$VAL_SCENES" "${models[@]}" --device numpy --json docs/figures/eval_val_scenes.json ;;
    grid)  $py -m colorizer evaluate "${GRID[@]/#/$VAL/}" "${models[@]}" --device numpy --figures docs/figures ;;
    *) echo "unknown step $step (sweep, table, grid)" >&2; exit 2 ;;
  esac
done
