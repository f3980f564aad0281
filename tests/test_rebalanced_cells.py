"""scripts/rebalanced_cells.py: the mean of its per-cell AuCs is colorizer evaluate's rebalanced AuC (the
claim its output rests on), on generated landscapes colorized by a shipped model."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorizer import Colorizer
from colorizer.evaluate import evaluate
from synthetic import landscape

SCRIPTS = Path(__file__).parents[1] / "scripts"
spec = importlib.util.spec_from_file_location("rebalanced_cells", SCRIPTS / "rebalanced_cells.py")
rebalanced_cells = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rebalanced_cells)


def test_the_cells_mean_is_the_rebalanced_auc(tmp_path):
    paths = []
    for seed in range(3):
        path = tmp_path / f"scene{seed}.png"
        Image.fromarray(landscape(96, 128, seed=seed)).save(path)
        paths.append(path)
    model = Colorizer.load("natural", device="numpy")
    fractions, owners, per_cell, cells = rebalanced_cells.cell_aucs(paths, [(model, 0.6), (model, 1.0)])
    assert owners == [p.name for p in paths] and fractions.shape[0] == 3
    assert np.allclose(fractions.sum(axis=1), 1)
    summaries = evaluate(paths, [model], temperatures=[0.6, 1.0], device="numpy").summaries()
    (label, by_t), = [(k, v) for k, v in summaries.items() if k != "gray" and None not in v]
    for row, t in zip(per_cell, (0.6, 1.0)):
        assert row.mean() == pytest.approx(by_t[t]["auc_rebalanced"], abs=1e-6)
