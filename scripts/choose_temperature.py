"""Pick each model's default temperature from `colorizer evaluate --json` on one or more validation folders.

Rule: the T with the highest class-rebalanced AuC among those whose PSNR stays within --psnr-margin dB
of the gray baseline (0.5: issue 13's floor) and whose colourfulness ratio lies between
--min-colourfulness and --max-colourfulness (only where a model's card lambda is below 1, i.e. a
rebalanced, vivid model; 1.2 is issue 13's ceiling for Vivid: more is overshoot). With several folders
a T must meet the constraints on every folder, and the score is the mean over the folders of its
rebalanced AuC above gray's, so a T that wins on one folder only does not win. If no T meets the
constraints, the one with the highest PSNR (above gray, averaged likewise) is taken and said so.
Models are matched across the files by their evaluation label (the card's id; `#2` and on for a
second model of the same id).

    colorizer evaluate ../shared/photos/val --model natural --temperature 0.5 0.6 0.8 1 --json val.json
    colorizer evaluate ../shared/photos/val-scenes --model natural --temperature 0.5 0.6 0.8 1 --json scenes.json
    python scripts/choose_temperature.py val.json scenes.json
"""
import argparse
import json


def choose(runs: list, psnr_margin: float, min_colourfulness: float, max_colourfulness: float = float("inf")):
    """runs: one (model, baseline) pair per folder, for the same model. Returns (temperature, {folder index:
    result at that T}, whether the constraints were met)."""
    by_t = [{r["temperature"]: r for r in model["results"]} for model, _ in runs]
    common = sorted(set.intersection(*(set(b) for b in by_t)))
    lam = runs[0][0].get("lambda")
    lam = 1.0 if lam is None else lam

    def ok(r, base):
        vivid_ok = lam >= 1.0 or min_colourfulness <= r["colourfulness_ratio"] <= max_colourfulness
        return r["psnr"] >= base["psnr"] - psnr_margin and vivid_ok

    def mean_gain(t, key):
        return sum(b[t][key] - base[key] for b, (_, base) in zip(by_t, runs)) / len(runs)

    met = [t for t in common if all(ok(b[t], base) for b, (_, base) in zip(by_t, runs))]
    if met:
        t = max(met, key=lambda t: mean_gain(t, "auc_rebalanced"))
    else:
        t = max(common, key=lambda t: mean_gain(t, "psnr"))
    return t, [b[t] for b in by_t], bool(met)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("json", nargs="+", help="colorizer evaluate --json files, one per validation folder")
    p.add_argument("--psnr-margin", type=float, default=0.5, help="dB below the gray baseline allowed")
    p.add_argument("--min-colourfulness", type=float, default=0.6, help="for models with lambda < 1")
    p.add_argument("--max-colourfulness", type=float, default=1.2, help="for models with lambda < 1")
    a = p.parse_args()
    evals = [json.loads(open(f).read()) for f in a.json]
    for f, ev in zip(a.json, evals):
        base = ev["baseline"]
        print(f"{f}: {ev.get('image_count', '?')} photos, gray baseline PSNR {base['psnr']:.2f} dB, "
              f"rebalanced AuC {base['auc_rebalanced']:.2f}")
    labels = [m.get("label") or m["id"] for m in evals[0]["models"]]
    for label in labels:
        runs = []
        for ev in evals:
            model = next((m for m in ev["models"] if (m.get("label") or m["id"]) == label), None)
            runs.append((model, ev["baseline"]))
        if any(m is None for m, _ in runs):
            print(f"{label}: not in every file, skipped")
            continue
        t, results, met = choose(runs, a.psnr_margin, a.min_colourfulness, a.max_colourfulness)
        note = "" if met else "  (no T met the constraints: highest PSNR taken)"
        print(f"{label}: T = {t:g}{note}")
        for f, r in zip(a.json, results):
            print(f"  {f}: PSNR {r['psnr']:.2f}  AuC rebal {r['auc_rebalanced']:.2f}  colourfulness "
                  f"{r['colourfulness_ratio']:.2f}  green->green {r.get('green_as_green', float('nan')):.1f} %  "
                  f"blue->blue {r.get('blue_as_blue', float('nan')):.1f} %")


if __name__ == "__main__":
    main()
