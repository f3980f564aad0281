"""scripts/choose_temperature.py: the rule on one folder, and on two, where a T must hold on both."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parents[1] / "scripts" / "choose_temperature.py"
spec = importlib.util.spec_from_file_location("choose_temperature", SCRIPT)
choose_temperature = importlib.util.module_from_spec(spec)
spec.loader.exec_module(choose_temperature)

GRAY = {"psnr": 20.0, "auc_rebalanced": 65.0}


def result(t, psnr, auc_rebal, colourful=0.8):
    return {"temperature": t, "psnr": psnr, "auc_rebalanced": auc_rebal, "colourfulness_ratio": colourful}


def model(label, lam, *results):
    return {"label": label, "id": label.split("#")[0], "lambda": lam, "results": list(results)}


def test_highest_rebalanced_auc_within_the_psnr_margin():
    m = model("natural", 1.0, result(0.6, 21.5, 70.0), result(0.8, 21.0, 71.0), result(1.0, 18.9, 72.0))
    t, results, met = choose_temperature.choose([(m, GRAY)], 1.0, 0.6)
    assert (t, met) == (0.8, True) and results[0]["auc_rebalanced"] == 71.0


def test_rebalanced_model_needs_colour_and_falls_back_to_psnr():
    m = model("vivid", 0.5, result(0.6, 21.0, 70.0, colourful=0.5), result(1.0, 20.5, 71.0, colourful=0.55))
    t, _, met = choose_temperature.choose([(m, GRAY)], 1.0, 0.6)
    assert (t, met) == (0.6, False)  # neither T is colourful enough: the higher PSNR


def test_rebalanced_model_that_overshoots_the_colour_is_out():
    m = model("vivid", 0.5, result(0.3, 21.0, 72.0, colourful=1.25), result(0.5, 21.1, 71.5, colourful=1.1))
    t, _, met = choose_temperature.choose([(m, GRAY)], 1.0, 0.6, 1.2)
    assert (t, met) == (0.5, True)
    t, _, _ = choose_temperature.choose([(m, GRAY)], 1.0, 0.6)  # no ceiling
    assert t == 0.3


def test_two_folders_a_win_on_one_folder_only_does_not_win():
    # on folder 1 T = 1 is best by 0.2; on folder 2 it is worse by 2: the mean gain picks 0.8
    a = model("natural", 1.0, result(0.8, 21.0, 71.0), result(1.0, 20.8, 71.2))
    b = model("natural", 1.0, result(0.8, 25.0, 70.0), result(1.0, 24.5, 68.0))
    t, results, _ = choose_temperature.choose([(a, GRAY), (b, {"psnr": 24.0, "auc_rebalanced": 62.0})], 1.0, 0.6)
    assert t == 0.8 and [r["auc_rebalanced"] for r in results] == [71.0, 70.0]
    # a T that breaks the PSNR margin on either folder is out, even if it is best on the other
    c = model("natural", 1.0, result(0.8, 22.0, 70.0), result(1.0, 22.0, 75.0))
    d = model("natural", 1.0, result(0.8, 24.0, 66.0), result(1.0, 22.5, 66.0))
    t, _, met = choose_temperature.choose([(c, GRAY), (d, {"psnr": 24.0, "auc_rebalanced": 62.0})], 1.0, 0.6)
    assert (t, met) == (0.8, True)


def test_command_line_matches_models_by_label(tmp_path):
    files = []
    for i, (good, bad) in enumerate([(71.0, 70.0), (70.5, 69.0)]):
        ev = {"image_count": 3, "baseline": GRAY,
              "models": [model("natural", 1.0, result(0.8, 21.0, 70.0), result(1.0, 21.0, good)),
                         model("natural#2", 1.0, result(0.8, 21.0, 70.0), result(1.0, 21.0, bad))]}
        files.append(tmp_path / f"ev{i}.json")
        files[-1].write_text(json.dumps(ev))
    out = subprocess.run([sys.executable, SCRIPT, *map(str, files)], capture_output=True, text=True, check=True).stdout
    assert "natural: T = 1" in out and "natural#2: T = 0.8" in out
