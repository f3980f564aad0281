"""scripts/choose_temperature.py, run as a user runs it on `colorizer evaluate --json` files: the rule on
one folder, and on two, where a T must hold on both."""
import json
import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parents[1] / "scripts" / "choose_temperature.py"
GRAY = {"psnr": 20.0, "auc_rebalanced": 65.0}


def result(t, psnr, auc_rebal, colourful=0.8):
    return {"temperature": t, "psnr": psnr, "auc_rebalanced": auc_rebal, "colourfulness_ratio": colourful}


def model(label, lam, *results):
    return {"label": label, "id": label.split("#")[0], "lambda": lam, "results": list(results)}


def choose(tmp_path, folders, *options):
    """folders: one (models, baseline) per evaluated folder. Runs the script on one JSON file per folder
    -> {label: (T, whether the constraints were met, [rebalanced AuC at T on each folder])}."""
    files = []
    for i, (models, baseline) in enumerate(folders):
        files.append(tmp_path / f"ev{i}.json")
        files[-1].write_text(json.dumps({"image_count": 3, "baseline": baseline, "models": models}))
    out = subprocess.run([sys.executable, str(SCRIPT), *map(str, files), *options],
                         capture_output=True, text=True, check=True).stdout
    chosen, label = {}, None
    for line in out.splitlines():
        if m := re.match(r"(\S+): T = (\S+)(.*)", line):
            label = m[1]
            chosen[label] = (float(m[2]), "no T met" not in m[3], [])
        elif label and (m := re.search(r"AuC rebal (\S+)", line)):
            chosen[label][2].append(float(m[1]))
    return chosen


def test_highest_rebalanced_auc_within_the_psnr_margin(tmp_path):
    m = model("natural", 1.0, result(0.6, 21.5, 70.0), result(0.8, 21.0, 71.0), result(1.0, 18.9, 72.0))
    assert choose(tmp_path, [([m], GRAY)], "--psnr-margin", "1") == {"natural": (0.8, True, [71.0])}


def test_rebalanced_model_needs_colour_and_falls_back_to_psnr(tmp_path):
    m = model("vivid", 0.5, result(0.6, 21.0, 70.0, colourful=0.5), result(1.0, 20.5, 71.0, colourful=0.55))
    t, met, _ = choose(tmp_path, [([m], GRAY)], "--psnr-margin", "1")["vivid"]
    assert (t, met) == (0.6, False)  # neither T is colourful enough: the higher PSNR


def test_rebalanced_model_that_overshoots_the_colour_is_out(tmp_path):
    m = model("vivid", 0.5, result(0.3, 21.0, 72.0, colourful=1.25), result(0.5, 21.1, 71.5, colourful=1.1))
    t, met, _ = choose(tmp_path, [([m], GRAY)], "--psnr-margin", "1", "--max-colourfulness", "1.2")["vivid"]
    assert (t, met) == (0.5, True)
    t, _, _ = choose(tmp_path, [([m], GRAY)], "--psnr-margin", "1", "--max-colourfulness", "inf")["vivid"]
    assert t == 0.3


def test_two_folders_a_win_on_one_folder_only_does_not_win(tmp_path):
    # on folder 1 T = 1 is best by 0.2; on folder 2 it is worse by 2: the mean gain picks 0.8
    a = model("natural", 1.0, result(0.8, 21.0, 71.0), result(1.0, 20.8, 71.2))
    b = model("natural", 1.0, result(0.8, 25.0, 70.0), result(1.0, 24.5, 68.0))
    other = {"psnr": 24.0, "auc_rebalanced": 62.0}
    t, _, aucs = choose(tmp_path, [([a], GRAY), ([b], other)], "--psnr-margin", "1")["natural"]
    assert t == 0.8 and aucs == [71.0, 70.0]
    # a T that breaks the PSNR margin on either folder is out, even if it is best on the other
    c = model("natural", 1.0, result(0.8, 22.0, 70.0), result(1.0, 22.0, 75.0))
    d = model("natural", 1.0, result(0.8, 24.0, 66.0), result(1.0, 22.5, 66.0))
    t, met, _ = choose(tmp_path, [([c], GRAY), ([d], other)], "--psnr-margin", "1")["natural"]
    assert (t, met) == (0.8, True)


def test_models_are_matched_across_files_by_label(tmp_path):
    folders = [([model("natural", 1.0, result(0.8, 21.0, 70.0), result(1.0, 21.0, good)),
                 model("natural#2", 1.0, result(0.8, 21.0, 70.0), result(1.0, 21.0, bad))], GRAY)
               for good, bad in [(71.0, 70.0), (70.5, 69.0)]]
    chosen = choose(tmp_path, folders)
    assert chosen["natural"][0] == 1.0 and chosen["natural#2"][0] == 0.8
