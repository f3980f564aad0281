#!/usr/bin/env bash
# The dated log of these runs: docs/history/models-lite0.md (the Lite0 arms) and docs/history/models-lite2.md.
# Issue 25's short ablations of the U-Net on EfficientNet-Lite0, at equal crops on this 2-core CPU: each run
# starts from the ImageNet encoder and a fresh decoder, the encoder frozen (stage 1 of
# scripts/train_pretrained.sh reached its best val loss at about 8,000 crops), 500 steps of 16 crops of
# 160 px; runs go two at a time, a thread each. One change each against the control (the lineage's stage 1:
# hints simulated, lambda 1, train/ 35 % + scenes/ 65 %, chroma bias 2):
#   nohints    no simulated hints: what hint training costs the automatic colour (issue 25, section 1)
#   train60    train/ 60 % + scenes/ 40 % (train/ is the only folder with close-ups, flowers, objects)
#   bias0      chroma bias 0 (photos drawn by folder share only)
#   lam08      lambda 0.8 (Natural's colour: rebalancing a little instead of none)
#   crop224    crops of 224 px, 255 steps (about the same time: 1.96x the pixels a crop)
# and, for about an hour each from the Lite0 lineage's frozen stage end (weights/candidates/lite_s1.safetensors),
# lr 5e-4, hints as the control, a quarter of the hinted crops recoloured (--hint-recolor 0.25):
#   frozen-long  3000 steps with the encoder frozen
#   tuned-long   1400 steps with the encoder learning at 0.1x the lr
# and, on a faster machine, at 32,000 crops each (2000 steps) with channels-last, the Lite0 control
# against one change each:
#   control17  the control, 2000 steps
#   lite2      EfficientNet-Lite2 under the decoder (5.71 M parameters against 4.26 M)
#   stride1    logits and loss at the crop's full resolution (--logit-stride 1), alone on both threads
#   bias4      chroma bias 4 (colourful photos drawn still more often)
#   lite2-long the lite2 run's end, 2000 more steps with the encoder still frozen (lr 5e-4), alone on both
#              threads: does a frozen Lite2 keep gaining, as the frozen Lite0 did?
# and from a longer frozen Lite0 stage's end ($S17, runs/s17_frozen), which follows a hint it would not guess (a blue click
# on trees) only 0.13 of the way, lr 3e-4, to make it follow such hints:
#   recolor75        1000 steps, decoder only, three quarters of the hinted crops recoloured
#   tuned-recolor50  600 steps, the encoder learning at 0.2x, half of them recoloured
# and from the frozen Lite2 s1 (the lite2 run's end, $L2S1), decoder only, Natural's
# lambda 0.9, lr 3e-4, 1000 steps: can a frozen encoder's decoder learn to follow a hint it would not guess?
#   l2-lam09        the twin without recolouring
#   l2-recolor75    three quarters of the hinted crops recoloured
# and from the Lite2 s2 ($L2S2), Natural's fine-tune (decoder only, lambda 0.9, 300 steps, lr 3e-4; its
# control is the shipped Natural, runs/lite2_natural) with one change each, for more colour on val/:
#   nat-train60     train/ 60 % + scenes/ 40 % (train/ holds the close-ups and flowers that val/ has)
#   nat-bias4       chroma bias 4
#   nat-sigma4      soft targets half as wide (sigma 4 ab units, against 8.5): less mass on the greyer neighbours?
#   nat-sigma13     soft targets half again as wide (sigma 13)
# and the decoder's capacity, against the lite2 run (a fresh decoder on the frozen Lite2, 2000 steps):
#   lite2-deep      two 3x3 units per level instead of one (--decoder-depth 2)
#   lite2-wide      twice the channels at every level (--decoder 384 256 192 128 64)
# and the encoder learning twice as long: s2's end, 2600 more steps as s2 (encoder at 0.2x) at half its lr,
# alone on both threads, then Natural's fine-tune from it (against the shipped Natural):
#   s2-long         the longer s2
#   nat-s2long      Natural's 300-step fine-tune of s2-long (lambda 0.9)
# and s2 itself again from the Lite2 s1 (the lite2 run's end), 2600 steps as in scripts/train_pretrained.sh,
# alone on both threads, with train/ 60 % of the crops (35 %), then Natural's fine-tune from it, the same mix:
#   s2-train60      the s2 twin
#   nat-s2train60   its Natural
# and hints fed to the encoder's stem too (--hint-stem, starting at zero), the encoder otherwise
# frozen: from the Lite2 s1 ($L2S1; rerun as scripts/train_pretrained.sh's stage 1, runs/lite2_s1,
# and linked it as $A/lite2 to evaluate it beside), 2600 steps as s2 (lr 5e-4) alone on both threads: can a
# frozen encoder follow a hint it would not guess when the hint changes what it sees?
#   s1-hintstem     s1 + the hint stem, the decoder learning with it
# and the scale of the crops against the scale the network sees at inference: scenes/ and val-scenes/ photos are
# 150 px, which the crops upscale to a longer side of 192-384 px while inference sees them at their own size;
# as the lite2 run (s1, fresh decoder, frozen), a thread each:
#   s1-side160      longer sides of 160-384 px (crops of 160 px can come from a 150-px photo at about 1x)
#   s1-side160-256  longer sides of 160-256 px (val/'s photos are seen at 256)
# then s2 and Natural's fine-tune on the second's scale, as scripts/train_pretrained.sh's stages 2 and 3, alone on
# both threads (against the shipped models' s2 and Natural):
#   s2-side         s1-side160-256 + 2600 steps with the encoder learning at 0.2x
#   nat-s2side      its Natural (300 steps, decoder only, lambda 0.9)
# and, as that Natural follows a blue click on china.jpg's trees only 0.14 of the way, the encoder learning longer
# (s2-long followed it 0.51 of the way), 1300 more steps at half the lr, then Natural's fine-tune:
#   s2-side-long    s2-side + 1300 steps, lr 2.5e-4, the encoder at 0.2x
#   nat-s2sidelong  its Natural
# and, as that one follows the click only 0.19 of the way, hints that go against the scene taught directly: a
# quarter of the hinted crops recoloured while the encoder learns (the Lite0 tuned-long above followed a blue hint
# 0.90 of the way so), then Natural's fine-tune:
#   s3-recolor      s2-side-long + 600 steps, lr 2.5e-4, the encoder at 0.2x, --hint-recolor 0.25
#   nat-s3recolor   its Natural
#   s3-recolor10    the same with a tenth of the hinted crops recoloured: does the click come back at less PSNR cost?
#   nat-s3recolor10 its Natural
# Then every run is exported to $RUNS/ablations-lite/weights/ and evaluated at full resolution on val/ and
# val-scenes/ at T 0.6 (colorizer evaluate, ONNX Runtime), and with scripts/hue_angle.py.
# Resumable: a finished run is skipped, an unfinished one resumed.
#   DATA=../shared/photos RUNS=runs scripts/research/ablate_pretrained.sh [train|eval ...] [RUN ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA="${DATA:-../shared/photos}"
RUNS="${RUNS:-runs}"
A="$RUNS/ablations-lite"
py=.venv/bin/python
. scripts/runs.sh
base=(--data "$DATA/train" --data "$DATA/scenes" --val "$DATA/val" --encoder lite0 --crop 160 --batch 16 --soft
      --steps 500 --lr 1e-3 --warmup 50 --val-every 250 --ckpt-minutes 4 --threads 1)
from_s1="--hints --lambda 1 --folder-weights 0.35 0.65 --chroma-bias 2 --lr 5e-4 --warmup 30
         --init ${S1:-weights/candidates/lite_s1.safetensors}"
# on the faster machine (AMD EPYC, AVX-512 BF16; 3x the first): 2000 steps (32,000 crops), channels-last
s17="--hints --lambda 1 --folder-weights 0.35 0.65 --chroma-bias 2 --steps 2000 --channels-last"
# the longer frozen Lite0 stage (runs/s17_frozen) taught to follow hints it would not guess
from_s17="--hints --lambda 1 --folder-weights 0.35 0.65 --chroma-bias 2 --lr 3e-4 --warmup 30 --channels-last
          --init ${S17:-runs/s17_frozen/final.pt}"
# the frozen Lite2 s1's decoder, Natural's lambda
from_l2s1="--hints --lambda 0.9 --folder-weights 0.35 0.65 --chroma-bias 2 --lr 3e-4 --warmup 30 --channels-last
           --encoder lite2 --steps 1000 --init ${L2S1:-$A/lite2/final.pt}"
# Natural's fine-tune from the Lite2 s2 (scripts/train_pretrained.sh, stage 3)
from_l2s2="--hints --lambda 0.9 --folder-weights 0.35 0.65 --chroma-bias 2 --lr 3e-4 --warmup 20 --channels-last
           --encoder lite2 --steps 300 --init ${L2S2:-$RUNS/lite2_s2/final.pt}"
natural_from() {  # natural_from RUN: Natural's fine-tune (from_l2s2) from that ablation run's end instead
  echo "${from_l2s2/--init ${L2S2:-$RUNS/lite2_s2/final.pt}/--init $A/$1/final.pt}"
}
# photos rescaled to a longer side of 160-256 px for the crops (192-384 by default)
side="--min-side 160 --max-side 256"
declare -A args=(
  [control]="--hints --lambda 1 --folder-weights 0.35 0.65 --chroma-bias 2"
  [nohints]="--lambda 1 --folder-weights 0.35 0.65 --chroma-bias 2"
  [train60]="--hints --lambda 1 --folder-weights 0.6 0.4 --chroma-bias 2"
  [bias0]="--hints --lambda 1 --folder-weights 0.35 0.65 --chroma-bias 0"
  [lam08]="--hints --lambda 0.8 --folder-weights 0.35 0.65 --chroma-bias 2"
  [crop224]="--hints --lambda 1 --folder-weights 0.35 0.65 --chroma-bias 2 --crop 224 --steps 255"
  [frozen-long]="$from_s1 --steps 3000 --hint-recolor 0.25"
  [tuned-long]="$from_s1 --steps 1400 --encoder-lr 0.1 --hint-recolor 0.25"
  [control17]="$s17"
  [lite2]="$s17 --encoder lite2"
  [stride1]="$s17 --logit-stride 1 --threads 2"
  [bias4]="${s17/--chroma-bias 2/--chroma-bias 4}"
  [lite2-long]="$s17 --encoder lite2 --steps 2000 --lr 5e-4 --warmup 30 --init $A/lite2/final.pt --threads 2"
  [recolor75]="$from_s17 --steps 1000 --hint-recolor 0.75"
  [tuned-recolor50]="$from_s17 --steps 600 --encoder-lr 0.2 --hint-recolor 0.5"
  [l2-lam09]="$from_l2s1"
  [l2-recolor75]="$from_l2s1 --hint-recolor 0.75"
  [nat-train60]="${from_l2s2/--folder-weights 0.35 0.65/--folder-weights 0.6 0.4}"
  [nat-bias4]="${from_l2s2/--chroma-bias 2/--chroma-bias 4}"
  [nat-sigma4]="$from_l2s2 --soft-sigma 4"
  [nat-sigma13]="$from_l2s2 --soft-sigma 13"
  [lite2-deep]="$s17 --encoder lite2 --decoder-depth 2"
  [lite2-wide]="$s17 --encoder lite2 --decoder 384 256 192 128 64"
  [s2-long]="${from_l2s2/--lambda 0.9/--lambda 1} --steps 2600 --lr 2.5e-4 --warmup 50 --encoder-lr 0.2 --threads 2"
  [s2-train60]="$s17 --encoder lite2 --folder-weights 0.6 0.4 --steps 2600 --lr 5e-4 --warmup 50 --encoder-lr 0.2
                --init ${L2S1:-$A/lite2/final.pt} --threads 2"
  [nat-s2train60]="$(natural_from s2-train60) --folder-weights 0.6 0.4 --threads 2"
  [s1-hintstem]="$s17 --encoder lite2 --hint-stem --steps 2600 --lr 5e-4 --warmup 50 --init ${L2S1:-$A/lite2/final.pt}
                 --threads 2"
  [s1-side160]="$s17 --encoder lite2 --min-side 160"
  [s1-side160-256]="$s17 --encoder lite2 $side"
  [s2-side]="$s17 --encoder lite2 $side --steps 2600 --lr 5e-4 --warmup 50 --encoder-lr 0.2
             --init $A/s1-side160-256/final.pt --threads 2"
  [nat-s2side]="$(natural_from s2-side) $side --threads 2"
  [s2-side-long]="$s17 --encoder lite2 $side --steps 1300 --lr 2.5e-4 --warmup 50 --encoder-lr 0.2
                  --init $A/s2-side/final.pt --threads 2"
  [nat-s2sidelong]="$(natural_from s2-side-long) $side --threads 2"
  [s3-recolor]="$s17 --encoder lite2 $side --steps 600 --lr 2.5e-4 --warmup 30 --encoder-lr 0.2
                --hint-recolor 0.25 --init $A/s2-side-long/final.pt --threads 2"
  [nat-s3recolor]="$(natural_from s3-recolor) $side --threads 2"
  [s3-recolor10]="$s17 --encoder lite2 $side --steps 600 --lr 2.5e-4 --warmup 30 --encoder-lr 0.2
                  --hint-recolor 0.1 --init $A/s2-side-long/final.pt --threads 2"
  [nat-s3recolor10]="$(natural_from s3-recolor10) $side --threads 2"
  [nat-s2long]="$(natural_from s2-long) --threads 2"
)
pairs=("control nohints" "train60 lam08" "bias0 crop224" "frozen-long tuned-long" "control17 lite2" "lite2-long"
       "stride1 bias4" "recolor75 tuned-recolor50" "l2-lam09 l2-recolor75" "nat-train60 nat-bias4" "nat-sigma4 nat-sigma13" "lite2-deep lite2-wide" "s2-long" "nat-s2long" "s2-train60" "nat-s2train60"
       "s1-hintstem" "s1-side160 s1-side160-256" "s2-side" "nat-s2side" "s2-side-long" "nat-s2sidelong"
       "s3-recolor" "nat-s3recolor" "s3-recolor10" "nat-s3recolor10")

one() {  # one NAME: start, resume or skip the run
  # shellcheck disable=SC2086  # the table's words are separate options
  OMP_NUM_THREADS=1 train_run "$A/$1" "${base[@]}" ${args[$1]}
}

step=${1:-train}; shift || true
case $step in
  train) mkdir -p "$A"
         for pair in "${pairs[@]}"; do
           names=()
           for name in $pair; do [ $# -eq 0 ] || [[ " $* " == *" $name "* ]] && names+=("$name"); done
           # appended, so that a finished run skipped on a later call keeps its log
           for name in "${names[@]}"; do one "$name" >> "$A/$name.log" 2>&1 & done
           wait
         done ;;
  eval)  models=() files=()
         for name in ${@:-${!args[@]}}; do
           [ -f "$A/$name/final.pt" ] || { echo "$name not finished" >&2; continue; }
           $py -m colorizer export "$A/$name" --name "$name" --checkpoint final.pt --temperature 0.6 \
             --weights-dir "$A/weights" > /dev/null
           models+=(--model "$A/weights/$name.safetensors") files+=("$A/weights/$name.safetensors")
         done
         for folder in val val-scenes; do
           $py -m colorizer evaluate "$DATA/$folder" "${models[@]}" --temperature 0.6 --device onnx \
             --json "$A/$folder.json" > "$A/$folder.txt"
           $py scripts/hue_angle.py "$DATA/$folder" "${files[@]}" > "$A/$folder.hue.txt"
         done ;;
  *) echo "unknown step $step (train, eval)" >&2; exit 2 ;;
esac
