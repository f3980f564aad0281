#!/usr/bin/env bash
# The figures of docs/models.md, from the shipped models in weights/:
#   1. a temperature sweep of each model on val/ and val-scenes/ (-> the default T on both folders:
#      scripts/choose_temperature.py);
#   2. the table at each model's default T on both folders (docs/figures/eval_val*.json);
#   3. the sample grid and per-model temperature strips on the val landscapes with sky, water or foliage
#      (chosen by their content, before any model output was looked at);
#   4. hue by angle (scripts/hue_angle.py) on both folders, each model at its default T;
#   5. Natural with 0, 1, 2, 5, 10, 20 and 50 colour hints drawn from the truth, on both folders;
#   6. film: the table and hue by angle on val-broad/ with the film-like gray (evaluate --gray film).
# Every step covers the three val folders (val/, val-scenes/, val-broad/) but hints (the first two).
# Figures go to docs/figures/eval$TAG_*.json (TAG: the set's label; 17 by default, the figures of docs/models.md).
#   VAL=../shared/photos/val VAL_SCENES=../shared/photos/val-scenes VAL_BROAD=../shared/photos/val-broad \
#     scripts/evaluate_models.sh [sweep|table|grid|hue|hints|film ...]
set -euo pipefail
cd "$(dirname "$0")/.."
VAL="${VAL:-../shared/photos/val}"
VAL_SCENES="${VAL_SCENES:-../shared/photos/val-scenes}"
VAL_BROAD="${VAL_BROAD:-../shared/photos/val-broad}"
folders=("$VAL:val" "$VAL_SCENES:val_scenes" "$VAL_BROAD:val_broad")
py=.venv/bin/python
TAG="${TAG:-17}"
models=(--model natural --model balanced --model vivid)
GRID=(gcompris-qt-data__chateaudeChambord.jpg gcompris-qt-data__rocamadour.jpg gcompris-qt-data__sea1.jpg
      palapeli-data__castle-maintenon.jpg gcompris-qt-data__usa_mountRushmore.jpg tuxpaint-data__sheep.jpg
      tuxpaint-data__redwoods_above.jpg gcompris-qt-data__bison.jpg)
# val-broad/'s grid photos, chosen by their content (the truth) before any output was looked at: flowers of
# three colours, an animal on grass, a person, people in a street, food
BROAD_GRID=(tf-flower-photos__roses__14687731322_5613f76353.jpg tf-flower-photos__tulips__2418823693_72eec80f42_n.jpg
            tf-flower-photos__sunflowers__14741907467_fab96f3b2b_n.jpg imagenet-sample__Cardigan__n02113186_Cardigan.jpg
            imagenet-sample__bathing_cap__n02807133_bathing_cap.jpg tf-flower-photos__roses__12045735155_42547ce4e9_n.jpg
            imagenet-sample__bell_pepper__n07720875_bell_pepper.jpg imagenet-sample__orange__n07747607_orange.jpg)
steps=("${@:-sweep table grid hue hints film}")
summary() {  # keep the summaries in docs/figures, not every photo's figures (megabytes for val-scenes)
  $py -c "import json, sys
for f in sys.argv[1:]:
    d = json.load(open(f)); d.pop('per_image', None); json.dump(d, open(f, 'w'), indent=1)" "$@"
}
for step in ${steps[*]}; do
  case $step in
    sweep) for d in "${folders[@]}"; do
             $py -m colorizer evaluate "${d%:*}" "${models[@]}" --device onnx \
               --temperature 0.4 0.5 0.6 0.8 1 --json "docs/figures/eval${TAG}_sweep_${d##*:}.json"
           done
           summary docs/figures/eval"${TAG}"_sweep_val*.json
           $py scripts/choose_temperature.py "docs/figures/eval${TAG}_sweep_val.json" \
             "docs/figures/eval${TAG}_sweep_val_scenes.json" "docs/figures/eval${TAG}_sweep_val_broad.json" ;;
    table) for d in "${folders[@]}"; do
             $py -m colorizer evaluate "${d%:*}" "${models[@]}" --device onnx --json "docs/figures/eval${TAG}_${d##*:}.json"
             summary "docs/figures/eval${TAG}_${d##*:}.json"
           done ;;
    grid)  $py -m colorizer evaluate "${GRID[@]/#/$VAL/}" "${BROAD_GRID[@]/#/$VAL_BROAD/}" "${models[@]}" --device onnx \
             --figures docs/figures ;;
    hue)   for d in "${folders[@]}"; do
             $py scripts/hue_angle.py "${d%:*}" weights/natural.safetensors weights/balanced.safetensors \
               weights/vivid.safetensors | tee "docs/figures/eval${TAG}_hue_${d##*:}.txt"
           done ;;
    hints) for d in "$VAL:val" "$VAL_SCENES:val_scenes"; do
             $py -m colorizer evaluate "${d%:*}" --model natural --device onnx --hints 0 1 2 5 10 20 50 \
               --json "docs/figures/eval${TAG}_hints_${d##*:}.json"
           done
           summary docs/figures/eval"${TAG}"_hints_val*.json ;;
    film)  $py -m colorizer evaluate "$VAL_BROAD" "${models[@]}" --device onnx --gray film \
             --json "docs/figures/eval${TAG}_film_val_broad.json"
           summary "docs/figures/eval${TAG}_film_val_broad.json"
           $py scripts/hue_angle.py "$VAL_BROAD" weights/natural.safetensors weights/balanced.safetensors \
             weights/vivid.safetensors --gray film | tee "docs/figures/eval${TAG}_hue_film_val_broad.txt" ;;
    *) echo "unknown step $step (sweep, table, grid, hue, hints, film)" >&2; exit 2 ;;
  esac
done
