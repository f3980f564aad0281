"""Pick each model's default temperature from `colorizer evaluate --json` on the validation set.

Rule: the T with the highest class-rebalanced AuC among those whose PSNR stays within --psnr-margin dB
of the gray baseline and whose colourfulness ratio reaches --min-colourfulness (where a model's card
lambda is below 1, i.e. a rebalanced, vivid model). If no T meets the constraints, the one with the
highest PSNR is taken and said so.

    colorizer evaluate ../shared/photos/val --model natural --temperature 0.1 0.2 0.3 0.38 0.5 0.7 1 --json ev.json
    python scripts/choose_temperature.py ev.json
"""
import argparse
import json


def choose(model: dict, baseline: dict, psnr_margin: float, min_colourfulness: float):
    def ok(r):
        vivid_ok = model.get("lambda", 1.0) >= 1.0 or r["colourfulness_ratio"] >= min_colourfulness
        return r["psnr"] >= baseline["psnr"] - psnr_margin and vivid_ok
    candidates = [r for r in model["results"] if ok(r)]
    if candidates:
        return max(candidates, key=lambda r: r["auc_rebalanced"]), True
    return max(model["results"], key=lambda r: r["psnr"]), False


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("json")
    p.add_argument("--psnr-margin", type=float, default=1.0, help="dB below the gray baseline allowed")
    p.add_argument("--min-colourfulness", type=float, default=0.6, help="for models with lambda < 1")
    a = p.parse_args()
    ev = json.loads(open(a.json).read())
    base = ev["baseline"]
    print(f"gray baseline: PSNR {base['psnr']:.2f} dB, rebalanced AuC {base['auc_rebalanced']:.2f}")
    for m in ev["models"]:
        r, met = choose(m, base, a.psnr_margin, a.min_colourfulness)
        note = "" if met else "  (no T met the constraints: highest PSNR taken)"
        print(f"{m['id']}: T = {r['temperature']:g}  PSNR {r['psnr']:.2f}  AuC rebal {r['auc_rebalanced']:.2f}  "
              f"colourfulness {r['colourfulness_ratio']:.2f}  green->green {r.get('green_as_green', float('nan')):.1f} %  "
              f"blue->blue {r.get('blue_as_blue', float('nan')):.1f} %{note}")


if __name__ == "__main__":
    main()
